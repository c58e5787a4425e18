//! Quarantine keeps what was not written, with why.

use crate::{PageCommit, QuarantinedRecord, StreamState};

use super::{at, table};
use crate::prelude::*;

/// Quarantined records are listed with stream, run, reason and payload, and
/// never reach the stream table.
pub async fn kept_with_reason_and_payload(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let bad = [QuarantinedRecord {
        reason: "missing primary key field `id`".into(),
        raw: r#"{"name":"x"}"#.into(),
        violations: vec![],
    }];
    let out = store
        .commit_page(PageCommit {
            run,
            stream: "contacts",
            table: &t,
            records: &[],
            tombstones: &[],
            deletions: &[],
            quarantined: &bad,
            requests: &[],
            resolved: &[],
            shape: None,
            drift: &[],
            state: &StreamState::default(),
            now: at(1),
        })
        .await
        .expect("commit");
    assert_eq!(out.created, 0);
    let rows = store.quarantine(Some("contacts"), 10).await.expect("list");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].run, rows[0].reason.as_str(), rows[0].raw.as_str()),
        (run, bad[0].reason.as_str(), bad[0].raw.as_str())
    );
    assert_eq!(rows[0].at, at(1));
    assert!(
        store
            .parent_records(&t, None, 10)
            .await
            .expect("read")
            .is_empty()
    );
    assert_eq!(store.runs(None, 1).await.expect("runs")[0].quarantined, 1);
}

/// The same invalid record seen by several runs is one quarantine row (seen
/// counted); a commit can resolve quarantine rows, which then leave the list.
pub async fn deduplicated_and_resolved(store: &dyn Store) {
    use crate::Violation;
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let bad = [QuarantinedRecord {
        reason: "1 violation".into(),
        raw: r#"{"id":7,"email":5}"#.into(),
        violations: vec![Violation {
            pointer: "/email".into(),
            message: "5 is not of type \"string\"".into(),
        }],
    }];
    for n in 0..3 {
        let run = store.start_run("contacts", at(n)).await.expect("run");
        store
            .commit_page(PageCommit {
                run,
                stream: "contacts",
                table: &t,
                records: &[],
                tombstones: &[],
                deletions: &[],
                quarantined: &bad,
                state: &StreamState::default(),
                requests: &[],
                resolved: &[],
                shape: None,
                drift: &[],
                now: at(n),
            })
            .await
            .expect("commit");
    }
    let rows = store.quarantine(Some("contacts"), 10).await.expect("list");
    assert_eq!(rows.len(), 1, "one row per record, not per run");
    assert_eq!(rows[0].seen, 3);
    assert_eq!(rows[0].violations, bad[0].violations);
    assert_eq!(
        store
            .quarantined_by_key("contacts", &["id".into()], &[serde_json::json!(7)])
            .await
            .expect("by key")
            .len(),
        1
    );
    let run = store.start_run("contacts", at(9)).await.expect("run");
    let fixed = [crate::RecordRow::new(
        vec![serde_json::json!(7)],
        bad[0].raw.clone(),
    )];
    store
        .commit_page(PageCommit {
            run,
            stream: "contacts",
            table: &t,
            records: &fixed,
            tombstones: &[],
            deletions: &[],
            quarantined: &[],
            state: &StreamState::default(),
            requests: &[],
            resolved: &[rows[0].id],
            shape: None,
            drift: &[],
            now: at(10),
        })
        .await
        .expect("commit");
    assert!(
        store
            .quarantine(Some("contacts"), 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store
            .parent_records(&t, None, 10)
            .await
            .expect("read")
            .len(),
        1
    );
}
