//! What only the PostgreSQL store has to show: concurrent starts migrate
//! once, concurrent claimers never share a job, stream tables are plain SQL
//! tables with JSONB keys, and values Postgres cannot hold are refused clearly.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use holdfast_store::conformance::queue::{enqueue_all, new_job};
use holdfast_store::conformance::{at, commit, row, table};
use holdfast_store::prelude::*;
use holdfast_store::{Claim, Finish, PageCommit, RecordRow, StoreErrorKind, StreamState};
use serde_json::json;

/// Several processes starting at once on an empty schema: one migrates
/// (under sqlx's advisory lock), the others find nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_opens_migrate_once() {
    let (first, guard) = support::fresh().await;
    first.close().await;
    let schema = format!("{}_b", guard.schema());
    let _second_guard = support::SchemaGuard::new(schema.clone());
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let schema = schema.clone();
            tokio::spawn(async move { support::open_in(&schema, 1).await })
        })
        .collect();
    let mut stores = Vec::new();
    for open in opens {
        stores.push(open.await.expect("open task"));
    }
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(stores[0].pool())
        .await
        .expect("count migrations");
    assert_eq!(applied, 11, "every migration once");
    for store in &stores {
        store
            .save_state("s", &StreamState::default(), at(0))
            .await
            .expect("usable");
    }
}

/// Eight claimers on four pools race through 600 jobs: every job is claimed
/// exactly once, and every claim finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claimers_never_share_a_job() {
    let (store, guard) = support::fresh().await;
    let jobs: Vec<_> = (0..600)
        .map(|i| new_job("webhook", &format!("j{i}"), None, i % 3, 0))
        .collect();
    enqueue_all(&store, &jobs).await;
    let mut workers = Vec::new();
    for w in 0..8 {
        let store = if w % 2 == 0 {
            store.clone()
        } else {
            support::open_in(guard.schema(), 2).await
        };
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claimed = store
                    .claim(Claim {
                        worker: &format!("w{w}"),
                        kinds: &[],
                        limit: 7,
                        lease: Duration::from_secs(60),
                        now: at(1),
                    })
                    .await
                    .expect("claim");
                if claimed.is_empty() {
                    break mine;
                }
                for job in claimed {
                    let done = Finish::Done { result: None };
                    assert!(
                        store
                            .finish(job.lease(), done, at(2))
                            .await
                            .expect("finish")
                    );
                    mine.push(job.id);
                }
            }
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.expect("worker"));
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (600, 600));
}

/// A stream table is queried with plain SQL: keys are JSONB (so `'1'` is the
/// number and `'"1"'` the string), `_raw` is JSONB, mapped columns typed.
#[tokio::test]
async fn stream_tables_are_plain_sql_tables() {
    let (store, _guard) = support::fresh().await;
    let mut t = table("contacts");
    t.columns.push(holdfast_store::Column {
        name: "vip".into(),
        kind: holdfast_store::ColumnKind::Boolean,
    });
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let rows = [
        RecordRow {
            key: vec![json!(1)],
            raw: r#"{"id":1,"email":"a@x"}"#.into(),
            values: vec![json!(true)],
        },
        RecordRow {
            key: vec![json!("1")],
            raw: r#"{"id":"1","email":"b@x"}"#.into(),
            values: vec![json!(false)],
        },
    ];
    commit(
        &store,
        run,
        "contacts",
        &t,
        &rows,
        &StreamState::default(),
        at(1),
    )
    .await;
    let (email, vip): (String, bool) =
        sqlx::query_as("SELECT _raw ->> 'email', vip FROM contacts WHERE id = '1'")
            .fetch_one(store.pool())
            .await
            .expect("query by number");
    assert_eq!((email.as_str(), vip), ("a@x", true));
    let bare: String = sqlx::query_scalar("SELECT id #>> '{}' FROM contacts WHERE id = '\"1\"'")
        .fetch_one(store.pool())
        .await
        .expect("query by string");
    assert_eq!(bare, "1");
    let page = [row(2, json!({"id": 2}))];
    let again = [row(2, json!({"id": 2}))];
    commit(
        &store,
        run,
        "contacts",
        &table("contacts"),
        &page,
        &StreamState::default(),
        at(2),
    )
    .await;
    let out = commit(
        &store,
        run,
        "contacts",
        &table("contacts"),
        &again,
        &StreamState::default(),
        at(3),
    )
    .await;
    assert_eq!(
        out.unchanged, 1,
        "a table prepared with more columns still takes pages"
    );
}

/// A record Postgres cannot hold (NUL in JSONB) fails the page with
/// `InvalidData` and a message that says why; nothing of the page is written.
#[tokio::test]
async fn nul_characters_are_refused_clearly() {
    let (store, _guard) = support::fresh().await;
    let t = table("things");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("things", at(0)).await.expect("run");
    let rows = [
        row(1, json!({"ok": true})),
        RecordRow::new(vec![json!(2)], r#"{"bad":"a\u0000b"}"#.into()),
    ];
    let err = store
        .commit_page(PageCommit {
            run,
            stream: "things",
            table: &t,
            records: &rows,
            tombstones: &[],
            deletions: &[],
            quarantined: &[],
            requests: &[],
            resolved: &[],
            shape: None,
            drift: &[],
            state: &StreamState::default(),
            now: at(1),
        })
        .await
        .expect_err("NUL refused");
    assert_eq!(err.kind(), StoreErrorKind::InvalidData, "{err}");
    assert!(err.to_string().contains("NUL"), "{err}");
    assert!(
        store
            .parent_records(&t, None, 10)
            .await
            .expect("read")
            .is_empty()
    );
}

/// A page that repeats a key applies it in order, as SQLite does: the first
/// occurrence creates, the second updates.
#[tokio::test]
async fn a_key_repeated_in_one_page_applies_in_order() {
    let (store, _guard) = support::fresh().await;
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let rows = [
        row(1, json!({"v": 1})),
        row(2, json!({"v": 1})),
        row(1, json!({"v": 2})),
        row(1, json!({"v": 2})),
    ];
    let out = commit(
        &store,
        run,
        "contacts",
        &t,
        &rows,
        &StreamState::default(),
        at(1),
    )
    .await;
    assert_eq!((out.created, out.updated, out.unchanged), (2, 1, 1));
    let stored = store
        .record(&t, &[json!(1)])
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stored.raw).ok(),
        Some(json!({"v": 2}))
    );
}

/// A server that is not there is reported at once as `Unavailable`, naming
/// where holdfast looked (no password in it).
#[tokio::test]
async fn a_missing_server_is_unavailable_at_once() {
    let started = std::time::Instant::now();
    let err = holdfast_store_postgres::PgStore::open("postgres://u:secret@127.0.0.1:1/db")
        .await
        .expect_err("nothing listens on port 1");
    assert_eq!(err.kind(), StoreErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("127.0.0.1:1/db"), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "no retry loop");
}
