//! Issue 14, item 3: `lookback` on a cursor that is not RFC 3339. The
//! mock's `/v3/contacts` writes `updated_at` as SQLite does
//! (`2024-01-01 00:00:50`) and filters on `updated_since` in that form; the
//! second sync must ask from the saved cursor minus the lookback, written
//! the same way, never the cursor unchanged. A cursor that cannot be read as
//! a time fails the run (and `check`) with a clear error, never silently.

mod common;

use common::{Sandbox, count, query_param, runs, state};
use serde_json::json;

const RECORDS: u64 = 50;

/// A connector over `/v3/contacts` with `incremental` as given.
fn connector(base_url: &str, incremental: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
streams:
  contacts:
    connection: crm
    request:
      path: /v3/contacts
      params: {{ updated_since: "{{{{ cursor }}}}", limit: 20 }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
    incremental: {incremental}
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn lookback_moves_a_sqlite_form_cursor_back_in_the_same_form() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        &mock.url(),
        "{ cursor_field: updated_at, lookback: 30s }",
    ));

    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    assert_eq!(count(&pool, "contacts").await, 50);
    let saved = state(&pool, "contacts").await.expect("state saved");
    assert_eq!(
        saved["cursor"],
        json!("2024-01-01 00:00:50"),
        "the newest updated_at, as served"
    );

    let before = mock.requests().len();
    sandbox.run(&["sync"]).await.expect_code(0);
    let second = &mock.requests()[before..];
    let first = second.first().expect("the second sync made a request");
    assert_eq!(first.path, "/v3/contacts");
    assert_eq!(
        query_param(&first.query, "updated_since").as_deref(),
        Some("2024-01-01 00:00:20"),
        "the cursor minus 30s, in SQLite's form: {}",
        first.query
    );
    // 00:00:20 .. 00:00:50 inclusive: contacts 20..=50 read again, unchanged.
    let run2 = runs(&pool).await.last().expect("run").clone();
    assert_eq!(
        (run2.outcome.as_str(), run2.unchanged, run2.created),
        ("succeeded", 31, 0),
        "{run2:?}"
    );
    let saved = state(&pool, "contacts").await.expect("state saved");
    assert_eq!(saved["cursor"], json!("2024-01-01 00:00:50"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_that_is_not_a_time_fails_the_first_page_with_lookback() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    // `details` holds JSON text: no time, no number
    sandbox.write_config(&connector(
        &mock.url(),
        "{ cursor_field: details, lookback: 5m }",
    ));
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(1);
    let text = out.all_text();
    for needle in [
        "stream `contacts`",
        "cannot be read as a time or a number",
        "the cursor \"{\\\"id\\\":",
        "cursor_format",
    ] {
        assert!(text.contains(needle), "`{needle}` missing:\n{out}");
    }
    let pool = sandbox.pool().await;
    assert_eq!(
        count(&pool, "contacts").await,
        0,
        "nothing of the page is written"
    );
    let run = runs(&pool).await.last().expect("run").clone();
    assert_eq!(run.outcome, "failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_refuses_a_cursor_format_that_names_no_date() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        "http://127.0.0.1:9",
        "{ cursor_field: updated_at, lookback: 5m, cursor_format: \"%H:%M\" }",
    ));
    let out = sandbox.run(&["check"]).await;
    out.expect_code(2);
    assert!(
        out.stderr.contains("cursor_format")
            && out.stderr.contains("cannot be read back as a time")
            && out.stderr.contains("holdfast.yaml:"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_cursor_format_writes_back_in_its_pattern() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    // the mock writes SQLite times; naming the pattern reads them the same way
    sandbox.write_config(&connector(
        &mock.url(),
        "{ cursor_field: updated_at, lookback: 1m, cursor_format: \"%Y-%m-%d %H:%M:%S\" }",
    ));
    sandbox.run(&["sync"]).await.expect_code(0);
    let before = mock.requests().len();
    sandbox.run(&["sync"]).await.expect_code(0);
    let first = &mock.requests()[before];
    assert_eq!(
        query_param(&first.query, "updated_since").as_deref(),
        Some("2023-12-31 23:59:50"),
        "{}",
        first.query
    );
}
