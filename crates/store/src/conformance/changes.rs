//! The change feed: every write that changes a row's content or liveness
//! gives it the table's next change number; reading after a number gives
//! the rows changed since, in that order, each once as it is now.

use serde_json::{Value, json};

use super::{at, commit, row, table};
use crate::prelude::*;
use crate::{
    ExportedRecord, MissingAction, PageCommit, RecordQuery, StreamState, Sweep, TableSpec,
};

async fn after(store: &dyn Store, t: &TableSpec, seq: i64) -> Vec<ExportedRecord> {
    let q = RecordQuery {
        changed_after: Some(seq),
        deleted: true,
        limit: 100,
        ..RecordQuery::default()
    };
    store.list_records(t, &q).await.expect("changes")
}

fn ids(page: &[ExportedRecord]) -> Vec<Value> {
    page.iter().map(|r| r.key[0].clone()).collect()
}

fn last(page: &[ExportedRecord]) -> i64 {
    page.last().and_then(|r| r.seq).expect("a change number")
}

/// Created rows come in write order; an unchanged sighting is no change; an
/// update, a tombstone and a sweep's soft delete move the row to the end;
/// numbers only grow.
pub async fn changes_come_in_commit_order_once_each(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let state = StreamState::default();
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let rows: Vec<_> = [3, 1, 2]
        .iter()
        .map(|&i| row(i, json!({"id": i})))
        .collect();
    commit(store, run, "contacts", &t, &rows, &state, at(1)).await;
    let more = [row(5, json!({"id": 5})), row(4, json!({"id": 4}))];
    commit(store, run, "contacts", &t, &more, &state, at(2)).await;
    let all = after(store, &t, 0).await;
    assert_eq!(
        ids(&all),
        [json!(3), json!(1), json!(2), json!(5), json!(4)]
    );
    let seqs: Vec<i64> = all.iter().map(|r| r.seq.expect("numbered")).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let cursor = last(&all);
    assert!(after(store, &t, cursor).await.is_empty());

    // seen again unchanged: nothing; changed: 1 moves to the end
    let again = [row(2, json!({"id": 2})), row(1, json!({"id": 1, "v": 2}))];
    commit(store, run, "contacts", &t, &again, &state, at(3)).await;
    let page = after(store, &t, cursor).await;
    assert_eq!(ids(&page), [json!(1)]);
    let cursor = last(&page);

    // a tombstone from a sync, then a sweep's soft delete
    store
        .commit_page(PageCommit {
            run,
            stream: "contacts",
            table: &t,
            records: &[],
            tombstones: &[row(3, json!({"id": 3, "archived": true}))],
            deletions: &[],
            quarantined: &[],
            requests: &[],
            resolved: &[],
            shape: None,
            drift: &[],
            state: &state,
            now: at(4),
        })
        .await
        .expect("tombstone");
    let scan = store.start_run("contacts", at(10)).await.expect("scan");
    let seen: Vec<_> = [1, 2, 5]
        .iter()
        .map(|&i| row(i, json!({"id": i})))
        .collect();
    commit(store, scan, "contacts", &t, &seen, &state, at(11)).await;
    let sweep = Sweep {
        table: &t,
        run: scan,
        seen_since: at(10),
        action: MissingAction::SoftDelete,
        max_share: 1.0,
        max_count: 100,
        now: at(12),
    };
    let swept = store.sweep_missing(&sweep).await.expect("sweep");
    assert_eq!(swept.applied, 1, "4 is gone");
    let page = after(store, &t, cursor).await;
    // 3 tombstoned, 1 changed back, 4 soft-deleted: in that order
    assert_eq!(ids(&page), [json!(3), json!(1), json!(4)]);
    assert!(page[0].deleted_at.is_some() && page[2].deleted_at.is_some());
    assert!(page[1].deleted_at.is_none());
    // a page boundary in the middle loses nothing and repeats nothing
    let first = RecordQuery {
        changed_after: Some(cursor),
        deleted: true,
        limit: 2,
        ..RecordQuery::default()
    };
    let head = store.list_records(&t, &first).await.expect("head");
    let tail = after(store, &t, last(&head)).await;
    assert_eq!(ids(&head).len() + ids(&tail).len(), 3);
    assert_eq!(ids(&tail), [json!(4)]);
}
