//! Issue 13: ids keep their exact value. Integers up to 2^64 - 1 (above
//! SQLite's signed 64-bit range too), decimals and strings land as distinct
//! rows on SQLite and PostgreSQL and read back exactly; an integer beyond
//! 2^64, which lost digits when the body was read, is quarantined with the
//! reason rather than merged with another record.

mod common;
#[path = "../../store-postgres/tests/support/mod.rs"]
mod pg;

use std::collections::BTreeMap;

use common::{Sandbox, quarantine_entries};
use sqlx::Connection as _;

/// One page, written as text so every digit is what the API sent.
const PAGE: &str = r#"{"data": [
  {"id": 18446744073709551615, "n": "u64 max"},
  {"id": 18446744073709551614, "n": "u64 max - 1"},
  {"id": 9223372036854775808, "n": "2^63"},
  {"id": 9223372036854775807, "n": "i64 max"},
  {"id": -9223372036854775808, "n": "i64 min"},
  {"id": 1.5, "n": "decimal"},
  {"id": "18446744073709551613", "n": "string"},
  {"id": 123456789012345678901234, "n": "beyond u64"}
]}"#;

/// What each record's id must read back as (`n` → id as text).
fn expected() -> BTreeMap<String, String> {
    [
        ("u64 max", "18446744073709551615"),
        ("u64 max - 1", "18446744073709551614"),
        ("2^63", "9223372036854775808"),
        ("i64 max", "9223372036854775807"),
        ("i64 min", "-9223372036854775808"),
        ("decimal", "1.5"),
        ("string", "18446744073709551613"),
    ]
    .into_iter()
    .map(|(n, id)| (n.to_owned(), id.to_owned()))
    .collect()
}

/// A server answering every request with [`PAGE`].
async fn api() -> String {
    let app = axum::Router::new().fallback(|| async {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            PAGE,
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

fn connector(url: &str) -> String {
    common::contacts_connector(url, "{ path: /items }", "{ type: none }")
}

/// `sync --json` with `store`: its one stream's summary.
async fn sync(sandbox: &Sandbox, store: &str) -> serde_json::Value {
    let config = sandbox.config.display().to_string();
    let out = sandbox
        .run_raw(&["sync", "--json", "--config", &config, "--store", store])
        .await;
    out.expect_code(0);
    let summary: serde_json::Value =
        serde_json::from_str(out.stdout.lines().last().unwrap_or("{}")).expect("json");
    summary["streams"][0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_large_ids_stay_distinct_and_exact_on_sqlite() {
    let url = api().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&url));
    let first = sync(&sandbox, &sandbox.store_url()).await;
    assert_eq!(first["created"], 7, "{first}");
    assert_eq!(first["quarantined"], 1, "{first}");
    let again = sync(&sandbox, &sandbox.store_url()).await;
    assert_eq!(again["unchanged"], 7, "{again}");
    assert_eq!(again["created"], 0, "{again}");

    let pool = sandbox.pool().await;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT _raw ->> '$.n', CAST(id AS TEXT) FROM contacts")
            .fetch_all(&pool)
            .await
            .expect("rows");
    assert_eq!(rows.into_iter().collect::<BTreeMap<_, _>>(), expected());
    let quarantined = quarantine_entries(&pool).await;
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    assert!(
        format!("{quarantined:?}").contains("too large to keep exactly"),
        "{quarantined:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_large_ids_stay_distinct_and_exact_on_postgres() {
    let conn = pg::connect().await;
    let _ = conn.close().await;
    let schema = pg::schema_name();
    let _guard = pg::SchemaGuard::new(schema.clone());
    let base = pg::url();
    let sep = if base.contains('?') { '&' } else { '?' };
    let store = format!("{base}{sep}schema={schema}&application_name={schema}");

    let url = api().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&url));
    let first = sync(&sandbox, &store).await;
    assert_eq!(first["created"], 7, "{first}");
    assert_eq!(first["quarantined"], 1, "{first}");
    let again = sync(&sandbox, &store).await;
    assert_eq!(again["unchanged"], 7, "{again}");

    let mut conn = pg::connect().await;
    let sql = format!("SELECT _raw ->> 'n', id #>> '{{}}' FROM \"{schema}\".contacts");
    let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut conn)
        .await
        .expect("rows");
    let _ = conn.close().await;
    assert_eq!(rows.into_iter().collect::<BTreeMap<_, _>>(), expected());
}
