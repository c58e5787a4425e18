//! The CLI on the PostgreSQL store (a fresh schema per test on the server at
//! `HOLDFAST_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`;
//! a missing server fails the test loudly): a sync lands every record once
//! and a second run changes nothing; secrets are kept there too; and two
//! processes syncing through one connection keep its rate limit together.

mod common;
#[path = "../../store-postgres/tests/support/mod.rs"]
mod pg;

use std::time::Duration;

use common::{Sandbox, contains_bytes};
use holdfast_mock::{MockAuth, MockConfig};
use sqlx::Connection as _;

/// A fresh schema and the store URL that lives in it.
async fn store() -> (String, pg::SchemaGuard) {
    let conn = pg::connect().await;
    let _ = conn.close().await;
    let schema = pg::schema_name();
    let url = pg::url();
    let sep = if url.contains('?') { '&' } else { '?' };
    (
        format!("{url}{sep}schema={schema}&application_name={schema}"),
        pg::SchemaGuard::new(schema),
    )
}

/// Runs `sql` returning one number, in `schema`.
async fn scalar(schema: &str, sql: &str) -> i64 {
    let mut conn = pg::connect().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET search_path TO \"{schema}\""
    )))
    .execute(&mut conn)
    .await
    .expect("set search_path");
    let value: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT ({sql})::bigint")))
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
    value
}

fn connector(base_url: &str, extra: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
{extra}streams:
  contacts:
    connection: crm
    request: {{ path: /cursor/contacts, params: {{ limit: 25 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
  listed:
    connection: crm
    request: {{ path: /offset/contacts }}
    paginate: {{ type: offset, limit: 25 }}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_into_postgres_lands_every_record_once() {
    let (url, guard) = store().await;
    let mock = common::start_mock(300).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), ""));
    let first = sandbox
        .run_raw(&[
            "sync",
            "contacts",
            "--config",
            &sandbox.config.display().to_string(),
            "--store",
            &url,
        ])
        .await;
    first.expect_code(0);
    let schema = guard.schema();
    assert_eq!(scalar(schema, "SELECT count(*) FROM contacts").await, 300);
    assert_eq!(
        scalar(schema, "SELECT count(DISTINCT id) FROM contacts").await,
        300
    );
    let again = sandbox
        .run_raw(&[
            "sync",
            "contacts",
            "--json",
            "--config",
            &sandbox.config.display().to_string(),
            "--store",
            &url,
        ])
        .await;
    again.expect_code(0);
    let out: serde_json::Value =
        serde_json::from_str(again.stdout.lines().last().unwrap_or("{}")).expect("json");
    assert_eq!(out["streams"][0]["unchanged"], 300, "{again}");
    assert_eq!(out["streams"][0]["created"], 0, "{again}");
    let status = sandbox
        .run_raw(&[
            "status",
            "--config",
            &sandbox.config.display().to_string(),
            "--store",
            &url,
        ])
        .await;
    status.expect_code(0);
    assert!(status.stdout.contains("300 unchanged"), "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_are_kept_sealed_in_postgres() {
    let (url, guard) = store().await;
    let token = "tok-pg-secret-41d7a9c3e8";
    let mock = common::start_mock_with(MockConfig {
        records: 50,
        auth: Some(MockAuth::Bearer(token.into())),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        &mock.url(),
        "    auth: { type: bearer, token: \"{{ secret.crm_token }}\" }\n",
    ));
    let config = sandbox.config.display().to_string();
    let env = [("HOLDFAST_STORE", url.as_str())];
    let args = ["secrets", "set", "crm_token", "--config", &config].map(str::to_owned);
    let set = common::piped(common::raw_command(sandbox.path(), &args, &env), token).await;
    set.expect_code(0);
    let synced = sandbox
        .run_raw_env(&["sync", "contacts", "--config", &config], &env)
        .await;
    synced.expect_code(0);
    let schema = guard.schema();
    assert_eq!(scalar(schema, "SELECT count(*) FROM contacts").await, 50);
    assert_eq!(
        scalar(schema, "SELECT count(*) FROM _holdfast_secrets").await,
        1
    );
    let dump: String = {
        let mut conn = pg::connect().await;
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT encode(sealed, 'escape') FROM \"{schema}\"._holdfast_secrets"
        )))
        .fetch_all(&mut conn)
        .await
        .expect("read secrets");
        rows.join("\n")
    };
    assert!(!contains_bytes(dump.as_bytes(), token.as_bytes()), "sealed");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_keep_one_connection_rate_limit_together() {
    let (url, _guard) = store().await;
    // 10 requests/s, no burst; each process has 8 pages to fetch.
    let mock = common::start_mock(200).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        &mock.url(),
        "    rate_limit: { requests: 10, per: 1s, burst: 1 }\n",
    ));
    let config = sandbox.config.display().to_string();
    let args_a = ["sync", "contacts", "--config", &config, "--store", &url];
    let args_b = ["sync", "listed", "--config", &config, "--store", &url];
    let (a, b) = tokio::join!(sandbox.run_raw(&args_a), sandbox.run_raw(&args_b));
    a.expect_code(0);
    b.expect_code(0);
    let served = mock.stats().requests;
    assert!(served >= 16, "both streams ran: {served} requests");
    // Alone, each process would send 10 per second: together they must too
    // (one request of slack for scheduling jitter at the window's edges).
    let peak = mock.max_requests_in_window(Duration::from_secs(1));
    assert!(
        peak <= 11,
        "{peak} requests within one second across both processes (limit 10/s)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_commands_create_and_migrate_nothing_on_postgres() {
    let (url, guard) = store().await;
    let schema = guard.schema().to_owned();
    let mock = common::start_mock(30).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), ""));
    let config = sandbox.config.display().to_string();
    let schemas =
        format!("SELECT count(*) FROM information_schema.schemata WHERE schema_name = '{schema}'");
    for command in ["runs", "queue", "drift"] {
        let out = sandbox
            .run_raw(&[command, "--config", &config, "--store", &url])
            .await;
        out.expect_code(1);
        assert!(
            out.stderr.contains("not a holdfast store"),
            "{command}: {out}"
        );
        assert!(out.stderr.contains("named by --store"), "{command}: {out}");
        assert!(
            !out.stderr.contains("secret"),
            "password or not, no secret: {out}"
        );
    }
    assert_eq!(scalar(&schema, &schemas).await, 0, "no schema created");

    sandbox
        .run_raw(&["sync", "contacts", "--config", &config, "--store", &url])
        .await
        .expect_code(0);
    let out = sandbox
        .run_raw(&["runs", "--config", &config, "--store", &url])
        .await;
    out.expect_code(0);
    assert_eq!(out.stdout.matches("succeeded").count(), 1, "{out}");
}
