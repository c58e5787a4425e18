//! The request log: kept with pages or on its own, read per run, summarised per endpoint.

use std::time::Duration;

use super::{at, table};
use crate::prelude::*;
use crate::{PageCommit, RequestRow, RunId, StreamState};

fn attempt(run: RunId, ms: u64, error: Option<&str>, n: u32) -> RequestRow {
    RequestRow {
        run: Some(run),
        stream: Some("contacts".into()),
        connection: "crm".into(),
        endpoint: Some("GET /v2/contacts".into()),
        at: at(i64::from(n)),
        method: "GET".into(),
        url: format!("http://127.0.0.1/v2/contacts?page={n}"),
        status: Some(if error.is_some() { 503 } else { 200 }),
        duration: Duration::from_millis(ms),
        attempt: 1,
        bytes: 100,
        error: error.map(str::to_owned),
        message: error.map(|e| format!("answered 503: {e}")),
        waited: Duration::from_millis(250),
        deprecation: (n == 7).then(|| "@1735689600".to_owned()),
        sunset: None,
    }
}

/// Rows committed with a page or logged alone come back per run, in order,
/// and endpoint stats count failures and rank latencies.
pub async fn kept_per_run_and_summarised_per_endpoint(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let with_page: Vec<RequestRow> = (1..=9)
        .map(|n| attempt(run, u64::from(n) * 10, None, n))
        .collect();
    store
        .commit_page(PageCommit {
            run,
            stream: "contacts",
            table: &t,
            records: &[],
            tombstones: &[],
            deletions: &[],
            quarantined: &[],
            state: &StreamState::default(),
            requests: &with_page,
            resolved: &[],
            shape: None,
            drift: &[],
            now: at(10),
        })
        .await
        .expect("commit");
    store
        .log_requests(&[attempt(run, 1000, Some("status_5xx"), 10)])
        .await
        .expect("log");
    let rows = store.requests(run, 100).await.expect("read");
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[0], with_page[0], "a row reads back as written");
    assert_eq!(rows[9].error.as_deref(), Some("status_5xx"));
    let stats = store.endpoint_stats(at(0)).await.expect("stats");
    assert_eq!(stats.len(), 1);
    let s = &stats[0];
    assert_eq!((s.attempts, s.failed), (10, 1));
    assert!((s.success_rate() - 0.9).abs() < 1e-9);
    assert_eq!(s.p50, Duration::from_millis(60));
    assert_eq!(s.p99, Duration::from_millis(1000));
    assert_eq!(s.deprecation.as_deref(), Some("@1735689600"));
    assert!(
        store
            .endpoint_stats(at(100))
            .await
            .expect("stats")
            .is_empty(),
        "window respected"
    );
}

/// Failed attempts come back grouped by connection, stream and class, the
/// most frequent class first, with the last one's status and message; rows
/// without a stream come last, successes and rows before the window not at all.
pub async fn failures_grouped_by_class(store: &dyn Store) {
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let failed = |n: u32, class: &str, status: Option<u16>| RequestRow {
        status,
        message: Some(format!("failure {n}")),
        ..attempt(run, 10, Some(class), n)
    };
    let mut action = failed(25, "timeout", None);
    action.stream = None;
    action.run = None;
    store
        .log_requests(&[
            failed(1, "status_5xx", Some(500)),
            failed(20, "status_429", Some(429)),
            failed(21, "status_5xx", Some(502)),
            failed(23, "status_5xx", Some(503)),
            attempt(run, 10, None, 24),
            action,
        ])
        .await
        .expect("log");
    let modes = store.failure_modes(at(10)).await.expect("failure modes");
    let seen: Vec<(Option<&str>, &str, u64)> = modes
        .iter()
        .map(|m| (m.stream.as_deref(), m.error.as_str(), m.count))
        .collect();
    assert_eq!(
        seen,
        vec![
            (Some("contacts"), "status_5xx", 2),
            (Some("contacts"), "status_429", 1),
            (None, "timeout", 1),
        ]
    );
    let five = &modes[0];
    assert_eq!(five.connection, "crm");
    assert_eq!((five.first_at, five.last_at), (at(21), at(23)));
    assert_eq!(five.last_status, Some(503));
    assert_eq!(five.last_message.as_deref(), Some("failure 23"));
    assert_eq!(modes[2].last_status, None);
    assert!(
        store.failure_modes(at(30)).await.expect("empty").is_empty(),
        "window respected"
    );
}
