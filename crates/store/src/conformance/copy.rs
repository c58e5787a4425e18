//! [`copy_store`] between two stores of the backend: everything arrives as
//! it was; a filled target is refused; an unfinished copy resumes.

use serde_json::{Value, json};

use super::{at, commit, row, table};
use crate::prelude::*;
use crate::{
    Column, ColumnKind, CopyError, CopyOptions, CopyStep, ExportedRecord, QuarantinedRecord,
    RunOutcome, StreamState, TableSpec, TokenStatus, copy_store,
};

/// Copies `from` into `to` as source `src` (3 rows a page); the steps seen.
async fn copy(
    from: &dyn Store,
    to: &dyn Store,
) -> (Result<crate::CopyReport, CopyError>, Vec<String>) {
    let mut steps = Vec::new();
    let options = CopyOptions {
        source: "src",
        batch: 3,
        now: at(100),
    };
    let mut progress = |s: CopyStep<'_>| steps.push(format!("{s:?}"));
    let result = copy_store(from, to, options, &mut progress).await;
    (result, steps)
}

/// Fills `store`: a table of 7 records with a mapped column, a run, a
/// quarantined record, a shape, a secret, a token and a state.
async fn fill(store: &dyn Store) -> TableSpec {
    let mut t = table("contacts");
    t.columns.push(Column {
        name: "email".into(),
        kind: ColumnKind::Text,
    });
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let rows: Vec<_> = (1..=7)
        .map(|i| {
            let mut r = row(i, json!({"id": i, "email": format!("{i}@x")}));
            r.values = vec![json!(format!("{i}@x"))];
            r
        })
        .collect();
    let state = StreamState {
        cursor: Some(json!("2024-06-01")),
        progress: None,
    };
    commit(store, run, "contacts", &t, &rows, &state, at(1)).await;
    let bad = [QuarantinedRecord {
        reason: "missing primary key field `id`".into(),
        raw: r#"{"email":"?"}"#.into(),
        violations: Vec::new(),
    }];
    store
        .commit_page(crate::PageCommit {
            run,
            stream: "contacts",
            table: &t,
            records: &[],
            tombstones: &[],
            deletions: &[],
            quarantined: &bad,
            requests: &[],
            resolved: &[],
            shape: Some(r#"{"id":"integer"}"#),
            drift: &[],
            state: &state,
            now: at(2),
        })
        .await
        .expect("commit");
    store
        .finish_run(run, RunOutcome::Succeeded, None, at(3))
        .await
        .expect("finish");
    store
        .put_secret("crm", &[0, 1, 255], at(4))
        .await
        .expect("secret");
    let status = TokenStatus {
        auth_type: "oauth2".into(),
        expires_at: Some(at(10)),
        last_refresh_at: None,
        last_outcome: None,
        consecutive_failures: 0,
        needs_reauth: false,
    };
    store
        .save_token("crm", &[7, 7], &status, at(5))
        .await
        .expect("token");
    t
}

/// Every record of `t`, raw compared as JSON.
async fn records(store: &dyn Store, t: &TableSpec) -> Vec<(Value, ExportedRecord)> {
    let page = store.export_records(t, None, 100).await.expect("export");
    page.into_iter()
        .map(|r| (serde_json::from_str(&r.raw).expect("raw"), r))
        .map(|(raw, r)| {
            (
                raw,
                ExportedRecord {
                    raw: String::new(),
                    ..r
                },
            )
        })
        .map(|(raw, r)| {
            // kept verbatim, so a change feed's cursor means the same after a move
            assert!(r.seq.is_some(), "every copied row has its change number");
            (raw, r)
        })
        .collect()
}

/// Everything arrives as it was, page by page, with each step reported.
pub async fn copy_store_copies_everything(from: &dyn Store, to: &dyn Store) {
    let t = fill(from).await;
    let (report, steps) = copy(from, to).await;
    let report = report.expect("copy");
    assert_eq!(
        (
            report.runs,
            report.tables,
            report.records,
            report.quarantined
        ),
        (1, 1, 7, 1)
    );
    assert_eq!(
        (report.states, report.shapes, report.secrets, report.tokens),
        (1, 1, 1, 1)
    );
    assert_eq!(
        steps,
        ["Runs(1)", "Table(\"contacts\", 7)", "Quarantine(1)"],
        "no resume"
    );
    assert_eq!(records(to, &t).await, records(from, &t).await);
    let (a, b) = (from.inventory().await, to.inventory().await);
    assert_eq!(a.expect("source"), b.expect("target"));
    assert_eq!(
        to.export_runs(None, 10).await.expect("runs"),
        from.export_runs(None, 10).await.expect("runs")
    );
    assert_eq!(
        to.export_quarantine(None, 10).await.expect("quarantine"),
        from.export_quarantine(None, 10).await.expect("quarantine")
    );
    assert_eq!(
        to.secrets().await.expect("secrets"),
        from.secrets().await.expect("secrets")
    );
    assert_eq!(
        to.tokens().await.expect("tokens"),
        from.tokens().await.expect("tokens")
    );
    assert!(
        to.leases().await.expect("leases").is_empty(),
        "the copy's marker is gone"
    );
}

/// A filled target is refused before anything is written; an unfinished
/// copy from the same source resumes, one from another source is refused.
pub async fn copy_store_refuses_a_filled_target_and_resumes_its_own(
    from: &dyn Store,
    to: &dyn Store,
) {
    let t = fill(from).await;
    let marker = crate::COPY_MARKER;
    assert!(
        to.acquire_lease(marker, "from elsewhere", at(1_000), at(0))
            .await
            .expect("lease")
    );
    match copy(from, to).await.0 {
        Err(CopyError::OtherCopyUnfinished) => {}
        other => panic!("another source's copy was not refused: {other:?}"),
    }
    assert!(
        to.release_lease(marker, "from elsewhere")
            .await
            .expect("release")
    );

    to.prepare_table(&TableSpec::new("deals", vec!["id".into()]))
        .await
        .expect("prepare");
    match copy(from, to).await.0 {
        Err(CopyError::TargetNotEmpty { holds }) => assert_eq!(holds, "stream tables `deals`"),
        other => panic!("a filled target was not refused: {other:?}"),
    }
    assert!(to.export_runs(None, 10).await.expect("runs").is_empty());

    // A copy from `src` that stopped after its runs.
    assert!(
        to.acquire_lease(marker, "from src", at(1_000), at(0))
            .await
            .expect("lease")
    );
    to.import_runs(&from.export_runs(None, 10).await.expect("runs"))
        .await
        .expect("runs");
    let (report, steps) = copy(from, to).await;
    assert_eq!(report.expect("resumed").records, 7);
    assert_eq!(steps.first().map(String::as_str), Some("Resuming"));
    assert_eq!(records(to, &t).await, records(from, &t).await);
    assert!(to.leases().await.expect("leases").is_empty());
}
