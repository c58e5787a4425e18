//! `schedule:` under `holdfast serve`: each slot runs once (even with two
//! processes on one store), starts are jittered within bounds, a stream never
//! overlaps itself (even when a run is slower than its interval), and a
//! SIGTERM mid-run checkpoints, gives the stream up, and the next serve
//! resumes from the last committed page.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{Sandbox, Serve, contacts_connector, open_pool, requests_to, state};
use holdfast_mock::MockConfig;
use serde_json::Value;
use sqlx::sqlite::SqlitePool;

const PATH: &str = "/cursor/contacts";

/// A connector file: `contacts` read `limit` at a time, with `schedule`.
fn scheduled(base_url: &str, limit: u64, schedule: &str) -> String {
    let mut yaml = contacts_connector(
        base_url,
        &format!("{{ path: {PATH}, params: {{ limit: {limit} }} }}"),
        r#"{ type: cursor, next: "$.meta.next_cursor", param: cursor }"#,
    );
    yaml.push_str(&format!("    schedule: {schedule}\n"));
    yaml
}

/// One run of `_holdfast_runs`, with its times.
#[derive(Debug, Clone)]
struct TimedRun {
    id: i64,
    started: DateTime<Utc>,
    finished: Option<DateTime<Utc>>,
    pages: i64,
    outcome: String,
}

async fn timed_runs(pool: &SqlitePool, stream: &str) -> Vec<TimedRun> {
    let rows: Vec<(i64, String, Option<String>, i64, String)> = sqlx::query_as(
        "SELECT id, started_at, finished_at, pages, outcome FROM _holdfast_runs \
         WHERE stream = ? ORDER BY started_at, id",
    )
    .bind(stream)
    .fetch_all(pool)
    .await
    .expect("read _holdfast_runs");
    rows.into_iter()
        .map(|(id, started, finished, pages, outcome)| TimedRun {
            id,
            started: time(&started),
            finished: finished.as_deref().map(time),
            pages,
            outcome,
        })
        .collect()
}

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("not RFC 3339: {text}: {e}"))
        .with_timezone(&Utc)
}

/// One sync job of `_holdfast_jobs`.
#[derive(Debug, Clone)]
struct SyncJob {
    slot: i64,
    run_at: DateTime<Utc>,
    state: String,
    result: Option<Value>,
}

impl SyncJob {
    /// The run it did, if it ran.
    fn run(&self) -> Option<i64> {
        self.result.as_ref().and_then(|r| r["run"].as_i64())
    }
}

async fn sync_jobs(pool: &SqlitePool, stream: &str) -> Vec<SyncJob> {
    let rows: Vec<(Option<String>, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT unique_key, run_at, state, result FROM _holdfast_jobs \
         WHERE kind = 'sync' AND name = ? ORDER BY run_at, id",
    )
    .bind(stream)
    .fetch_all(pool)
    .await
    .expect("read _holdfast_jobs");
    rows.into_iter()
        .map(|(key, run_at, state, result)| {
            let key = key.expect("a scheduled job has a unique key");
            let slot = key
                .strip_prefix(&format!("sync:{stream}:"))
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("unique key `sync:{stream}:SLOT`, found {key}"));
            SyncJob {
                slot,
                run_at: DateTime::from_timestamp_millis(run_at).expect("run_at in ms"),
                state,
                result: result.map(|r| serde_json::from_str(&r).expect("result is JSON")),
            }
        })
        .collect()
}

/// Sends SIGTERM and waits for a clean exit.
async fn terminate(serve: &mut Serve) {
    let pid = serve.child.id().expect("serve is running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {pid}: {status}");
    let exited = tokio::time::timeout(Duration::from_secs(60), serve.child.wait())
        .await
        .unwrap_or_else(|_| panic!("serve did not stop within 60 s of SIGTERM"))
        .expect("reap serve");
    assert!(
        exited.success(),
        "serve exits 0 on SIGTERM: {exited}\n{}",
        serve.stderr()
    );
}

