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
