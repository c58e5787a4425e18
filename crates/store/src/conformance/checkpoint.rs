//! Stream state: committed with pages, read back, reset; tables keep their key.

use serde_json::json;

use super::{at, commit, row, table};
use crate::prelude::*;
use crate::{Progress, StoreErrorKind, StreamState, TableSpec};

/// The state saved with a page is what `load_state` returns.
pub async fn state_commits_with_the_page(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    assert_eq!(store.load_state("contacts").await.expect("load"), None);
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let state = StreamState {
        cursor: Some(json!("2024-01-01T00:00:00Z")),
        progress: Some(Progress {
            position: Some(json!({"at": "cursor", "token": "abc"})),
            max_seen: Some(json!("2024-02-01T00:00:00Z")),
            pages: 3,
            ..Progress::default()
        }),
    };
    commit(
        store,
        run,
        "contacts",
        &t,
        &[row(1, json!({}))],
        &state,
        at(1),
    )
    .await;
    assert_eq!(
        store.load_state("contacts").await.expect("load"),
        Some(state)
    );
    assert_eq!(store.load_state("other").await.expect("load"), None);
}

/// `save_state` and `reset_state` round-trip.
pub async fn state_roundtrip_and_reset(store: &dyn Store) {
    let state = StreamState {
        cursor: Some(json!(42)),
        progress: None,
    };
    store.save_state("s", &state, at(0)).await.expect("save");
    assert_eq!(store.load_state("s").await.expect("load"), Some(state));
    store.reset_state("s").await.expect("reset");
    assert_eq!(store.load_state("s").await.expect("load"), None);
}

/// A table cannot silently change its primary key.
pub async fn table_with_other_key_is_refused(store: &dyn Store) {
    store.prepare_table(&table("t")).await.expect("prepare");
    store
        .prepare_table(&table("t"))
        .await
        .expect("same key again is fine");
    let other = TableSpec::new("t", vec!["email".into()]);
    let err = store.prepare_table(&other).await.expect_err("other key");
    assert_eq!(err.kind(), StoreErrorKind::Schema);
    assert!(err.to_string().contains("new `into:` table"), "{err}");
}
