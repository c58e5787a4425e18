//! Child streams walk parent tables in key order, in batches.

use serde_json::json;

use super::{at, commit, row, table};
use crate::StreamState;
use crate::prelude::*;

/// `parent_records` pages through a table by key, after a given key.
pub async fn walks_in_key_order_after_a_key(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let rows: Vec<_> = [5, 3, 10, 1]
        .iter()
        .map(|&i| row(i, json!({"id": i})))
        .collect();
    commit(
        store,
        run,
        "contacts",
        &t,
        &rows,
        &StreamState::default(),
        at(1),
    )
    .await;
    let first = store.parent_records(&t, None, 2).await.expect("read");
    let ids: Vec<_> = first.iter().map(|p| p.key[0].clone()).collect();
    assert_eq!(ids, vec![json!(1), json!(3)]);
    assert_eq!(first[1].record, json!({"id": 3}));
    let rest = store
        .parent_records(&t, Some(&first[1].key), 10)
        .await
        .expect("read");
    let ids: Vec<_> = rest.iter().map(|p| p.key[0].clone()).collect();
    assert_eq!(ids, vec![json!(5), json!(10)]);
}