/// Asserts no two runs overlap in time (all must have ended).
fn assert_no_overlap(runs: &[TimedRun]) {
    for pair in runs.windows(2) {
        let finished = pair[0].finished.expect("every run has ended");
        assert!(
            finished <= pair[1].started,
            "runs overlap: {:?} and {:?}",
            pair[0],
            pair[1]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_slot_runs_once_jittered_across_two_processes() {
    let mock = common::start_mock(30).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&scheduled(&mock.url(), 100, "{ every: 2s, jitter: 1s }"));
    let mut first = Serve::start(&sandbox, &[], &[]).await;
    let mut second = Serve::start(&sandbox, &[], &[]).await;
    tokio::time::sleep(Duration::from_secs(7)).await;
    terminate(&mut first).await;
    terminate(&mut second).await;

    let pool = open_pool(&sandbox.db).await;
    let runs = timed_runs(&pool, "contacts").await;
    let mut jobs = sync_jobs(&pool, "contacts").await;
    jobs.sort_by_key(|j| j.slot);
    eprintln!(
        "two processes, 7 s of `every: 2s, jitter: 1s`: {} runs, {} jobs",
        runs.len(),
        jobs.len()
    );
    for j in &jobs {
        eprintln!(
            "  slot {} due +{} ms, {}",
            j.slot,
            j.run_at.timestamp_millis() - j.slot * 1000,
            j.state
        );
    }
    assert!(
        runs.len() >= 2,
        "about one run per 2 s over 7 s, found {runs:?}\n{}",
        first.stderr()
    );
    assert_no_overlap(&runs);
    // one run per job: no slot ran in both processes
    let ran: Vec<i64> = jobs.iter().filter_map(SyncJob::run).collect();
    let mut distinct = ran.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let mut ran = ran;
    ran.sort_unstable();
    assert_eq!(ran, distinct, "a run is one job's");
    let succeeded: Vec<&TimedRun> = runs.iter().filter(|r| r.outcome == "succeeded").collect();
    assert_eq!(
        succeeded.len(),
        ran.len(),
        "every succeeded run belongs to exactly one slot's job: runs {runs:?}, jobs {jobs:?}"
    );
    for (i, job) in jobs.iter().enumerate() {
        let slot = DateTime::from_timestamp(job.slot, 0).expect("slot");
        let delay = job.run_at - slot;
        // the slot's own jitter is below 1 s; the first slot's job may
        // instead be due within 1 s of the start (its slot had passed; a
        // later slot's job may then run first and make it a no-op)
        let bound = if i == 0 { 3_000 } else { 1_000 };
        assert!(
            delay >= chrono::Duration::zero() && delay < chrono::Duration::milliseconds(bound),
            "job {i} due {delay:?} after its slot: {job:?}"
        );
        assert_eq!(job.slot % 2, 0, "slots are multiples of 2 s: {job:?}");
        if let Some(run) = job.run().and_then(|id| runs.iter().find(|r| r.id == id)) {
            let late = run.started - job.run_at;
            assert!(
                late >= chrono::Duration::zero() && late < chrono::Duration::seconds(10),
                "run starts at or after its job is due (generous bound): {run:?} {job:?}"
            );
        }
    }
    // jitter differs from slot to slot (a hash of stream and slot)
    let delays: std::collections::BTreeSet<i64> = jobs
        .iter()
        .skip(1)
        .map(|j| j.run_at.timestamp_millis() - j.slot * 1000)
        .collect();
    assert!(
        jobs.len() < 4 || delays.len() > 1,
        "jitter varies: {jobs:?}"
    );
    // the lease is given up at the end
    assert_eq!(live_leases(&pool).await, 0);
    // one request per run (a run stopped by a SIGTERM may not have sent its own)
    let requests = requests_to(&mock, PATH) as usize;
    assert!(
        (succeeded.len()..=runs.len()).contains(&requests),
        "{requests} requests for {} runs",
        runs.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_slower_than_its_interval_never_overlaps_itself() {
    // 4 pages of 200 ms or more each: a run takes about 1 s, the interval is 1 s
    // and slots keep coming while it runs
    let mock = common::start_mock_with(MockConfig {
        records: 40,
        latency: Duration::from_millis(400),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&scheduled(&mock.url(), 10, "{ every: 1s }"));
    // two processes on one store: the second one's worker finds the stream busy
    let mut serve = Serve::start(&sandbox, &[], &[]).await;
    let mut other = Serve::start(&sandbox, &[], &[]).await;
    let pool = wait_for_db(&sandbox).await;
    // wait for four finished runs (generous: a loaded machine is slow)
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let runs = timed_runs(&pool, "contacts").await;
        if runs.iter().filter(|r| r.outcome == "succeeded").count() >= 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "four runs within 90 s: {runs:?}\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    terminate(&mut serve).await;
    terminate(&mut other).await;
    let runs = timed_runs(&pool, "contacts").await;
    eprintln!("slow stream: {} runs", runs.len());
    for r in &runs {
        eprintln!(
            "  {} .. {:?} {}",
            r.started.format("%T%.3f"),
            r.finished.map(|f| f.format("%T%.3f").to_string()),
            r.outcome
        );
    }
    assert_no_overlap(&runs);
    for r in runs.iter().filter(|r| r.outcome == "succeeded") {
        let took = r.finished.expect("ended") - r.started;
        assert!(
            took > chrono::Duration::seconds(1),
            "each run is slower than the 1 s interval: {r:?}"
        );
    }
    // the slots that came while a run went on did not pile up into a run each
    let jobs = sync_jobs(&pool, "contacts").await;
    let skipped = jobs
        .iter()
        .filter(|j| {
            j.result
                .as_ref()
                .is_some_and(|r| r.get("skipped").is_some())
        })
        .count();
    assert!(
        runs.len() < jobs.len() || skipped > 0 || jobs.len() <= 2,
        "runs {runs:?}, jobs {jobs:?}"
    );
    assert_eq!(live_leases(&pool).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_run_checkpoints_and_the_next_serve_resumes() {
    const RECORDS: u64 = 120;
    const LIMIT: u64 = 10;
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS,
        latency: Duration::from_millis(250),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    // one slot an hour: the first serve's run is the stream's first (it never ran)
    sandbox.write_config(&scheduled(&mock.url(), LIMIT, "{ every: 1h, jitter: 1s }"));
    let mut serve = Serve::start(&sandbox, &[], &[]).await;
    let pool = wait_for_db(&sandbox).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let pages = state(&pool, "contacts")
            .await
            .and_then(|s| s["progress"]["pages"].as_u64());
        if pages.unwrap_or(0) >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "three pages within 90 s\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    terminate(&mut serve).await;

    // interrupted, not failed; the job is ready again; the lease is free
    let runs = timed_runs(&pool, "contacts").await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].outcome, "interrupted", "{runs:?}");
    let committed = runs[0].pages;
    assert!((3..12).contains(&committed), "stopped mid-run: {runs:?}");
    let saved = state(&pool, "contacts").await.expect("state");
    assert_eq!(
        saved["progress"]["pages"].as_i64(),
        Some(committed),
        "{saved}"
    );
    let jobs = sync_jobs(&pool, "contacts").await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(
        jobs[0].state, "ready",
        "put back for the next worker: {jobs:?}"
    );
    assert_eq!(
        live_leases(&pool).await,
        0,
        "the stream's lease was given up"
    );
    let before = requests_to(&mock, PATH);
    assert!(
        before <= committed as u64 + 1,
        "{before} requests for {committed} committed pages (at most one fetch dropped)"
    );

    // the next serve resumes at once (no lease to wait out) and reads the rest
    let started = Instant::now();
    let mut serve = Serve::start(&sandbox, &[], &[]).await;
    loop {
        let runs = timed_runs(&pool, "contacts").await;
        if runs.iter().any(|r| r.outcome == "succeeded") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the resumed run ends within 90 s: {runs:?}\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    terminate(&mut serve).await;
    let runs = timed_runs(&pool, "contacts").await;
    eprintln!(
        "SIGTERM after {} pages, resumed run read {} pages; {} requests for {} pages",
        runs[0].pages,
        runs.get(1).map_or(0, |r| r.pages),
        requests_to(&mock, PATH),
        RECORDS / LIMIT
    );
    assert_eq!(runs.len(), 2, "{runs:?}");
    let pages = RECORDS / LIMIT;
    assert!(
        runs[1].pages < pages as i64 && runs[0].pages + runs[1].pages >= pages as i64,
        "the second run read only the pages after the checkpoint: {runs:?}"
    );
    let jobs = sync_jobs(&pool, "contacts").await;
    assert_eq!(jobs.len(), 1, "the same slot's job, resumed: {jobs:?}");
    assert_eq!(jobs[0].state, "done", "{jobs:?}");
    let result = jobs[0].result.clone().expect("a result");
    assert_eq!(result["resumed"], Value::Bool(true), "{result}");
    assert_eq!(result["run"].as_i64(), Some(runs[1].id), "{result}");
    // committed pages were not fetched again: one request per page, plus at
    // most the fetch dropped at the SIGTERM (and a final empty page)
    let total = requests_to(&mock, PATH);
    assert!(total <= pages + 2, "{total} requests for {pages} pages");
    let resumed_from = mock
        .requests()
        .into_iter()
        .filter(|r| r.path == PATH)
        .nth(before as usize)
        .expect("a request of the second serve");
    assert!(
        common::query_param(&resumed_from.query, "cursor").is_some(),
        "the second serve starts at the saved cursor, not the first page: {resumed_from:?}"
    );
    // every record exactly once
    let (rows, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT id) FROM contacts")
            .fetch_one(&pool)
            .await
            .expect("count contacts");
    assert_eq!((rows, distinct), (RECORDS as i64, RECORDS as i64));
    assert_eq!(live_leases(&pool).await, 0);
}

/// Stream leases still held (not given up).
async fn live_leases(pool: &SqlitePool) -> i64 {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, until FROM _holdfast_leases WHERE name LIKE 'stream:%'")
            .fetch_all(pool)
            .await
            .expect("read _holdfast_leases");
    rows.iter()
        .filter(|(_, until)| time(until) >= Utc::now())
        .count() as i64
}

/// Waits for serve to create the store, and opens it.
async fn wait_for_db(sandbox: &Sandbox) -> SqlitePool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sandbox.db.exists() {
        assert!(Instant::now() < deadline, "no store within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    open_pool(&sandbox.db).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_by_hand_while_serve_runs_the_stream_is_refused_then_runs_after() {
    // 10 pages of 300 ms: serve's first run takes about 3 s
    let mock = common::start_mock_with(MockConfig {
        records: 100,
        latency: Duration::from_millis(300),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&scheduled(&mock.url(), 10, "{ every: 1h }"));
    let mut serve = Serve::start(&sandbox, &[], &[]).await;
    let pool = wait_for_db(&sandbox).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !timed_runs(&pool, "contacts")
        .await
        .iter()
        .any(|r| r.outcome == "running")
    {
        assert!(Instant::now() < deadline, "serve never started the run");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let busy = sandbox.run(&["sync", "contacts"]).await;
    busy.expect_code(1);
    assert!(
        busy.stderr
            .contains("`contacts` is being synced by another process"),
        "{busy}"
    );
    // one run only: the refused sync started none
    assert_eq!(timed_runs(&pool, "contacts").await.len(), 1);

    let deadline = Instant::now() + Duration::from_secs(60);
    while !timed_runs(&pool, "contacts")
        .await
        .iter()
        .any(|r| r.outcome == "succeeded")
    {
        assert!(Instant::now() < deadline, "serve's run never ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    terminate(&mut serve).await;
    let after = sandbox.run(&["sync", "contacts"]).await;
    after.expect_code(0);
    let runs = timed_runs(&pool, "contacts").await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_no_overlap(&runs);
    assert_eq!(live_leases(&pool).await, 0);
}
