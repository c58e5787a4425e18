//! `connectors/shopify.yaml` (issue 16): Shopify's GraphQL Admin API out of
//! a replay of its documented answers: products as a Relay connection (a
//! THROTTLED answer retried, an `errors` answer with partial data never
//! written), and the catalogue as a bulk operation (`bulkOperationRunQuery`,
//! polled by `node(id:)` until COMPLETED, its JSON Lines file downloaded,
//! `rootObjectCount` rows required).

#[path = "support/catalog.rs"]
mod catalog;
mod common;
#[path = "support/replay.rs"]
mod replay;

use catalog::*;
use common::Sandbox;
use replay::Replay;
use serde_json::json;

/// The GraphQL endpoint, API version pinned in the path.
const GRAPHQL: &str = "/admin/api/2025-01/graphql.json";

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_operation_is_started_polled_and_its_file_read() {
    let replay = Replay::start("shopify").await;
    let sandbox = Sandbox::new();
    run(
        &sandbox,
        "shopify",
        &replay,
        &["sync", "products_bulk"],
        &[],
    )
    .await
    .expect_code(0);
    replay.assert_all_matched();
    let seen = replay.requests();
    let fixtures: Vec<&str> = seen
        .iter()
        .map(|s| s.fixture.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(
        fixtures,
        [
            "3-bulk-create.json",
            "4-bulk-poll.json",
            "4-bulk-poll.json",
            "5-bulk-file.json"
        ],
        "create once, poll until COMPLETED, then download: {:?}",
        replay.lines()
    );
    // the poll asks about this operation, by the id the create answer gave
    assert_eq!(
        seen[1].json()["variables"],
        json!({ "id": "gid://shopify/BulkOperation/720918" })
    );
    for s in &seen[..3] {
        assert_eq!((s.method.as_str(), s.path.as_str()), ("POST", GRAPHQL));
        assert_eq!(s.header("x-shopify-access-token"), Some(SHOPIFY_TOKEN));
        assert!(
            s.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{:?}",
            s.headers
        );
    }
    let pool = sandbox.pool().await;
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id, title, status, total_inventory FROM shopify_products_export ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .expect("shopify_products_export");
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str(), r.3))
        .collect();
    assert_eq!(
        got,
        [
            ("gid://shopify/Product/108828309", "Draft", "draft", 0),
            ("gid://shopify/Product/121709582", "Boots", "active", 12),
            (
                "gid://shopify/Product/912855135",
                "SEO Boots",
                "archived",
                3
            ),
            (
                "gid://shopify/Product/929898465",
                "Snowboard «Ünïcode»",
                "active",
                7
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn products_page_as_a_relay_connection_through_a_throttled_answer() {
    let replay = Replay::start("shopify").await;
    let sandbox = Sandbox::new();
    run(&sandbox, "shopify", &replay, &["sync", "products"], &[])
        .await
        .expect_code(0);
    replay.assert_all_matched();
    let seen = replay.requests_to("POST", GRAPHQL);
    let fixtures: Vec<&str> = seen
        .iter()
        .map(|s| s.fixture.as_deref().unwrap_or_default())
        .collect();
    // the second page answered THROTTLED once, then was asked again
    assert_eq!(
        fixtures,
        [
            "1-products.json",
            "2-products-after.json",
            "2-products-after.json"
        ],
        "{:?}",
        replay.lines()
    );
    assert_eq!(
        seen[0].json()["variables"],
        json!({ "first": 250, "after": null })
    );
    assert_eq!(
        seen[1].json()["variables"]["after"],
        "eyJsYXN0X2lkIjoxMjE3MDk1ODIsImxhc3RfdmFsdWUiOiIxMjE3MDk1ODIifQ=="
    );
    assert!(
        seen.iter()
            .all(|s| s.header("x-shopify-access-token") == Some(SHOPIFY_TOKEN))
    );
    let pool = sandbox.pool().await;
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, handle, status FROM shopify_products ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("shopify_products");
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("gid://shopify/Product/108828309", "draft", "draft"),
            ("gid://shopify/Product/121709582", "boots", "active"),
            ("gid://shopify/Product/912855135", "seo-boots", "archived"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_graphql_error_answer_writes_nothing() {
    // `fixtures/shopify/faults/`: 200 with data AND an `errors` entry
    let replay = Replay::start_dir(&replay::fixtures_root().join("shopify/faults")).await;
    let sandbox = Sandbox::new();
    let out = run(&sandbox, "shopify", &replay, &["sync", "products"], &[]).await;
    out.expect_code(1);
    replay.assert_all_matched();
    let pool = sandbox.pool().await;
    assert_eq!(common::count(&pool, "shopify_products").await, 0, "{out}");
    assert!(
        out.stderr
            .contains("Access denied for totalInventory field"),
        "{out}"
    );
}
