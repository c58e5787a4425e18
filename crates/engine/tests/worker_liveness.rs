//! A worker's claims are released at once when its process is gone, and a
//! process that was killed but not yet reaped by its parent (a zombie) is
//! gone: it runs nothing and will never renew a lease.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use chrono::Utc;
use holdfast_engine::jobs::WebhookEvent;
use holdfast_engine::worker::{release_dead_claims, worker_gone, worker_id};
use holdfast_store::prelude::*;
use holdfast_store::{Claim, JobState};
use holdfast_store_sqlite::SqliteStore;

/// A process that waits, doing nothing.
fn sleeper() -> Child {
    Command::new("sleep")
        .arg("300")
        .spawn()
        .expect("spawn sleep")
}

/// The state letter of `/proc/<pid>/stat` (after the parenthesised name).
fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Kills `child` without reaping it, and waits until the kernel shows it
/// as a zombie.
fn zombie(child: &mut Child) {
    let pid = child.id();
    // `Child::kill` sends SIGKILL and does not wait: the process stays a
    // zombie until `wait`
    child.kill().expect("kill");
    let deadline = Instant::now() + Duration::from_secs(10);
    while state(pid) != Some('Z') {
        assert!(
            Instant::now() < deadline,
            "process {pid} did not become a zombie: state {:?}",
            state(pid)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The id a worker of `pid` on this host has.
fn id_of(pid: u32, n: usize) -> String {
    worker_id(n).replace(&format!("/{}/", std::process::id()), &format!("/{pid}/"))
}

#[test]
fn issue_13_a_zombie_worker_is_gone() {
    let mut alive = sleeper();
    let mut killed = sleeper();
    zombie(&mut killed);
    assert!(
        std::path::Path::new(&format!("/proc/{}", killed.id())).exists(),
        "a zombie still has its /proc entry"
    );
    assert!(worker_gone(&id_of(killed.id(), 0)), "a zombie is gone");
    assert!(
        !worker_gone(&id_of(alive.id(), 0)),
        "a sleeping process is not"
    );
    assert!(!worker_gone(&worker_id(0)), "this process is not");
    for child in [&mut alive, &mut killed] {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(
        worker_gone(&id_of(killed.id(), 0)),
        "a reaped process is gone"
    );
}

#[tokio::test]
async fn issue_13_a_zombie_workers_jobs_are_released_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("t.db").display().to_string())
        .await
        .expect("open");
    let now = Utc::now();
    let event = WebhookEvent {
        webhook: "crm".into(),
        event_id: "evt_1".into(),
        received_ms: now.timestamp_millis(),
        headers: Default::default(),
        body: "{}".into(),
    };
    store
        .enqueue(&[event.to_job()], now)
        .await
        .expect("enqueue");
    let mut child = sleeper();
    let holder = id_of(child.id(), 3);
    let claimed = store
        .claim(Claim {
            worker: &holder,
            kinds: &[],
            limit: 10,
            lease: Duration::from_secs(3600),
            now,
        })
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        release_dead_claims(&store).await.expect("release"),
        0,
        "the holder runs: its lease stands"
    );
    zombie(&mut child);
    assert_eq!(
        release_dead_claims(&store).await.expect("release"),
        1,
        "released without waiting for the hour-long lease"
    );
    let job = store.job(claimed[0].id).await.expect("read").expect("job");
    assert_eq!(job.state, JobState::Ready);
    let again = store
        .claim(Claim {
            worker: &worker_id(0),
            kinds: &[],
            limit: 10,
            lease: Duration::from_secs(30),
            now: Utc::now(),
        })
        .await
        .expect("claim");
    assert_eq!(again.len(), 1, "another worker takes it now");
    let _ = child.wait();
}
