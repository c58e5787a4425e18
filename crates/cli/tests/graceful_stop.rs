//! Issue 15: SIGTERM stops `holdfast serve` in order. While webhooks pour
//! in, every request answered 2xx is in the store afterwards (the intake
//! commits before it answers and drains what is in flight), the process
//! exits 0 and says what it did; refused requests counted since the last
//! periodic flush are written at the stop, not lost.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;
#[path = "support/webhooks.rs"]
mod webhooks_support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{Serve, local_client, post, queue_json, sign_webhooks, unix_now, wait_drained};
use futures::StreamExt as _;
use serde_json::json;
use webhooks_support::{CRM_SECRET, DRAIN_LIMIT, OTHER_SECRET, crm_sign, env, sandbox};

/// Events sent in the load test; the SIGTERM comes after [`ACKED_BEFORE_STOP`].
const EVENTS: i64 = 1500;
const ACKED_BEFORE_STOP: usize = 300;
const CONCURRENCY: usize = 16;

/// Sends SIGTERM to `serve` with kill(1), a real signal.
fn sigterm(serve: &Serve) {
    let pid = serve.child.id().expect("serve is running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {pid}: {status}");
}

/// Waits for `serve` to exit after a SIGTERM: it must exit 0. Returns its
/// stderr once the shutdown line is in it.
async fn stopped(serve: &mut Serve) -> String {
    let exited = tokio::time::timeout(Duration::from_secs(60), serve.child.wait())
        .await
        .unwrap_or_else(|_| panic!("serve did not stop within 60 s of SIGTERM"))
        .expect("reap serve");
    assert!(
        exited.success(),
        "serve exits 0 on SIGTERM: {exited}\n{}",
        serve.stderr()
    );
    // the pipe reader may be a moment behind the exit
    for _ in 0..100 {
        let stderr = serve.stderr();
        if stderr.contains("holdfast serve: stopped: ") {
            return stderr;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "no shutdown line on stderr after SIGTERM:\n{}",
        serve.stderr()
    );
}

/// The number before `what` in the shutdown line, e.g. `queued since the start`.
fn reported(stderr: &str, what: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.contains("holdfast serve: stopped: "))
        .expect("the shutdown line");
    let before = line
        .split_once(what)
        .unwrap_or_else(|| panic!("`{what}` in the shutdown line: {line}"))
        .0;
    before
        .rsplit(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a number before `{what}`: {line}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issue_15_sigterm_during_webhook_load_loses_no_acknowledged_event() {
    let sandbox = sandbox();
    let now = unix_now();
    let events: Vec<(i64, String)> = (1..=EVENTS)
        .map(|id| {
            let body = json!({
                "type": "contact.updated",
                "data": { "id": id, "email": format!("c{id}@example.com"), "updated_at": "2024-05-01T00:00:00Z" },
            });
            (id, body.to_string())
        })
        .collect();
    let signing: Vec<_> = events
        .iter()
        .map(|(id, body)| crm_sign(&format!("evt-stop-{id}"), CRM_SECRET, now, body))
        .collect();
    let headers = sign_webhooks(&signing);
    let mut serve = Serve::start(&sandbox, &[], &env()).await;

    // the load: every answer recorded; a refused connection ends nothing
    let acked = Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    let client = local_client();
    let url = format!("{}/hooks/crm", serve.url);
    let load = {
        let (acked, answered) = (acked.clone(), answered.clone());
        let requests: Vec<_> = events.into_iter().zip(headers).collect();
        tokio::spawn(async move {
            futures::stream::iter(requests)
                .for_each_concurrent(CONCURRENCY, |((id, body), headers)| {
                    let (client, url) = (client.clone(), url.clone());
                    let (acked, answered) = (acked.clone(), answered.clone());
                    async move {
                        if let Ok((status, _)) = post(&client, &url, &headers, body).await
                            && (200..300).contains(&status)
                        {
                            acked.lock().expect("acked").insert(id);
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
                .await;
        })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while answered.load(Ordering::SeqCst) < ACKED_BEFORE_STOP {
        assert!(
            tokio::time::Instant::now() < deadline,
            "fewer than {ACKED_BEFORE_STOP} webhooks acknowledged within 60 s\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sigterm(&serve);
    let stderr = stopped(&mut serve).await;
    load.await.expect("the load task");
    let acked: BTreeSet<i64> = acked.lock().expect("acked").clone();
    assert!(
        acked.len() >= ACKED_BEFORE_STOP && acked.len() < EVENTS as usize,
        "the SIGTERM landed mid-load: {} of {EVENTS} acknowledged",
        acked.len()
    );
    let queued = reported(&stderr, "queued since the start");
    assert!(
        queued >= acked.len() as u64,
        "the shutdown line counts every acknowledged event ({} acked): {stderr}",
        acked.len()
    );

    // every acknowledged event is in the store: a new serve applies them all
    let _again = Serve::start(&sandbox, &[], &env()).await;
    let pool = sandbox.pool().await;
    wait_drained(&pool, DRAIN_LIMIT).await;
    let stored: BTreeSet<i64> = sqlx::query_scalar("SELECT id FROM contacts")
        .fetch_all(&pool)
        .await
        .expect("read contacts")
        .into_iter()
        .collect();
    let lost: Vec<&i64> = acked.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged events are not in the store (first: {:?})",
        lost.len(),
        lost.first()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_15_rejection_counts_are_flushed_at_shutdown() {
    let sandbox = sandbox();
    let body = json!({ "type": "contact.updated", "data": { "id": 1, "updated_at": "2024-05-01T00:00:00Z" } })
        .to_string();
    // signed with another key: every request is refused as `bad_signature`
    let forged = sign_webhooks(&[crm_sign("evt-forged", OTHER_SECRET, unix_now(), &body)])
        .pop()
        .expect("signed headers");
    let mut serve = Serve::start(&sandbox, &[], &env()).await;
    let refused = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let client = local_client();
    let url = format!("{}/hooks/crm", serve.url);
    let senders: Vec<_> = (0..4)
        .map(|_| {
            let (client, url, forged, body) =
                (client.clone(), url.clone(), forged.clone(), body.clone());
            let (refused, stop) = (refused.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    match post(&client, &url, &forged, body.clone()).await {
                        Ok((401, answer)) => {
                            assert_eq!(answer["reason"], "bad_signature", "{answer}");
                            refused.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok((status, answer)) => panic!("a forged request got {status}: {answer}"),
                        // the listener is closed: the stop has begun
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    // well past the first periodic flush, then a stop amid the refusals
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(refused.load(Ordering::SeqCst) > 0, "{}", serve.stderr());
    sigterm(&serve);
    let stderr = stopped(&mut serve).await;
    stop.store(true, Ordering::SeqCst);
    for s in senders {
        s.await.expect("a sender");
    }
    let sent = refused.load(Ordering::SeqCst) as u64;
    assert!(
        stderr.contains("flushed the counts of"),
        "the shutdown line says what it flushed: {stderr}"
    );

    // `holdfast queue` (read-only) shows every refusal the client was answered
    let queue = queue_json(&sandbox).await;
    let rejections = queue["rejections"].as_array().expect("rejections");
    let counted: u64 = rejections
        .iter()
        .filter(|r| r["webhook"] == "crm_events" && r["reason"] == "bad_signature")
        .map(|r| r["count"].as_u64().expect("a count"))
        .sum();
    assert_eq!(
        counted, sent,
        "every refused request is counted in the store after the stop: {queue}\n{stderr}"
    );
}
