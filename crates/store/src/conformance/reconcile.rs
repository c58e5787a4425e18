//! Deletions a sync sees (`deleted_when:` tombstones), tombstones lifted by
//! a later sighting, the sweep that ends a reconciliation scan, and the
//! record each reconciliation leaves.

use serde_json::json;

use super::{at, commit, row, table};
use crate::prelude::*;
use crate::{
    MissingAction, PageCommit, PageOutcome, ReconcileOutcome, Reconciliation, RecordRow, RunId,
    StreamState, Sweep, TableSpec,
};

/// Commits `tombstones` as one page of `contacts`.
async fn commit_tombstones(
    store: &dyn Store,
    run: RunId,
    t: &TableSpec,
    tombstones: &[RecordRow],
    secs: i64,
) -> PageOutcome {
    commit_dead(store, run, t, (tombstones, &[]), secs).await
}

/// Commits `tombstones` and `deletions` as one page of `contacts`.
async fn commit_dead(
    store: &dyn Store,
    run: RunId,
    t: &TableSpec,
    (tombstones, deletions): (&[RecordRow], &[RecordRow]),
    secs: i64,
) -> PageOutcome {
    store
        .commit_page(PageCommit {
            run,
            stream: "contacts",
            table: t,
            records: &[],
            tombstones,
            deletions,
            quarantined: &[],
            requests: &[],
            resolved: &[],
            shape: None,
            drift: &[],
            state: &StreamState::default(),
            now: at(secs),
        })
        .await
        .expect("commit tombstones")
}

/// A tombstone marks a live row deleted once (content kept up to date), a
/// new key arrives deleted, and a later live sighting lifts a sync's
/// tombstone; the run counts each.
pub async fn tombstones_count_and_a_sighting_restores(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let live: Vec<_> = (1..=3).map(|i| row(i, json!({"id": i}))).collect();
    let state = StreamState::default();
    commit(store, run, "contacts", &t, &live, &state, at(1)).await;

    let gone = [
        row(2, json!({"id": 2, "archived": true})),
        row(9, json!({"id": 9, "archived": true})),
    ];
    let out = commit_tombstones(store, run, &t, &gone, 2).await;
    assert_eq!((out.deleted, out.unchanged), (2, 0), "{out:?}");
    let again = commit_tombstones(store, run, &t, &gone[..1], 3).await;
    assert_eq!((again.deleted, again.unchanged), (0, 1), "{again:?}");
    let two = store
        .record(&t, &[json!(2)])
        .await
        .expect("read")
        .expect("2");
    assert_eq!(
        two.deleted_at,
        Some(at(2)),
        "deleted once, at the first sighting"
    );
    let raw: serde_json::Value = serde_json::from_str(&two.raw).expect("raw is JSON");
    assert_eq!(
        raw,
        json!({"id": 2, "archived": true}),
        "content kept up to date"
    );
    assert_eq!(two.last_change, crate::LastChange::Unchanged);

    let back = [row(2, json!({"id": 2, "archived": false}))];
    let out = commit(store, run, "contacts", &t, &back, &state, at(4)).await;
    assert_eq!((out.restored, out.updated), (1, 0), "{out:?}");
    let two = store
        .record(&t, &[json!(2)])
        .await
        .expect("read")
        .expect("2");
    assert_eq!(two.deleted_at, None);
    assert_eq!(two.last_change, crate::LastChange::Restored);
    assert_eq!(two.updated_at, at(4));

    store
        .finish_run(run, crate::RunOutcome::Succeeded, None, at(5))
        .await
        .expect("finish");
    let runs = store.runs(Some("contacts"), 1).await.expect("runs");
    let counts = runs[0].outcome_counts;
    assert_eq!((counts.deleted, counts.restored), (2, 1), "{counts:?}");
}

