//! Independent streams sync at once; on a fresh store each prepares its own
//! table concurrently, and every one of them must still succeed.

mod common;

use std::fmt::Write as _;

use common::{Sandbox, ids, runs};

const RECORDS: u64 = 150;
const STREAMS: usize = 6;

#[tokio::test(flavor = "multi_thread")]
async fn independent_streams_on_a_fresh_store() {
    let mock = common::start_mock(RECORDS).await;
    let mut yaml = format!(
        "connections:\n  crm:\n    base_url: \"{}\"\nstreams:\n",
        mock.url()
    );
    for i in 1..=STREAMS {
        write!(
            yaml,
            r#"  s{i}:
    connection: crm
    request: {{ path: /v2/contacts }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
"#
        )
        .expect("write");
    }
    let sandbox = Sandbox::new();
    sandbox.write_config(&yaml);

    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    let pool = sandbox.pool().await;
    let expected: Vec<i64> = (1..=RECORDS as i64).collect();
    for i in 1..=STREAMS {
        assert_eq!(ids(&pool, &format!("s{i}")).await, expected, "s{i}");
    }
    let all = runs(&pool).await;
    assert_eq!(all.len(), STREAMS, "{all:?}");
    assert!(all.iter().all(|r| r.outcome == "succeeded"), "{all:?}");
}
