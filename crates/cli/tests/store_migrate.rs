//! `holdfast store migrate`: a SQLite store copied into a fresh PostgreSQL
//! schema keeps rows (metadata included), stream states, quarantine and
//! secrets: a sync on the new store continues incrementally with the same
//! token, and a second migrate into the same target is refused.

mod common;
#[path = "../../store-postgres/tests/support/mod.rs"]
mod pg;

use std::collections::BTreeMap;
use std::process::Stdio;

use common::{Sandbox, query_param};
use holdfast_mock::{MockAuth, MockConfig};
use holdfast_store::prelude::*;
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;

const TOKEN: &str = "migrate-token-2718";

fn connector(base_url: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
    auth: {{ type: bearer, token: "{{{{ secret.crm_token }}}}" }}
streams:
  contacts:
    connection: crm
    request:
      path: /v2/contacts
      params: {{ updated_since: "{{{{ cursor }}}}", limit: 20 }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
    incremental: {{ cursor_field: updated_at }}
    on_invalid: quarantine
  deals:
    connection: crm
    for_each: {{ stream: contacts, as: contact }}
    request: {{ path: "/v2/contacts/{{{{ contact.id }}}}/deals" }}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

/// Every row of `table` by key: (raw as JSON, metadata).
async fn rows(store: &dyn holdfast_store::Store, name: &str) -> BTreeMap<String, (Value, String)> {
    let inv = store.inventory().await.expect("inventory");
    let table = inv
        .tables
        .iter()
        .find(|t| t.name == name)
        .expect("table listed");
    let mut out = BTreeMap::new();
    let mut after: Option<Vec<Value>> = None;
    loop {
        let page = store
            .export_records(table, after.as_deref(), 100)
            .await
            .expect("export");
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        for r in page {
            let meta = format!(
                "{:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                r.first_seen,
                r.updated_at,
                r.updated_run,
                r.last_seen,
                r.last_run,
                r.last_change,
                r.deleted_at
            );
            let raw: Value = serde_json::from_str(&r.raw).expect("raw json");
            out.insert(
                serde_json::to_string(&r.key).unwrap_or_default(),
                (raw, meta),
            );
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_to_postgres_continues_where_it_stopped() {
    let mock = common::start_mock_with(MockConfig {
        records: 60,
        bad_every: 15,
        auth: Some(MockAuth::Bearer(TOKEN.to_owned())),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    let config = sandbox.config.display().to_string();
    let sqlite = sandbox.store_url();

    let mut set = sandbox.command(&["secrets", "set", "crm_token"], &[]);
    set.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = set.spawn().expect("spawn secrets set");
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(TOKEN.as_bytes()).await.expect("write");
    drop(pipe);
    let out = child.wait_with_output().await.expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    sandbox.run(&["sync"]).await.expect_code(0);
    let before_quarantine = sandbox.run(&["quarantine"]).await;
    before_quarantine.expect_code(0);

    // Into a fresh schema.
    let conn = pg::connect().await;
    drop(conn);
    let schema = pg::schema_name();
    let _guard = pg::SchemaGuard::new(schema.clone());
    let base = pg::url();
    let sep = if base.contains('?') { '&' } else { '?' };
    let postgres = format!("{base}{sep}schema={schema}&application_name={schema}");
    let migrate = sandbox
        .run_raw(&[
            "store", "migrate", "--from", &sqlite, "--to", &postgres, "--batch", "7",
        ])
        .await;
    migrate.expect_code(0);
    assert!(migrate.stdout.contains("copied "), "{migrate}");
    assert!(migrate.stdout.contains("1 secret,"), "{migrate}");

    let source = holdfast_store_sqlite::SqliteStore::open(&sqlite)
        .await
        .expect("sqlite");
    let target = holdfast_store_postgres::PgStore::open(&postgres)
        .await
        .expect("pg");
    for table in ["contacts", "deals"] {
        let a = rows(&source, table).await;
        let b = rows(&target, table).await;
        assert!(!a.is_empty(), "{table} has rows");
        assert_eq!(a, b, "{table}: same rows, raw and metadata");
    }
    let (sa, ta) = (
        source.inventory().await.expect("inv"),
        target.inventory().await.expect("inv"),
    );
    assert_eq!(sa.states, ta.states, "same states");
    let cursor = sa
        .states
        .iter()
        .find(|s| s.stream == "contacts")
        .and_then(|s| s.state.cursor.clone())
        .expect("a saved cursor");
    source.close().await;
    target.close().await;

    // Quarantine is listed the same.
    let after_quarantine = sandbox
        .run_raw(&["quarantine", "--config", &config, "--store", &postgres])
        .await;
    after_quarantine.expect_code(0);
    assert!(
        before_quarantine.stdout.lines().count() > 1,
        "{before_quarantine}"
    );
    assert_eq!(before_quarantine.stdout, after_quarantine.stdout);

    // A sync on the new store: incremental from the saved cursor, with the token.
    let seen = mock.requests().len();
    sandbox
        .run_raw(&[
            "sync", "contacts", "--config", &config, "--store", &postgres,
        ])
        .await
        .expect_code(0);
    let new: Vec<_> = mock
        .requests()
        .into_iter()
        .skip(seen)
        .filter(|r| r.path == "/v2/contacts")
        .collect();
    assert!(!new.is_empty());
    let cursor = cursor
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| cursor.to_string());
    assert_eq!(
        query_param(&new[0].query, "updated_since").as_deref(),
        Some(cursor.as_str()),
        "the first request continues from the saved cursor: {:?}",
        new[0].query
    );
    assert!(new.iter().all(|r| {
        r.headers
            .get("authorization")
            .is_some_and(|v| v.contains(TOKEN))
    }));

    // Again into the same target: refused, naming what is there.
    let again = sandbox
        .run_raw(&["store", "migrate", "--from", &sqlite, "--to", &postgres])
        .await;
    again.expect_code(2);
    assert!(
        again.stderr.contains("is not empty") && again.stderr.contains("`contacts`"),
        "{again}"
    );
}