/// A tombstone endpoint's key marks the row deleted once and keeps its
/// content; a key never seen gets a bare tombstone holding the endpoint's record.
pub async fn deletions_keep_the_rows_content(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let live = [
        row(1, json!({"id": 1, "email": "a@x"})),
        row(2, json!({"id": 2})),
    ];
    commit(
        store,
        run,
        "contacts",
        &t,
        &live,
        &StreamState::default(),
        at(1),
    )
    .await;
    let gone = [
        row(1, json!({"id": 1, "deleted": true})),
        row(5, json!({"id": 5, "deleted": true})),
    ];
    let out = commit_dead(store, run, &t, (&[], &gone), 2).await;
    assert_eq!((out.deleted, out.unchanged), (2, 0), "{out:?}");
    let again = commit_dead(store, run, &t, (&[], &gone[..1]), 3).await;
    assert_eq!((again.deleted, again.unchanged), (0, 1), "{again:?}");
    let one = store
        .record(&t, &[json!(1)])
        .await
        .expect("read")
        .expect("1");
    assert_eq!(one.deleted_at, Some(at(2)));
    let raw: serde_json::Value = serde_json::from_str(&one.raw).expect("raw");
    assert_eq!(raw, json!({"id": 1, "email": "a@x"}), "content kept");
    let five = store
        .record(&t, &[json!(5)])
        .await
        .expect("read")
        .expect("5");
    assert_eq!(five.deleted_at, Some(at(2)), "a bare tombstone");
    let two = store
        .record(&t, &[json!(2)])
        .await
        .expect("read")
        .expect("2");
    assert_eq!(two.deleted_at, None);
}

/// The sweep counts live rows the scan's run did not see before
/// `seen_since`, spares rows written during the scan, refuses beyond its
/// limits, and soft or hard deletes otherwise.
pub async fn sweep_spares_seen_rows_and_refuses_beyond_limits(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let state = StreamState::default();
    let first = store.start_run("contacts", at(0)).await.expect("run");
    let rows: Vec<_> = (1..=10).map(|i| row(i, json!({"id": i}))).collect();
    commit(store, first, "contacts", &t, &rows, &state, at(1)).await;
    // the scan: starts at 10, sees 1..=7; row 8 is written during the scan
    // by another writer (a webhook, say), 9 and 10 are gone upstream
    let scan = store.start_run("contacts", at(10)).await.expect("scan");
    commit(store, scan, "contacts", &t, &rows[..7], &state, at(11)).await;
    let other = store.start_run("contacts", at(12)).await.expect("other");
    commit(store, other, "contacts", &t, &rows[7..8], &state, at(12)).await;
    let sweep = |action, max_share: f64, max_count| Sweep {
        table: &t,
        run: scan,
        seen_since: at(10),
        action,
        max_share,
        max_count,
        now: at(20),
    };
    let live = crate::RecordQuery {
        limit: 100,
        ..Default::default()
    };
    let out = store
        .sweep_missing(&sweep(MissingAction::SoftDelete, 0.1, 100))
        .await
        .expect("sweep");
    assert_eq!((out.live, out.missing, out.applied), (10, 2, 0));
    assert!(out.refused, "2 of 10 is over 10%");
    let out = store
        .sweep_missing(&sweep(MissingAction::SoftDelete, 1.0, 1))
        .await
        .expect("sweep");
    assert!(out.refused && out.applied == 0, "2 is over a count of 1");
    let listed = store.list_records(&t, &live).await.expect("list");
    assert_eq!(listed.len(), 10, "nothing deleted");
    let out = store
        .sweep_missing(&sweep(MissingAction::Report, 0.5, 100))
        .await
        .expect("sweep");
    assert_eq!((out.missing, out.applied, out.refused), (2, 0, false));
    let out = store
        .sweep_missing(&sweep(MissingAction::SoftDelete, 0.5, 100))
        .await
        .expect("sweep");
    assert_eq!((out.missing, out.applied, out.refused), (2, 2, false));
    let listed = store.list_records(&t, &live).await.expect("list");
    assert_eq!(listed.len(), 8, "9 and 10 deleted");
    let nine = store
        .record(&t, &[json!(9)])
        .await
        .expect("read")
        .expect("9");
    assert_eq!(nine.deleted_at, Some(at(20)));
    assert_eq!(nine.last_change, crate::LastChange::Deleted);
    let eight = store
        .record(&t, &[json!(8)])
        .await
        .expect("read")
        .expect("8");
    assert_eq!(eight.deleted_at, None, "written during the scan: spared");

    // a later scan sees 9 again (restored) and not 1 (hard deleted)
    let next = store.start_run("contacts", at(30)).await.expect("next");
    let out = commit(store, next, "contacts", &t, &rows[1..10], &state, at(31)).await;
    assert_eq!(out.restored, 2, "9 and 10 come back: {out:?}");
    let out = store
        .sweep_missing(&Sweep {
            run: next,
            seen_since: at(30),
            ..sweep(MissingAction::HardDelete, 0.5, 100)
        })
        .await
        .expect("sweep");
    assert_eq!((out.live, out.missing, out.applied), (10, 1, 1));
    assert_eq!(store.record(&t, &[json!(1)]).await.expect("read"), None);
}

