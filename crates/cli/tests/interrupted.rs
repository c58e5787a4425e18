//! A run whose process is gone never looks alive: after SIGKILL, `runs`
//! shows it interrupted at once, ending at its last committed page; SIGINT
//! and SIGTERM on `holdfast sync` finish the page being written, record the
//! run as interrupted, say how to resume and exit 130 / 143.

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{Sandbox, contacts_connector, open_pool};
use holdfast_mock::MockConfig;
use serde_json::Value;
use tokio::io::AsyncReadExt as _;
use tokio::process::Child;

const RECORDS: u64 = 400;
const PAGE: u64 = 10;
const PAGES: u64 = RECORDS / PAGE;

async fn slow_sandbox(latency: Duration) -> (holdfast_mock::MockServer, Sandbox) {
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS,
        latency,
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&contacts_connector(
        &mock.url(),
        &format!("{{ path: /cursor/contacts, params: {{ limit: {PAGE} }} }}"),
        r#"{ type: cursor, next: "$.meta.next_cursor", param: cursor }"#,
    ));
    (mock, sandbox)
}

/// Waits until the running sync `child` has committed at least `pages`.
async fn wait_for_pages(sandbox: &Sandbox, child: &mut Child, pages: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "no progress within 60 s");
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the sync ended ({status}) before the signal; make it slower");
        }
        if sandbox.db.exists() {
            let pool = open_pool(&sandbox.db).await;
            // the tables may not exist yet
            let state = sqlx::query_scalar::<_, String>(
                "SELECT state FROM _holdfast_state WHERE stream = 'contacts'",
            )
            .fetch_optional(&pool)
            .await;
            pool.close().await;
            let committed = state
                .ok()
                .flatten()
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
                .and_then(|s| s["progress"]["pages"].as_u64())
                .unwrap_or(0);
            if committed >= pages {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The run as stored: (outcome, pages, finished_at, last_page_at).
async fn stored_run(sandbox: &Sandbox, id: i64) -> (String, i64, Option<String>, Option<String>) {
    let pool = open_pool(&sandbox.db).await;
    let row = sqlx::query_as(
        "SELECT outcome, pages, finished_at, last_page_at FROM _holdfast_runs WHERE id = ?",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .expect("the run");
    pool.close().await;
    row
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The line of run `id` in `holdfast runs`.
fn runs_line(stdout: &str, id: i64) -> String {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&id.to_string()))
        .unwrap_or_else(|| panic!("run {id} not listed:\n{stdout}"))
        .to_owned()
}

/// Sends `signal` (`INT`, `TERM`) to `child` with kill(1): a real signal.
async fn send(child: &Child, signal: &str) {
    let pid = child.id().expect("running");
    let status = tokio::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .await
        .expect("kill(1)");
    assert!(status.success(), "kill -{signal} {pid}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_sync_reads_as_interrupted_at_its_last_page() {
    let (_mock, sandbox) = slow_sandbox(Duration::from_millis(150)).await;
    let mut child = sandbox.spawn(&["sync"]);
    wait_for_pages(&sandbox, &mut child, 3).await;
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("reap");
    assert_eq!(status.code(), None, "killed by a signal: {status}");
    let (outcome, pages, finished, last_page) = stored_run(&sandbox, 1).await;
    assert_eq!(
        (outcome.as_str(), finished),
        ("running", None),
        "nobody ended it"
    );
    let last_page = time(&last_page.expect("a committed page's time"));

    // `runs` (read-only) shows it interrupted at once, and still so later
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let out = sandbox.run(&["runs"]).await;
    out.expect_code(0);
    let line = runs_line(&out.stdout, 1);
    assert!(line.contains("interrupted"), "{out}");
    assert!(
        line.contains("the process ended before the run finished"),
        "{out}"
    );
    let status = sandbox.run(&["status"]).await;
    status.expect_code(0);
    assert!(status.stdout.contains("last run 1 interrupted"), "{status}");

    // its duration ends at the last committed page, not now
    let started: String = {
        let pool = open_pool(&sandbox.db).await;
        sqlx::query_scalar("SELECT started_at FROM _holdfast_runs WHERE id = 1")
            .fetch_one(&pool)
            .await
            .expect("started_at")
    };
    let expected = (last_page - time(&started)).num_milliseconds() as f64 / 1000.0;
    assert!(
        line.contains(&format!("{expected:.1}s")),
        "duration {expected:.1}s (to page {pages}): {line}"
    );

    // the next sync records that, with the same end, and resumes
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    assert!(out.stderr.contains("resuming the interrupted run"), "{out}");
    let (outcome, _, finished, _) = stored_run(&sandbox, 1).await;
    assert_eq!(outcome, "interrupted");
    assert_eq!(
        finished.as_deref().map(time),
        Some(last_page),
        "ended at its last committed page"
    );
    let pool = open_pool(&sandbox.db).await;
    assert_eq!(common::count(&pool, "contacts").await, RECORDS as i64);
}

/// SIGINT or SIGTERM on a running sync: the page being written commits, the
/// run is interrupted, the message says how to resume, the exit code is the
/// signal's, and the next sync resumes there.
async fn signal_ends_the_run_cleanly(signal: &str, code: i32) {
    let (_mock, sandbox) = slow_sandbox(Duration::from_millis(150)).await;
    let mut cmd = sandbox.command(&["sync"], &[]);
    let mut child = cmd.spawn().expect("spawn holdfast");
    let mut stderr = child.stderr.take().expect("stderr");
    wait_for_pages(&sandbox, &mut child, 3).await;
    send(&child, signal).await;
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits soon after the signal")
        .expect("wait");
    let mut text = String::new();
    stderr.read_to_string(&mut text).await.expect("stderr");
    assert_eq!(status.code(), Some(code), "{signal}: {status}\n{text}");
    assert!(
        text.contains(&format!("SIG{signal} received")),
        "{signal}: {text}"
    );
    assert!(
        text.contains("sync `contacts` interrupted"),
        "{signal}: {text}"
    );

    let (outcome, pages, finished, last_page) = stored_run(&sandbox, 1).await;
    assert_eq!(outcome, "interrupted", "{text}");
    assert!(finished.is_some());
    assert!((3..PAGES as i64).contains(&pages), "{pages} pages");
    assert!(last_page.is_some());
    // the page being written was finished: rows and resume point agree
    let pool = open_pool(&sandbox.db).await;
    let saved = common::state(&pool, "contacts").await.expect("state");
    assert_eq!(saved["progress"]["pages"], Value::from(pages), "{saved}");
    assert_eq!(common::count(&pool, "contacts").await, pages * PAGE as i64);
    assert!(
        text.contains(&format!(
            "(run 1) after {pages} committed page(s): run `holdfast sync contacts` again; \
             it resumes at page {}",
            pages + 1
        )),
        "{text}"
    );
    pool.close().await;

    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    assert!(out.stderr.contains("resuming the interrupted run"), "{out}");
    let pool = open_pool(&sandbox.db).await;
    assert_eq!(common::count(&pool, "contacts").await, RECORDS as i64);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_finishes_the_page_marks_the_run_and_exits_130() {
    signal_ends_the_run_cleanly("INT", 130).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_page_marks_the_run_and_exits_143() {
    signal_ends_the_run_cleanly("TERM", 143).await;
}
