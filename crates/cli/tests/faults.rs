//! One fault kind at a time, injected by the mock into a share of the data
//! requests of a paged sync: the sync still exits 0 with every record exactly
//! once and no error body stored as a record, `Retry-After` is honoured, and
//! the request log holds one row per attempt the mock saw, the failed ones
//! with the right error class. A non-retryable 4xx fails fast instead.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::collections::BTreeMap;

use common::{Sandbox, attempts_by_request, ids, raw_by_id, request_log, runs};
use holdfast_mock::{FaultProfile, MockAuth, MockConfig};

/// The mock's seed: fixes both the records and the fault draws.
const SEED: u64 = 17;
const PAGE: u64 = 100;
const PATH: &str = "/v2/contacts";
const ERROR_RULE: &str = r#"
    errors:
      - when: "status == 200 and body.success == false"
        action: retry"#;

/// One fault kind to inject.
struct Case {
    /// The mock's fault spec (`FaultProfile::parse`).
    faults: &'static str,
    /// The kind's key in the mock's stats (`MockStats::faults`).
    key: &'static str,
    /// The error class the request log gives a faulted attempt.
    class: &'static str,
    /// The status a faulted attempt is logged with (`None`: no answer).
    status: Option<i64>,
    /// Contacts served.
    records: u64,
    /// Extra connection settings (YAML lines, indented by 4).
    connection: &'static str,
}

