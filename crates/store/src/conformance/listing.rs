//! The records API's reads: rows of a stream table by key, by change time,
//! tombstones left out unless asked for, in key order, page by page.

use serde_json::{Value, json};

use super::{at, commit, row, table};
use crate::prelude::*;
use crate::{RecordQuery, StoreErrorKind, StreamState};

/// `list_records` pages in key order after a key, finds one key, filters on
/// `_updated_at`, and leaves tombstones out unless `deleted` is set.
pub async fn lists_by_key_change_time_and_tombstone(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let rows: Vec<_> = (1..=6).map(|i| row(i, json!({"id": i, "v": 1}))).collect();
    let state = StreamState::default();
    commit(store, run, "contacts", &t, &rows, &state, at(1)).await;
    let changed = [
        row(2, json!({"id": 2, "v": 2})),
        row(5, json!({"id": 5, "v": 2})),
    ];
    commit(store, run, "contacts", &t, &changed, &state, at(10)).await;
    // a tombstone, written verbatim (as a delete event leaves it)
    let mut gone = store
        .list_records(
            &t,
            &RecordQuery {
                key: Some(vec![json!(4)]),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .expect("read 4")
        .remove(0);
    gone.deleted_at = Some(at(12));
    gone.updated_at = at(12);
    store.import_records(&t, &[gone]).await.expect("tombstone");

    let ids = |page: &[crate::ExportedRecord]| -> Vec<Value> {
        page.iter().map(|r| r.key[0].clone()).collect()
    };
    let q = |f: fn(&mut RecordQuery)| {
        let mut q = RecordQuery {
            limit: 100,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    let all = store.list_records(&t, &q(|_| {})).await.expect("all");
    assert_eq!(
        ids(&all),
        [json!(1), json!(2), json!(3), json!(5), json!(6)],
        "no tombstone"
    );
    let with = store
        .list_records(&t, &q(|q| q.deleted = true))
        .await
        .expect("with deleted");
    assert_eq!(with.len(), 6);
    assert_eq!(with[3].deleted_at, Some(at(12)));

    let mut page = q(|q| q.limit = 2);
    let first = store.list_records(&t, &page).await.expect("page 1");
    assert_eq!(ids(&first), [json!(1), json!(2)]);
    page.after = first.last().map(|r| r.key.clone());
    let second = store.list_records(&t, &page).await.expect("page 2");
    assert_eq!(
        ids(&second),
        [json!(3), json!(5)],
        "the tombstone is skipped, not counted"
    );

    let since = store
        .list_records(&t, &q(|q| q.updated_since = Some(at(10))))
        .await
        .expect("since");
    assert_eq!(ids(&since), [json!(2), json!(5)]);
    assert_eq!(
        since[0].raw.parse::<Value>().ok(),
        Some(json!({"id": 2, "v": 2}))
    );
    let since_deleted = store
        .list_records(
            &t,
            &q(|q| {
                q.updated_since = Some(at(11));
                q.deleted = true;
            }),
        )
        .await
        .expect("since, deleted");
    assert_eq!(ids(&since_deleted), [json!(4)]);

    let one = store
        .list_records(&t, &q(|q| q.key = Some(vec![json!(3)])))
        .await
        .expect("one");
    assert_eq!(ids(&one), [json!(3)]);
    let none = store
        .list_records(&t, &q(|q| q.key = Some(vec![json!(99)])))
        .await
        .expect("none");
    assert!(none.is_empty());
    let deleted_one = store
        .list_records(&t, &q(|q| q.key = Some(vec![json!(4)])))
        .await
        .expect("4");
    assert!(
        deleted_one.is_empty(),
        "a tombstone is not listed by key either"
    );

    let e = store
        .list_records(&t, &q(|q| q.after = Some(vec![json!(1), json!(2)])))
        .await
        .expect_err("two key values for one column");
    assert_eq!(e.kind, StoreErrorKind::InvalidData);
}
