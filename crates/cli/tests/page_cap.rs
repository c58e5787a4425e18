//! An API that quietly caps its page size is drift: the mock serves at most
//! 1,000 records a page, the connector asks for 2,000.

mod common;

use common::{Sandbox, cursor_connector, drift_entries, ids};

#[tokio::test(flavor = "multi_thread")]
async fn a_capped_page_size_is_recorded_once_and_nothing_is_lost() {
    let mock = common::start_mock(2_500).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 2_000, ""));
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);

    let pool = sandbox.pool().await;
    assert_eq!(
        ids(&pool, "contacts").await,
        (1..=2_500).collect::<Vec<i64>>()
    );
    let capped: Vec<_> = drift_entries(&pool)
        .await
        .into_iter()
        .filter(|d| d.kind == "page_size_capped")
        .collect();
    assert_eq!(capped.len(), 1, "once per run, not per page: {capped:?}");
    assert_eq!(
        (capped[0].before.as_str(), capped[0].after.as_str()),
        ("asked 2000", "got 1000")
    );
    let drift = sandbox.run(&["drift"]).await;
    assert!(drift.stdout.contains("page_size_capped"), "{drift}");
}
