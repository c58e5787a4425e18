//! GraphQL streams against a real GraphQL server (graphql-yoga from npm,
//! with a schema of ours): Relay pagination in both connector-file forms,
//! the body each page sent, `errors` answers that never write (partial data
//! included), throttling retried, and a `pageInfo` that lies.

mod common;

#[path = "support/graphql_server.rs"]
mod graphql_server;

use common::{Sandbox, runs};
use graphql_server::{GraphqlServer, Mode};
use serde_json::{Value, json};

const QUERY: &str = "query Products($first: Int!, $after: String) { products(first: $first, after: $after) { nodes { id title price } pageInfo { hasNextPage endCursor } } }";

fn connector(base_url: &str, first: u64, paginate: &str) -> String {
    format!(
        r#"connections:
  shop:
    base_url: "{base_url}"
    retry: {{ attempts: 3, initial: 10ms, max: 50ms }}
streams:
  products:
    connection: shop
    request:
      path: /graphql
      graphql:
        query: "{QUERY}"
        variables: {{ first: {first}, after: null }}
    paginate: {paginate}
    records: "$.data.products.nodes[*]"
    primary_key: id
"#
    )
}

const RELAY: &str = r#"{ type: relay, page_info: "$.data.products.pageInfo" }"#;

/// Rows of `products` by id, or none when the table was never created.
async fn products(sandbox: &Sandbox) -> Vec<(String, Value)> {
    let pool = sandbox.pool().await;
    let exists: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'products'")
            .fetch_one(&pool)
            .await
            .expect("sqlite_master");
    if exists == 0 {
        return Vec::new();
    }
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, _raw FROM products ORDER BY _raw ->> 'price'")
            .fetch_all(&pool)
            .await
            .expect("products");
    rows.into_iter()
        .map(|(id, raw)| (id, serde_json::from_str(&raw).expect("_raw is JSON")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn relay_pages_land_and_each_page_sends_the_cursor_in_variables() {
    let server = GraphqlServer::start(7, Mode::Ok).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&server.url(), 3, RELAY));
    sandbox.run(&["sync"]).await.expect_code(0);
    let rows = products(&sandbox).await;
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0].0, "gid://shop/Product/1");
    assert_eq!(
        rows[6].1,
        json!({"id": "gid://shop/Product/7", "title": "Product 7", "price": 700})
    );
    let log = server.log().await;
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(
        log.iter().all(|r| r["query"] == QUERY),
        "the query as written"
    );
    assert_eq!(log[0]["variables"], json!({"first": 3, "after": null}));
    let after: Vec<&Value> = log.iter().map(|r| &r["variables"]["after"]).collect();
    assert!(
        after[1].is_string() && after[2].is_string() && after[1] != after[2],
        "{after:?}"
    );
    assert!(log.iter().all(|r| r["variables"]["first"] == 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_long_form_cursor_in_the_body_reads_the_same() {
    let server = GraphqlServer::start(7, Mode::Ok).await;
    let sandbox = Sandbox::new();
    // Without `stop_when`, the last page's `endCursor` is followed to an
    // empty page (a fourth request); `stop_when` on `hasNextPage` saves it.
    let paginate = r#"{ type: cursor, next: "$.data.products.pageInfo.endCursor", in: body, at: /variables/after, expect_more: "$.data.products.pageInfo.hasNextPage" }"#;
    sandbox.write_config(&connector(&server.url(), 3, paginate));
    sandbox.run(&["sync"]).await.expect_code(0);
    assert_eq!(products(&sandbox).await.len(), 7);
    assert_eq!(server.log().await.len(), 4);

    let server = GraphqlServer::start(7, Mode::Ok).await;
    let sandbox = Sandbox::new();
    let paginate = r#"{ type: cursor, next: "$.data.products.pageInfo.endCursor", in: body, at: /variables/after, stop_when: "not body.data.products.pageInfo.hasNextPage" }"#;
    sandbox.write_config(&connector(&server.url(), 3, paginate));
    sandbox.run(&["sync"]).await.expect_code(0);
    assert_eq!(products(&sandbox).await.len(), 7);
    assert_eq!(server.log().await.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_errors_answer_never_writes_its_partial_data() {
    let server = GraphqlServer::start(7, Mode::Errors).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&server.url(), 5, RELAY));
    let out = sandbox.run(&["sync"]).await;
    assert_ne!(out.code, Some(0), "{out}");
    let text = out.all_text();
    assert!(
        text.contains("title of product 3 is unavailable"),
        "the GraphQL error is quoted: {out}"
    );
    assert!(text.contains("partial `data` is not used"), "{out}");
    assert!(products(&sandbox).await.is_empty(), "nothing lands");
    let pool = sandbox.pool().await;
    let all = runs(&pool).await;
    assert_eq!((all[0].outcome.as_str(), all[0].created), ("failed", 0));
    // A failed answer is not retried: one request.
    assert_eq!(server.log().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_answer_is_retried() {
    let server = GraphqlServer::start(7, Mode::ThrottleOnce).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&server.url(), 5, RELAY));
    sandbox.run(&["sync"]).await.expect_code(0);
    assert_eq!(products(&sandbox).await.len(), 7);
    let log = server.log().await;
    assert_eq!(
        log.len(),
        3,
        "the first page twice, then the second: {log:?}"
    );
    assert_eq!(log[0]["variables"], log[1]["variables"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn has_next_page_without_an_end_cursor_is_an_error() {
    let server = GraphqlServer::start(4, Mode::NullCursor).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&server.url(), 2, RELAY));
    let out = sandbox.run(&["sync"]).await;
    assert_ne!(out.code, Some(0), "{out}");
    assert!(
        out.all_text()
            .contains("`$.data.products.pageInfo.hasNextPage` is true but there is no `endCursor`"),
        "{out}"
    );
    let pool = sandbox.pool().await;
    let all = runs(&pool).await;
    assert_eq!((all[0].outcome.as_str(), all[0].created), ("failed", 2));
}
