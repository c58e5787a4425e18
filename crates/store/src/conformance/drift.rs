//! Shapes and drift: the known shape is kept, drift events are listed.

use super::{at, table};
use crate::prelude::*;
use crate::{DriftRow, PageCommit, StreamState};

/// Drift committed with a page is listed newest first with its run; the
/// shape saved with it (or alone) reads back.
pub async fn shapes_and_drift_are_kept(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    assert_eq!(store.load_shape("contacts").await.expect("load"), None);
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let drift = [DriftRow {
        stream: "contacts".into(),
        run: None,
        at: at(1),
        kind: "type_changed".into(),
        path: "amount".into(),
        before: "string".into(),
        after: "object".into(),
        example: Some(r#"{"value":"1.00","currency":"EUR"}"#.into()),
    }];
    store
        .commit_page(PageCommit {
            run,
            stream: "contacts",
            table: &t,
            records: &[],
            tombstones: &[],
            deletions: &[],
            quarantined: &[],
            state: &StreamState::default(),
            requests: &[],
            resolved: &[],
            shape: Some(r#"{"records":1}"#),
            drift: &drift,
            now: at(1),
        })
        .await
        .expect("commit");
    assert_eq!(
        store.load_shape("contacts").await.expect("load").as_deref(),
        Some(r#"{"records":1}"#)
    );
    store
        .save_shape("contacts", r#"{"records":2}"#, at(2))
        .await
        .expect("save");
    assert_eq!(
        store.load_shape("contacts").await.expect("load").as_deref(),
        Some(r#"{"records":2}"#)
    );
    let listed = store.drift(Some("contacts"), 10).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].run, Some(run), "the page's run");
    assert_eq!(
        (listed[0].path.as_str(), listed[0].after.as_str()),
        ("amount", "object")
    );
    assert!(
        store
            .drift(Some("other"), 10)
            .await
            .expect("list")
            .is_empty()
    );
}
