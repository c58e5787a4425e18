//! Mapped columns: typed, filled by upserts, added when the map grows.

use serde_json::{Value, json};

use super::{at, commit};
use crate::prelude::*;
use crate::{Column, ColumnKind, LastChange, RecordRow, StreamState, TableSpec};

fn contacts(columns: &[(&str, ColumnKind)]) -> TableSpec {
    let mut t = TableSpec::new("contacts", vec!["id".into()]);
    t.columns = columns
        .iter()
        .map(|(name, kind)| Column {
            name: (*name).into(),
            kind: *kind,
        })
        .collect();
    t
}

/// Mapped values land in their columns with their types, and a column added
/// to the map later is added to the table without losing rows.
pub async fn mapped_columns_are_typed_and_additive(store: &dyn Store) {
    let t = contacts(&[
        ("email", ColumnKind::Text),
        ("amount", ColumnKind::Text),
        ("vip", ColumnKind::Boolean),
    ]);
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let rows = [RecordRow {
        key: vec![json!(1)],
        raw: r#"{"id":1}"#.into(),
        values: vec![json!("a@b.c"), json!("1234.50"), json!(true)],
    }];
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
    let stored = store
        .record(&t, &[json!(1)])
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        stored.columns,
        vec![
            ("email".to_owned(), json!("a@b.c")),
            ("amount".to_owned(), json!("1234.50")),
            ("vip".to_owned(), json!(1)),
        ],
        "a decimal stays exact text; a boolean is 0/1"
    );
    assert_eq!(
        (stored.updated_run, stored.last_change),
        (run, LastChange::Created)
    );

    let grown = contacts(&[
        ("email", ColumnKind::Text),
        ("amount", ColumnKind::Text),
        ("vip", ColumnKind::Boolean),
        ("score", ColumnKind::Integer),
    ]);
    store.prepare_table(&grown).await.expect("add a column");
    let stored = store
        .record(&grown, &[json!(1)])
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        stored.columns[3],
        ("score".to_owned(), Value::Null),
        "old rows keep their data"
    );
    let rows = [RecordRow {
        key: vec![json!(2)],
        raw: r#"{"id":2}"#.into(),
        values: vec![json!(null), json!("0.10"), json!(false), json!(42)],
    }];
    commit(
        store,
        run,
        "contacts",
        &grown,
        &rows,
        &StreamState::default(),
        at(2),
    )
    .await;
    let stored = store
        .record(&grown, &[json!(2)])
        .await
        .expect("read")
        .expect("row");
    assert_eq!(stored.columns[3].1, json!(42));
    assert!(
        store
            .record(&grown, &[json!(3)])
            .await
            .expect("read")
            .is_none()
    );
}
