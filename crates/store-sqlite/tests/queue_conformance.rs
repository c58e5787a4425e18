//! The shared job queue and webhook event suite, on a fresh SQLite file per
//! test; and the event columns added to a stream table made before them.

use holdfast_store::prelude::*;
use holdfast_store::{EventApply, EventOutcome, RecordRow, TableSpec};
use holdfast_store_sqlite::SqliteStore;
use tempfile::TempDir;

async fn fresh_queue() -> (Box<dyn Store>, TempDir) {
    let (store, dir) = open().await;
    (Box::new(store), dir)
}

async fn open() -> (SqliteStore, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.db");
    let store = SqliteStore::open(&path.display().to_string())
        .await
        .expect("open SQLite store");
    (store, dir)
}

holdfast_store::queue_conformance!(fresh_queue);

/// A stream table created before `_version` / `_deleted_at` existed gains
/// them on `prepare_table`, keeping its rows; events then apply to it.
#[tokio::test]
async fn old_stream_tables_gain_event_columns() {
    let (store, _dir) = open().await;
    let pool = store.pool();
    sqlx::query(
        "CREATE TABLE \"contacts\" (\"id\", _raw TEXT NOT NULL, _first_seen TEXT NOT NULL, \
         _updated_at TEXT NOT NULL, _updated_run INTEGER NOT NULL, _last_seen TEXT NOT NULL, \
         _last_run INTEGER NOT NULL, _last_change INTEGER NOT NULL, PRIMARY KEY (\"id\"))",
    )
    .execute(pool)
    .await
    .expect("old table");
    sqlx::query(
        "INSERT INTO _holdfast_tables (name, primary_key, created_at) \
         VALUES ('contacts', '[\"id\"]', '2024-01-01T00:00:00.000000Z')",
    )
    .execute(pool)
    .await
    .expect("register");
    sqlx::query(
        "INSERT INTO \"contacts\" VALUES (1, '{\"id\":1}', '2024-01-01T00:00:00.000000Z', \
         '2024-01-01T00:00:00.000000Z', 1, '2024-01-01T00:00:00.000000Z', 1, 1)",
    )
    .execute(pool)
    .await
    .expect("old row");

    let t = TableSpec::new("contacts", vec!["id".into()]);
    store.prepare_table(&t).await.expect("prepare");
    store.prepare_table(&t).await.expect("prepare twice");
    let key = [serde_json::json!(1)];
    let old = store.record(&t, &key).await.expect("read").expect("row");
    assert_eq!((old.version, old.deleted_at), (None, None));

    let at = holdfast_store::conformance::at;
    let ids = holdfast_store::conformance::queue::enqueue_all(
        &store,
        &[holdfast_store::conformance::queue::new_job(
            "webhook", "e", None, 0, 0,
        )],
    )
    .await;
    let claimed = holdfast_store::conformance::queue::claim(&store, "w", 1, at(1)).await;
    assert_eq!(claimed[0].id, ids[0]);
    let outcomes = store
        .apply_events(
            &[EventApply {
                lease: claimed[0].lease(),
                table: &t,
                row: RecordRow::new(key.to_vec(), "{\"id\":1}".into()),
                version: Some("n2".into()),
                delete: true,
            }],
            at(2),
        )
        .await
        .expect("apply");
    assert_eq!(outcomes, [EventOutcome::Deleted]);
    let now = store.record(&t, &key).await.expect("read").expect("row");
    assert_eq!(
        (now.version.as_deref(), now.deleted_at),
        (Some("n2"), Some(at(2)))
    );
}
