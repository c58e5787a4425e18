//! Quarantine keeps what was not written, with why.

use crate::{PageCommit, QuarantinedRecord, Store, StreamState};

use super::{at, table};

/// Quarantined records are listed with stream, run, reason and payload, and
/// never reach the stream table.
pub async fn kept_with_reason_and_payload(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let bad = [QuarantinedRecord {
        reason: "missing primary key field `id`".into(),
        raw: r#"{"name":"x"}"#.into(),
    }];
    let out = store
        .commit_page(PageCommit {
            run,
            stream: "contacts",
            table: &t,
            records: &[],
            quarantined: &bad,
            requests: &[],
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
