//! Upserts: counts, idempotence, keys.

use serde_json::json;

use super::{at, commit, row, table};
use crate::prelude::*;
use crate::{PageCommit, PageOutcome, RecordRow, StoreErrorKind, StreamState, TableSpec};

/// New, changed and identical records are counted as such.
pub async fn counts_created_updated_unchanged(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let state = StreamState::default();
    let first = [
        row(1, json!({"id": 1, "v": 1})),
        row(2, json!({"id": 2, "v": 1})),
    ];
    let out = commit(store, run, "contacts", &t, &first, &state, at(1)).await;
    assert_eq!(
        out,
        PageOutcome {
            created: 2,
            updated: 0,
            unchanged: 0,
            ..PageOutcome::default()
        }
    );
    let second = [
        row(1, json!({"id": 1, "v": 2})),
        row(2, json!({"id": 2, "v": 1})),
        row(3, json!({"id": 3, "v": 1})),
    ];
    let run2 = store.start_run("contacts", at(2)).await.expect("run");
    let out = commit(store, run2, "contacts", &t, &second, &state, at(3)).await;
    assert_eq!(
        out,
        PageOutcome {
            created: 1,
            updated: 1,
            unchanged: 1,
            ..PageOutcome::default()
        }
    );
}

/// The same page twice leaves the same table and reports all unchanged.
pub async fn reapplying_a_page_changes_nothing(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let rows: Vec<RecordRow> = (1..=600).map(|i| row(i, json!({"id": i}))).collect();
    let state = StreamState::default();
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let a = commit(store, run, "contacts", &t, &rows, &state, at(1)).await;
    let b = commit(store, run, "contacts", &t, &rows, &state, at(2)).await;
    assert_eq!(a.created, 600);
    assert_eq!(
        b,
        PageOutcome {
            created: 0,
            updated: 0,
            unchanged: 600,
            ..PageOutcome::default()
        }
    );
    let parents = store.parent_records(&t, None, 10_000).await.expect("read");
    assert_eq!(parents.len(), 600);
}

/// Composite keys work, and string and integer keys stay distinct.
pub async fn composite_keys_keep_types(store: &dyn Store) {
    let t = TableSpec::new("memberships", vec!["org".into(), "user".into()]);
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("memberships", at(0)).await.expect("run");
    let rows = [
        RecordRow::new(vec![json!("a"), json!(1)], "{}".into()),
        RecordRow::new(vec![json!("a"), json!("1")], "{}".into()),
        RecordRow::new(vec![json!("b"), json!(1)], "{}".into()),
    ];
    let out = commit(
        store,
        run,
        "memberships",
        &t,
        &rows,
        &StreamState::default(),
        at(1),
    )
    .await;
    assert_eq!(out.created, 3, "\"1\" and 1 are different keys");
    let keys: Vec<_> = store
        .parent_records(&t, None, 10)
        .await
        .expect("read")
        .into_iter()
        .map(|p| p.key)
        .collect();
    assert!(keys.contains(&vec![json!("a"), json!(1)]));
    assert!(keys.contains(&vec![json!("a"), json!("1")]));
}

/// A key that is an object is refused with a clear error, and nothing is written.
pub async fn rejects_object_keys(store: &dyn Store) {
    let t = table("things");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("things", at(0)).await.expect("run");
    let rows = [
        row(1, json!({})),
        RecordRow::new(vec![json!({"x": 1})], "{}".into()),
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
        .expect_err("object key");
    assert_eq!(err.kind(), StoreErrorKind::InvalidData);
    assert!(
        err.to_string().contains("must be a string or a number"),
        "{err}"
    );
    assert!(
        store
            .parent_records(&t, None, 10)
            .await
            .expect("read")
            .is_empty()
    );
}
