//! A remote that is down (every data request answered 503 for 30 s) opens
//! the circuit breaker after `failures` consecutive failures: the sync gives
//! up at once, says the remote looks down, and stops hammering it long before
//! retries × pages requests.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::time::{Duration, Instant};

use common::{Sandbox, request_log, runs};
use holdfast_mock::{FaultProfile, MockConfig};

const FAILURES: u64 = 5;
const ATTEMPTS: u64 = 8;
const RECORDS: u64 = 1000;
const PAGE: u64 = 100;

#[tokio::test(flavor = "multi_thread")]
async fn breaker_opens_when_the_remote_is_down() {
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS,
        faults: FaultProfile::preset("down30").expect("preset"),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  crm:
    base_url: "{}"
    retry: {{ attempts: {ATTEMPTS} }}
    breaker: {{ failures: {FAILURES}, cool_down: 60s }}
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: {PAGE} }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
"#,
        mock.url()
    ));

    let started = Instant::now();
    let out = sandbox.run(&["sync"]).await;
    let elapsed = started.elapsed();
    out.expect_code(1);
    let stats = mock.stats();
    eprintln!(
        "breaker: the mock saw {} requests; the sync gave up after {:.1} s",
        stats.requests,
        elapsed.as_secs_f64()
    );

    // Quickly, well inside the 30 s outage, saying why.
    assert!(
        elapsed < Duration::from_secs(15),
        "gave up after {elapsed:?}, not quickly"
    );
    assert!(
        out.stderr.contains("looks down"),
        "says the remote looks down:\n{out}"
    );

    // Far fewer requests than attempts × pages: the breaker stopped them.
    let pages = RECORDS / PAGE;
    assert!(
        stats.requests <= FAILURES + 1,
        "{} requests reached the remote (attempts × pages = {})",
        stats.requests,
        ATTEMPTS * pages
    );
    assert_eq!(
        stats.faults.get("down").copied(),
        Some(stats.requests),
        "every request got the outage's 503: {stats:?}"
    );
    assert_eq!(stats.served_ok, 0, "{stats:?}");

    // The store: a failed run saying so, no rows, and the attempts logged:
    // the 503s the remote answered, then the one the breaker refused.
    let pool = sandbox.pool().await;
    let all = runs(&pool).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].outcome, "failed", "{all:?}");
    let error = all[0].error.as_deref().unwrap_or("");
    assert!(error.contains("looks down"), "run error: {error}");
    assert_eq!(common::count(&pool, "contacts").await, 0);

    let log = request_log(&pool).await;
    let answered: Vec<_> = log.iter().filter(|r| r.status.is_some()).collect();
    assert_eq!(answered.len() as u64, stats.requests, "{log:#?}");
    assert!(
        answered
            .iter()
            .all(|r| r.status == Some(503) && r.error.as_deref() == Some("status_5xx")),
        "{log:#?}"
    );
    let refused: Vec<_> = log
        .iter()
        .filter(|r| r.error.as_deref() == Some("breaker_open"))
        .collect();
    assert_eq!(
        refused.len(),
        1,
        "one attempt refused by the breaker: {log:#?}"
    );
    assert_eq!(
        log.len(),
        answered.len() + refused.len(),
        "nothing else logged: {log:#?}"
    );
    let numbers: Vec<i64> = log.iter().map(|r| r.attempt).collect();
    assert_eq!(
        numbers,
        (1..=log.len() as i64).collect::<Vec<_>>(),
        "the attempts of the one request: {log:#?}"
    );
}
