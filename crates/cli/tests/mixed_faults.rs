//! The mixed-faults run: 20% 5xx (500 and 503), 10% 429 with `Retry-After: 1`,
//! 5% slow past the timeout, 3% HTML and 2% `200`-with-an-error-body (caught
//! by an `errors:` rule), over pages of 100. Every record lands exactly once,
//! `Retry-After` is never violated, and the retries cost less than 1.85× the
//! requests of the same sync without faults (the rates imply about 1.67×).
//!
//! The record count defaults to what fits about 30 s in a debug build on two
//! cores: each 429 costs a full second of a sequential chain. Set
//! `MIXED_FAULTS_RECORDS=20000` for the 200-page run of the issue.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::time::{Duration, Instant};

use common::{Sandbox, ids, raw_by_id, request_log, runs};
use holdfast_mock::{FaultProfile, MockConfig, MockServer, MockStats};

/// Records (pages of 100) unless `MIXED_FAULTS_RECORDS` says otherwise.
const DEFAULT_RECORDS: u64 = 10_000;
const PAGE: u64 = 100;
/// The mock's seed (records and fault draws) unless `MIXED_FAULTS_SEED` says otherwise.
const DEFAULT_SEED: u64 = 42;
/// The most requests the faulted run may make, relative to the clean run.
const MAX_RATIO: f64 = 1.85;

fn records() -> u64 {
    std::env::var("MIXED_FAULTS_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_RECORDS)
}

fn seed() -> u64 {
    std::env::var("MIXED_FAULTS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

fn connector(base_url: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
    timeout: 300ms
    retry: {{ attempts: 10, initial: 10ms, max: 200ms, max_wait: 5m }}
    errors:
      - when: "status == 200 and body.success == false"
        action: retry
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: {PAGE} }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

/// What one sync cost.
struct Cost {
    stats: MockStats,
    wall: Duration,
}

/// Runs one full sync against a fresh store and checks that every record
/// landed exactly once and that the request log matches what the mock saw.
async fn sync_once(mock: &MockServer, records: u64, what: &str) -> Cost {
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    let started = Instant::now();
    let out = sandbox.run(&["sync"]).await;
    let wall = started.elapsed();
    out.expect_code(0);

    let pool = sandbox.pool().await;
    let n = records as i64;
    assert_eq!(
        ids(&pool, "contacts").await,
        (1..=n).collect::<Vec<_>>(),
        "{what}: ids 1..={n} once each"
    );
    for (id, raw) in raw_by_id(&pool, "contacts").await {
        let object = raw.as_object().expect("_raw is an object");
        assert!(
            !object.contains_key("success") && !object.contains_key("error"),
            "{what}: row {id} is an error body: {raw}"
        );
    }
    let all = runs(&pool).await;
    assert_eq!(all.len(), 1, "{what}: {all:?}");
    assert_eq!(
        (all[0].outcome.as_str(), all[0].created),
        ("succeeded", n),
        "{what}: {all:?}"
    );
    let stats = mock.stats();
    assert_eq!(stats.served_ok, all[0].pages as u64, "{what}: {stats:?}");
    let log = request_log(&pool).await;
    assert_eq!(
        log.len() as u64,
        stats.requests,
        "{what}: one log row per request the mock saw"
    );
    assert_eq!(
        log.iter().filter(|r| r.error.is_none()).count() as u64,
        stats.served_ok,
        "{what}: successful attempts"
    );
    Cost { stats, wall }
}

#[tokio::test(flavor = "multi_thread")]
async fn mixed_faults_cost_less_than_1_85x_requests() {
    let (records, seed) = (records(), seed());

    // The same sync without faults: the baseline request count.
    let clean_mock = common::start_mock_with(MockConfig {
        records,
        seed,
        ..MockConfig::default()
    })
    .await;
    let clean = sync_once(&clean_mock, records, "fault-free").await;
    assert!(clean.stats.faults.is_empty(), "{:?}", clean.stats);
    clean_mock.shutdown().await;

    let faults = FaultProfile {
        server_error: 0.10,
        unavailable: 0.10,
        too_many: 0.10,
        retry_after: Duration::from_secs(1),
        slow: 0.05,
        slow_delay: Duration::from_secs(2),
        html: 0.03,
        error_body: 0.02,
        ..FaultProfile::default()
    };
    let mock = common::start_mock_with(MockConfig {
        records,
        seed,
        faults,
        ..MockConfig::default()
    })
    .await;
    let faulted = sync_once(&mock, records, "mixed faults").await;

    let ratio = faulted.stats.requests as f64 / clean.stats.requests as f64;
    eprintln!(
        "mixed_faults: {records} records in pages of {PAGE}, seed {seed}\n  \
         fault-free: {} requests in {:.1} s\n  \
         mixed faults: {} requests in {:.1} s ({:.3}x), faults {:?}, retry_after_violations {}",
        clean.stats.requests,
        clean.wall.as_secs_f64(),
        faulted.stats.requests,
        faulted.wall.as_secs_f64(),
        ratio,
        faulted.stats.faults,
        faulted.stats.retry_after_violations,
    );
    let stats = &faulted.stats;
    for kind in ["500", "503", "429", "slow", "html", "error_body"] {
        assert!(
            stats.faults.get(kind).copied().unwrap_or(0) > 0,
            "no `{kind}` fault injected: {stats:?}"
        );
    }
    assert_eq!(
        stats.served_ok, clean.stats.served_ok,
        "same pages: {stats:?}"
    );
    assert_eq!(stats.retry_after_violations, 0, "{stats:?}");
    // Whatever the draw, no request beyond one retry per injected fault.
    let injected: u64 = stats.faults.values().sum();
    assert_eq!(
        stats.requests,
        clean.stats.requests + injected,
        "every extra request retried an injected fault: {stats:?}"
    );
    assert!(
        ratio < MAX_RATIO,
        "{} requests with faults vs {} without: {ratio:.3}x, not below {MAX_RATIO}x",
        stats.requests,
        clean.stats.requests
    );
}
