//! Incremental sync: the second run asks for what changed since the saved
//! cursor and touches exactly the changed rows; `--full-refresh` reads all.

mod common;

use common::{Sandbox, count, ids, mock_contacts, query_param, runs, state};
use serde_json::Value;

const RECORDS: u64 = 500;

fn connector(base_url: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
streams:
  contacts:
    connection: crm
    request:
      path: /v2/contacts
      params: {{ updated_since: "{{{{ cursor }}}}", limit: 100 }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
    incremental: {{ cursor_field: updated_at }}
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn second_run_reads_only_the_changes() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));

    // First run: everything, no `updated_since` sent.
    sandbox.run(&["sync"]).await.expect_code(0);
    let first_requests = mock.requests();
    assert_eq!(first_requests.len(), 5, "500 records, 100 a page");
    assert!(
        first_requests
            .iter()
            .all(|r| query_param(&r.query, "updated_since").is_none()),
        "a first run has no cursor: {first_requests:?}"
    );
    let pool = sandbox.pool().await;
    assert_eq!(
        ids(&pool, "contacts").await,
        (1..=500).collect::<Vec<i64>>()
    );
    let served = mock_contacts(&mock.url()).await;
    let saved = state(&pool, "contacts").await.expect("state saved");
    assert_eq!(
        saved["cursor"], served[&500]["updated_at"],
        "the cursor is the highest updated_at seen"
    );
    assert!(saved.get("progress").is_none(), "finished run: {saved}");
    let saved_cursor = saved["cursor"].as_str().expect("string cursor").to_owned();

    // Ten contacts change upstream.
    let mut touched: Vec<i64> = mock.touch(10).into_iter().map(|id| id as i64).collect();
    touched.sort_unstable();
    assert_eq!(touched.len(), 10);
    let before = mock.stats().requests;

    sandbox.run(&["sync"]).await.expect_code(0);
    let all = runs(&pool).await;
    assert_eq!(all.len(), 2);
    let run2 = &all[1];
    // The mock's `updated_since` is inclusive: the record at the cursor comes
    // back once more, unchanged (unless it was one of the touched ones).
    let boundary = if touched.contains(&500) { 0 } else { 1 };
    assert_eq!(
        (
            run2.outcome.as_str(),
            run2.created,
            run2.updated,
            run2.unchanged
        ),
        ("succeeded", 0, 10, boundary),
        "second run: {run2:?}"
    );
    let changed: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM contacts WHERE _updated_run = ? ORDER BY id")
            .bind(run2.id)
            .fetch_all(&pool)
            .await
            .expect("changed ids");
    assert_eq!(changed, touched, "exactly the touched rows changed");
    let last_change: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM contacts WHERE _last_change = 2 ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("_last_change");
    assert_eq!(last_change, touched);

    // The request carried the saved cursor, and only one page was needed.
    let seen = mock.requests();
    assert_eq!(mock.stats().requests - before, 1, "11 records fit one page");
    let last = seen.last().expect("a request");
    assert_eq!(last.path, "/v2/contacts");
    assert_eq!(
        query_param(&last.query, "updated_since").as_deref(),
        Some(saved_cursor.as_str()),
        "query: {}",
        last.query
    );

    // The rows hold the new versions, and the cursor moved to the newest.
    let now = mock_contacts(&mock.url()).await;
    let rows = common::raw_by_id(&pool, "contacts").await;
    for id in &touched {
        let stored = &rows[&id.to_string()];
        assert_eq!(stored, &now[id], "contact {id}");
        assert_eq!(stored["version"], 2, "contact {id}");
    }
    let newest = now
        .values()
        .map(|c| c["updated_at"].as_str().unwrap_or_default().to_owned())
        .max()
        .expect("contacts");
    let saved = state(&pool, "contacts").await.expect("state");
    assert_eq!(saved["cursor"], Value::String(newest));

    // --full-refresh ignores the cursor: all 500 again, all unchanged.
    let before = mock.requests().len();
    sandbox
        .run(&["sync", "--full-refresh"])
        .await
        .expect_code(0);
    let all = runs(&pool).await;
    let run3 = &all[2];
    assert_eq!(
        (
            run3.outcome.as_str(),
            run3.created,
            run3.updated,
            run3.unchanged
        ),
        ("succeeded", 0, 0, 500),
        "full refresh: {run3:?}"
    );
    let refresh = &mock.requests()[before..];
    assert_eq!(refresh.len(), 5, "a full read: {refresh:?}");
    assert!(
        query_param(&refresh[0].query, "updated_since").is_none(),
        "a full refresh sends no cursor: {}",
        refresh[0].query
    );
    assert_eq!(count(&pool, "contacts").await, 500);
}
