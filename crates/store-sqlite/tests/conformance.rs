//! The shared store suite, on a fresh SQLite file per test.

use holdfast_store::prelude::*;
use holdfast_store_sqlite::SqliteStore;
use tempfile::TempDir;

async fn fresh_store() -> (Box<dyn Store>, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.db");
    let store = SqliteStore::open(&path.display().to_string())
        .await
        .expect("open SQLite store");
    (Box::new(store), dir)
}

holdfast_store::store_conformance!(fresh_store);
