//! The connection's `rate_limit:` holds across every stream of the
//! connection, parallel child chains included, so a server enforcing a
//! slightly higher limit never has to say no; and when a server does say no
//! (429 with `Retry-After`), the sync waits as told and still gets everything.
//!
//! The mock sends no `X-RateLimit-*` / `RateLimit-*` headers, so reading
//! those is not covered end to end here.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::time::{Duration, Instant};

use common::{Sandbox, attempts_by_request, count, ids, request_log, runs};
use holdfast_mock::{MockConfig, MockRateLimit};

const RECORDS: u64 = 150;
const PAGE: u64 = 25;

/// `rate_limit: { requests: 20, per: 1s, burst: 5 }` against a mock allowing
/// 28 per sliding second (the client's own ceiling is 5 + 20 = 25 in any
/// second; the margin absorbs network jitter): contacts, the same endpoint again as `contacts_b`,
/// then one deals chain per contact, four at a time.
#[tokio::test(flavor = "multi_thread")]
async fn client_rate_limit_holds_across_streams() {
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS,
        rate_limit: Some(MockRateLimit {
            requests: 28,
            per: Duration::from_secs(1),
        }),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  crm:
    base_url: "{}"
    rate_limit: {{ requests: 20, per: 1s, burst: 5 }}
    max_concurrency: 4
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: {PAGE} }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
  contacts_b:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: {PAGE} }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
  deals:
    connection: crm
    for_each: {{ stream: contacts, as: contact }}
    request: {{ path: "/v2/contacts/{{{{ contact.id }}}}/deals" }}
    records: "$.data[*]"
    primary_key: id