/// A keys-only scan marks the live rows of the keys it saw and counts the
/// keys with no live row (missing here, or tombstoned here); the sweep then
/// finds exactly the rows it did not see.
pub async fn touched_keys_are_seen_and_the_rest_counted(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let first = store.start_run("contacts", at(0)).await.expect("run");
    let rows: Vec<_> = (1..=5).map(|i| row(i, json!({"id": i}))).collect();
    commit(
        store,
        first,
        "contacts",
        &t,
        &rows,
        &StreamState::default(),
        at(1),
    )
    .await;
    commit_tombstones(store, first, &t, &[row(4, json!({"id": 4}))], 2).await;
    let scan = store.start_run("contacts", at(10)).await.expect("scan");
    // 1, 2 and 4 (tombstoned here) and 9 (unknown here), 2 twice
    let keys: Vec<Vec<serde_json::Value>> =
        [1, 2, 2, 4, 9].iter().map(|&i| vec![json!(i)]).collect();
    let missing = store
        .touch_keys(&t, scan, &keys, at(11))
        .await
        .expect("touch");
    assert_eq!(missing, 2, "4 and 9 have no live row here");
    let one = store
        .record(&t, &[json!(1)])
        .await
        .expect("read")
        .expect("1");
    assert_eq!((one.last_run, one.last_seen), (scan, at(11)));
    assert_eq!(one.updated_at, at(1), "content untouched");
    let sweep = Sweep {
        table: &t,
        run: scan,
        seen_since: at(10),
        action: MissingAction::Report,
        max_share: 1.0,
        max_count: 100,
        now: at(12),
    };
    let out = store.sweep_missing(&sweep).await.expect("sweep");
    assert_eq!((out.live, out.missing), (4, 2), "3 and 5 were not seen");
}

/// Reconciliations are kept per run, replaced when recorded again, and
/// listed newest first, per stream or all.
pub async fn reconciliations_are_kept_newest_first(store: &dyn Store) {
    let r = |run: i64, stream: &str, outcome| Reconciliation {
        run: RunId(run),
        stream: stream.to_owned(),
        started_at: at(run),
        finished_at: at(run + 1),
        outcome,
        action: MissingAction::SoftDelete,
        upstream: 48,
        local: 50,
        fetched: 1,
        changed: 2,
        missing: 3,
        deleted: 0,
        restored: 0,
        refused: 3,
        reason: Some("3 missing of 50 is over `max_delete: 5%`".to_owned()),
    };
    for rec in [
        r(1, "contacts", ReconcileOutcome::Refused),
        r(2, "deals", ReconcileOutcome::Complete),
        r(3, "contacts", ReconcileOutcome::Incomplete),
    ] {
        store.save_reconciliation(&rec).await.expect("save");
    }
    let mut done = r(3, "contacts", ReconcileOutcome::Complete);
    done.reason = None;
    store.save_reconciliation(&done).await.expect("replace");
    let contacts = store
        .reconciliations(Some("contacts"), 10)
        .await
        .expect("list");
    assert_eq!(
        contacts,
        [done, r(1, "contacts", ReconcileOutcome::Refused)]
    );
    let all = store.reconciliations(None, 2).await.expect("all");
    let runs: Vec<i64> = all.iter().map(|r| r.run.0).collect();
    assert_eq!(runs, [3, 2]);
}
