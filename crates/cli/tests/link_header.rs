//! `Link` header pagination against servers: json-server 0.17 from npm
//! (`first`, `next`, `last` in one header), the mock's GitHub style (`next`
//! followed by `last`) and a malformed header, which fails the run instead of
//! reading as "no next page" (issue 14).

mod common;
#[path = "support/json_server.rs"]
mod json_server;

use common::{Sandbox, count, ids, runs};
use json_server::JsonServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn json_server_pages_all_land() {
    let items: Vec<_> = (1..=95)
        .map(|i| json!({"id": i, "name": format!("item {i}")}))
        .collect();
    let server = JsonServer::start(&json!({ "items": items })).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  js:
    base_url: "{}"
streams:
  items:
    connection: js
    request: {{ path: /items, params: {{ _page: 1, _limit: 10 }} }}
    paginate: {{ type: link_header }}
    records: "$[*]"
    primary_key: id
"#,
        server.url()
    ));
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    let pool = sandbox.pool().await;
    assert_eq!(ids(&pool, "items").await, (1..=95).collect::<Vec<i64>>());
    let all = runs(&pool).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!((all[0].outcome.as_str(), all[0].pages), ("succeeded", 10));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_link_header_fails_the_run() {
    let mock = common::start_mock(250).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&common::contacts_connector(
        &mock.url(),
        "{ path: /github/contacts, params: { per_page: 100, broken_link: 1 } }",
        "{ type: link_header }",
    ));
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(1);
    let pool = sandbox.pool().await;
    let all = runs(&pool).await;
    assert_eq!(all[0].outcome, "failed", "{all:?}");
    let error = all[0].error.as_deref().unwrap_or_default();
    for needle in [
        "stream `contacts`",
        "/github/contacts?per_page=100&broken_link=1: the `Link` header `<http://",
        "cannot be read (expected `>` to close the link target at character 2)",
    ] {
        assert!(
            error.contains(needle),
            "run error lacks {needle:?}: {error}"
        );
        assert!(
            out.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{out}"
        );
    }
    // Page 1 is not committed as if it were the whole listing.
    assert_eq!(count(&pool, "contacts").await, 0);
}