"#,
        mock.url()
    ));

    let started = Instant::now();
    let out = sandbox.run(&["sync"]).await;
    let elapsed = started.elapsed();
    out.expect_code(0);

    let stats = mock.stats();
    let window = mock.max_requests_in_window(Duration::from_secs(1));
    eprintln!(
        "rate_limit: {} requests in {:.1} s, at most {window} in any 1 s window, {} rejected",
        stats.requests,
        elapsed.as_secs_f64(),
        stats.rate_limited
    );
    assert_eq!(
        stats.rate_limited, 0,
        "the server never had to say no: {stats:?}"
    );
    assert!(
        window <= 26,
        "{window} requests in one second (the client allows 25, plus jitter)"
    );

    // Everything arrived.
    let pool = sandbox.pool().await;
    let expected: Vec<i64> = (1..=RECORDS as i64).collect();
    assert_eq!(ids(&pool, "contacts").await, expected);
    assert_eq!(ids(&pool, "contacts_b").await, expected);
    let mut all = runs(&pool).await;
    all.sort_by(|a, b| a.stream.cmp(&b.stream));
    assert_eq!(
        all.iter()
            .map(|r| (r.stream.as_str(), r.outcome.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("contacts", "succeeded"),
            ("contacts_b", "succeeded"),
            ("deals", "succeeded"),
        ],
        "{all:?}"
    );
    let deals = count(&pool, "deals").await;
    assert!(deals > 0);
    assert_eq!(all[2].created, deals, "{all:?}");
    let deal_requests: u64 = stats
        .by_path
        .iter()
        .filter(|(path, _)| path.ends_with("/deals"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        deal_requests, RECORDS,
        "one deals request per contact: {stats:?}"
    );
    let pages = RECORDS.div_ceil(PAGE);
    let listing = stats.by_path.get("/v2/contacts").copied().unwrap_or(0);
    assert!(
        (2 * pages..=2 * (pages + 1)).contains(&listing),
        "two listings of {pages} pages: {stats:?}"
    );

    // The limit really paced the run: after a burst of 5, 20 per second.
    let floor = Duration::from_millis((stats.requests - 5) * 1000 / 20);
    assert!(
        elapsed + Duration::from_millis(300) >= floor,
        "{} requests in {elapsed:?}: faster than 20/s after a burst of 5",
        stats.requests
    );
    let log = request_log(&pool).await;
    assert_eq!(log.len() as u64, stats.requests);
    assert!(log.iter().all(|r| r.error.is_none()), "no failed attempt");
    assert!(
        log.iter().any(|r| r.waited_ms > 0.0),
        "the rate limit's waits show in waited_ms"
    );
}

/// No client limit, a server allowing 10 per second: whatever the server says
/// (its `X-RateLimit-*` headers usually pace the client before any 429; a
/// 429's `Retry-After` when one comes), no request arrives early and the sync
/// gets every record. 429s with `Retry-After` as such are covered in faults.rs.
#[tokio::test(flavor = "multi_thread")]
async fn server_429s_are_waited_out() {
    const RECORDS: u64 = 1000;
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS,
        rate_limit: Some(MockRateLimit {
            requests: 10,
            per: Duration::from_secs(1),
        }),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  crm:
    base_url: "{}"
    retry: {{ attempts: 5, initial: 10ms }}
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

    sandbox.run(&["sync"]).await.expect_code(0);
    let stats = mock.stats();
    eprintln!(
        "server 429s: {} requests, {} rejected by the server's limit",
        stats.requests, stats.rate_limited
    );
    assert_eq!(stats.retry_after_violations, 0, "{stats:?}");

    let pool = sandbox.pool().await;
    assert_eq!(
        ids(&pool, "contacts").await,
        (1..=RECORDS as i64).collect::<Vec<_>>()
    );
    let log = request_log(&pool).await;
    assert_eq!(log.len() as u64, stats.requests);
    let limited: Vec<_> = log
        .iter()
        .filter(|r| r.error.as_deref() == Some("status_429"))
        .collect();
    assert_eq!(limited.len() as u64, stats.rate_limited, "{log:#?}");
    assert!(limited.iter().all(|r| r.status == Some(429)));
    // The retry after each 429 waited out its Retry-After (whole seconds).
    for attempts in attempts_by_request(&log) {
        for pair in attempts.windows(2) {
            assert!(
                pair[1].waited_ms >= 900.0,
                "retried {} ms after a 429: {:?}",
                pair[1].waited_ms,
                pair[1]
            );
        }
    }
}

/// The request log tells waiting for the rate limit apart from the server's
/// time: `waited_ms` holds the wait (the field's doc: "backoff, Retry-After,
/// rate limit"), `duration_ms` the request itself.
#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_waits_are_logged_as_waits() {
    const RECORDS: u64 = 100;
    const PAGE: u64 = 5;
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  crm:
    base_url: "{}"
    rate_limit: {{ requests: 10, per: 1s, burst: 1 }}
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
    sandbox.run(&["sync"]).await.expect_code(0);

    let pool = sandbox.pool().await;
    let log = request_log(&pool).await;
    assert_eq!(log.len() as u64, mock.stats().requests);
    // 20 requests at 10/s: each after the first waited about 100 ms.
    let waited: f64 = log.iter().map(|r| r.waited_ms).sum();
    let queued: Vec<f64> = log.iter().map(|r| r.duration_ms).collect();
    assert!(
        waited >= 0.8 * 100.0 * (log.len() - 1) as f64,
        "the rate limit's waits are in waited_ms: {waited} ms in total; \
         durations {queued:?}"
    );
    assert!(
        log.iter().all(|r| r.duration_ms < 80.0),
        "a local mock answers in a few ms, the rate limit's wait is no part of \
         duration_ms: {queued:?}"
    );
}

/// With no `rate_limit:` of its own, the client still never hits the server's
/// limit: `X-RateLimit-Remaining: 0` with its `X-RateLimit-Reset` pauses the
/// connection until the window has room.
#[tokio::test(flavor = "multi_thread")]
async fn server_rate_limit_headers_slow_the_client_before_a_429() {
    let mock = common::start_mock_with(MockConfig {
        records: 300,
        rate_limit: Some(MockRateLimit {
            requests: 10,
            per: Duration::from_secs(1),
        }),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  crm:
    base_url: "{}"
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: 10 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
"#,
        mock.url()
    ));
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    assert_eq!(
        ids(&pool, "contacts").await,
        (1..=300).collect::<Vec<i64>>()
    );
    let stats = mock.stats();
    assert_eq!(
        stats.rate_limited, 0,
        "the headers kept the client under the limit: {stats:?}"
    );
    assert_eq!(stats.requests, 30, "one request per page, none rejected");
    assert!(mock.max_requests_in_window(Duration::from_secs(1)) <= 10);
}
