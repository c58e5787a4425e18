//! Issue 13: memory grows by a small fixed amount per stream in one `sync`,
//! not with the pages all streams would hold at once.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::fmt::Write as _;

use common::Sandbox;
use serde_json::Value;

const STREAMS: usize = 300;
const RECORDS: u64 = 100;

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_three_hundred_streams_in_one_sync_stay_small() {
    let mock = common::start_mock(RECORDS).await;
    let mut yaml = format!(
        "connections:\n  crm:\n    base_url: \"{}\"\nstreams:\n",
        mock.url()
    );
    for i in 0..STREAMS {
        write!(
            yaml,
            "  s{i}:\n    connection: crm\n    request: {{ path: /v2/contacts, params: {{ limit: 50 }} }}\n    \
             paginate: {{ type: cursor, next: \"$.meta.next_cursor\", param: cursor }}\n    \
             records: \"$.data[*]\"\n    primary_key: id\n"
        )
        .expect("write");
    }
    let sandbox = Sandbox::new();
    sandbox.write_config(&yaml);
    let out = sandbox.run(&["sync", "--json"]).await;
    out.expect_code(0);
    let result: Value = serde_json::from_str(out.stdout.trim()).expect("json");
    let streams = result["streams"].as_array().expect("streams");
    assert_eq!(streams.len(), STREAMS);
    let records: u64 = streams.iter().filter_map(|s| s["records"].as_u64()).sum();
    assert_eq!(records, STREAMS as u64 * RECORDS);
    let pool = sandbox.pool().await;
    assert_eq!(common::count(&pool, "s0").await, RECORDS as i64);
    assert_eq!(
        common::count(&pool, &format!("s{}", STREAMS - 1)).await,
        RECORDS as i64
    );
    let peak = result["peak_rss_bytes"].as_u64().expect("peak");
    eprintln!(
        "peak RSS of one sync of {STREAMS} streams: {} MB",
        peak / 1_000_000
    );
    assert!(
        peak < 150_000_000,
        "{STREAMS} streams in one sync peaked at {peak} bytes"
    );
}