fn connector(base_url: &str, extra: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
    retry: {{ attempts: 8, initial: 10ms, max: 100ms, max_wait: 1m }}{extra}
streams:
  contacts:
    connection: crm
    request: {{ path: {PATH}, params: {{ limit: {PAGE} }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

/// Syncs `case.records` contacts in pages of 100 through the faults.
async fn sync_through(case: Case) {
    let what = case.key;
    let mock = common::start_mock_with(MockConfig {
        records: case.records,
        seed: SEED,
        faults: FaultProfile::parse(case.faults).expect("fault spec"),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), case.connection));

    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    let pool = sandbox.pool().await;

    // Every record exactly once, none of them an error body.
    let n = case.records as i64;
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
        assert!(object.contains_key("email"), "{what}: row {id}: {raw}");
    }
    let all = runs(&pool).await;
    assert_eq!(all.len(), 1, "{what}: {all:?}");
    assert_eq!(all[0].outcome, "succeeded", "{what}: {all:?}");
    assert_eq!(all[0].created, n, "{what}: {all:?}");

    // The mock really injected this fault, and nothing else.
    let stats = mock.stats();
    let injected = stats.faults.get(case.key).copied().unwrap_or(0);
    eprintln!(
        "{what}: {} requests for {} pages, {injected} faulted",
        stats.requests, stats.served_ok
    );
    assert!(injected > 0, "{what}: no fault injected: {stats:?}");
    assert_eq!(
        stats.faults.keys().collect::<Vec<_>>(),
        vec![case.key],
        "{what}: {stats:?}"
    );
    assert_eq!(
        stats.requests,
        stats.served_ok + injected,
        "{what}: {stats:?}"
    );
    assert_eq!(stats.served_ok, all[0].pages as u64, "{what}: {stats:?}");
    assert_eq!(stats.retry_after_violations, 0, "{what}: {stats:?}");
    assert_eq!(stats.rate_limited, 0, "{what}: {stats:?}");

    // One log row per attempt the mock saw; the faulted ones classed.
    let log = request_log(&pool).await;
    assert_eq!(
        log.len() as u64,
        stats.requests,
        "{what}: log rows vs requests the mock saw\n{log:#?}"
    );
    let mut classes: BTreeMap<Option<&str>, u64> = BTreeMap::new();
    for row in &log {
        *classes.entry(row.error.as_deref()).or_default() += 1;
    }
    let expected: BTreeMap<Option<&str>, u64> =
        BTreeMap::from([(None, stats.served_ok), (Some(case.class), injected)]);
    assert_eq!(classes, expected, "{what}: error classes\n{log:#?}");
    for row in &log {
        assert_eq!(row.endpoint.as_deref(), Some("GET /v2/contacts"), "{what}");
        assert_eq!(row.stream.as_deref(), Some("contacts"), "{what}");
        assert_eq!(row.run_id, Some(all[0].id), "{what}");
        if row.error.is_some() {
            assert_eq!(row.status, case.status, "{what}: {row:?}");
            assert!(row.message.is_some(), "{what}: no message: {row:?}");
        } else {
            assert_eq!(row.status, Some(200), "{what}: {row:?}");
            assert!(row.bytes > 0, "{what}: {row:?}");
        }
    }
    // Each request: failed attempts 1..k-1, then a success at attempt k.
    let groups = attempts_by_request(&log);
    assert_eq!(
        groups.len() as u64,
        stats.served_ok,
        "{what}: one group per page"
    );
    for attempts in &groups {
        let numbers: Vec<i64> = attempts.iter().map(|r| r.attempt).collect();
        assert_eq!(
            numbers,
            (1..=attempts.len() as i64).collect::<Vec<_>>(),
            "{what}: attempt numbers of {}",
            attempts[0].url
        );
        let (last, failed) = attempts.split_last().expect("non-empty");
        assert!(last.error.is_none(), "{what}: {last:?}");
        assert!(
            failed.iter().all(|r| r.error.is_some()),
            "{what}: {failed:?}"
        );
    }
    assert!(
        groups.iter().any(|g| g.len() > 1),
        "{what}: some request was retried"
    );

    // A retry after a 429 waited for Retry-After (1 s).
    if case.key == "429" {
        for attempts in &groups {
            for pair in attempts.windows(2) {
                assert!(
                    pair[1].waited_ms >= 900.0,
                    "{what}: retried {} ms after a 429 asking for 1 s: {:?}",
                    pair[1].waited_ms,
                    pair[1]
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_requests_retry_after_seconds() {
    sync_through(Case {
        faults: "429=25%,retry_after=1s",
        key: "429",
        class: "status_429",
        status: Some(429),
        records: 1000,
        connection: "",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_requests_retry_after_http_date() {
    sync_through(Case {
        faults: "429=25%,retry_after=date",
        key: "429",
        class: "status_429",
        status: Some(429),
        records: 1000,
        connection: "",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn internal_server_error() {
    sync_through(Case {
        faults: "500=25%",
        key: "500",
        class: "status_5xx",
        status: Some(500),
        records: 2000,
        connection: "",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn service_unavailable() {
    sync_through(Case {
        faults: "503=25%",
        key: "503",
        class: "status_5xx",
        status: Some(503),
        records: 2000,
        connection: "",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_past_the_timeout() {
    sync_through(Case {
        faults: "slow=25%,slow_delay=2s",
        key: "slow",
        class: "timeout",
        status: None,
        records: 2000,
        connection: "\n    timeout: 300ms",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_connection() {
    sync_through(Case {
        faults: "dropped=25%",
        key: "dropped",
        class: "connect",
        status: None,
        records: 2000,
        connection: "",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn html_with_200() {
    sync_through(Case {
        faults: "html=25%",
        key: "html",
        class: "not_json",
        status: Some(200),
        records: 2000,
        connection: "",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn error_body_with_200_and_an_errors_rule() {
    sync_through(Case {
        faults: "error_body=25%",
        key: "error_body",
        class: "rule",
        status: Some(200),
        records: 2000,
        connection: ERROR_RULE,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json() {
    sync_through(Case {
        faults: "malformed=25%",
        key: "malformed",
        class: "not_json",
        status: Some(200),
        records: 2000,
        connection: "",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_json() {
    sync_through(Case {
        faults: "truncated=25%",
        key: "truncated",
        class: "body",
        status: Some(200),
        records: 2000,
        connection: "",
    })
    .await;
}

/// A wrong bearer token gets a 401, which no retry can fix: one request, exit 1.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_token_fails_fast() {
    let mock = common::start_mock_with(MockConfig {
        records: 1000,
        seed: SEED,
        auth: Some(MockAuth::Bearer("right-token-1234".to_owned())),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        &mock.url(),
        "\n    auth: { type: bearer, token: wrong-token-5678 }",
    ));

    let out = sandbox.run(&["sync"]).await;
    out.expect_code(1);
    assert!(out.stderr.contains("401"), "names the status:\n{out}");
    let stats = mock.stats();
    assert_eq!(stats.requests, 1, "exactly one request: {stats:?}");

    let pool = sandbox.pool().await;
    let log = request_log(&pool).await;
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!(
        (log[0].status, log[0].error.as_deref(), log[0].attempt),
        (Some(401), Some("status_4xx"), 1),
        "{:?}",
        log[0]
    );
    let all = runs(&pool).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].outcome, "failed", "{all:?}");
    assert_eq!(log[0].run_id, Some(all[0].id));
    assert_eq!(common::count(&pool, "contacts").await, 0);
}
