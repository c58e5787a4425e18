//! Exports and verbatim imports: a copied record reads back identical.

use serde_json::{Value, json};

use super::{at, commit, row, table};
use crate::prelude::*;
use crate::{Column, ColumnKind, RecordRow, RunId, StreamState, TableSpec};

/// Rows exported page by page and imported into another table read back
/// identical, metadata and mapped values included; a second import changes
/// nothing; runs, states, shapes and quarantine are listed and copied.
pub async fn exported_rows_import_verbatim(store: &dyn Store) {
    let mut t = table("contacts");
    t.columns = vec![
        Column {
            name: "email".into(),
            kind: ColumnKind::Text,
        },
        Column {
            name: "n".into(),
            kind: ColumnKind::Integer,
        },
        Column {
            name: "vip".into(),
            kind: ColumnKind::Boolean,
        },
    ];
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let rows: Vec<RecordRow> = (1..=25)
        .map(|i| {
            let mut r = row(i, json!({"id": i, "v": 1}));
            r.values = vec![json!(format!("a{i}@x")), json!(i), json!(i % 2)];
            r
        })
        .collect();
    let state = StreamState {
        cursor: Some(json!("2024-01-01")),
        progress: None,
    };
    commit(store, run, "contacts", &t, &rows, &state, at(1)).await;
    let changed = [row(3, json!({"id": 3, "v": 2}))];
    let mut changed = changed.to_vec();
    changed[0].values = vec![json!("c@x"), json!(3), json!(1)];
    commit(store, run, "contacts", &t, &changed, &state, at(5)).await;
    store
        .save_shape("contacts", "{\"id\":\"integer\"}", at(6))
        .await
        .expect("shape");

    let inv = store.inventory().await.expect("inventory");
    assert_eq!(
        inv.tables,
        vec![t.clone()],
        "tables as registered, kinds included"
    );
    assert_eq!(inv.states.len(), 1);
    assert_eq!(inv.states[0].stream, "contacts");
    assert_eq!(inv.states[0].state, state);
    assert_eq!(inv.shapes.len(), 1);

    let mut copy = t.clone();
    copy.name = "contacts_copy".into();
    store.prepare_table(&copy).await.expect("prepare copy");
    let mut after: Option<Vec<Value>> = None;
    let mut pages = 0;
    loop {
        let page = store
            .export_records(&t, after.as_deref(), 10)
            .await
            .expect("export");
        if page.is_empty() {
            break;
        }
        pages += 1;
        after = page.last().map(|r| r.key.clone());
        store.import_records(&copy, &page).await.expect("import");
        store
            .import_records(&copy, &page)
            .await
            .expect("import again");
    }
    assert_eq!(pages, 3, "25 rows in pages of 10");
    for i in 1..=25 {
        let key = [json!(i)];
        let a = store
            .record(&t, &key)
            .await
            .expect("read")
            .expect("source row");
        let b = store
            .record(&copy, &key)
            .await
            .expect("read")
            .expect("copied row");
        let raw = |s: &str| serde_json::from_str::<Value>(s).expect("json");
        assert_eq!(raw(&a.raw), raw(&b.raw), "row {i}");
        assert_eq!(
            (a.first_seen, a.updated_at, a.last_seen),
            (b.first_seen, b.updated_at, b.last_seen)
        );
        assert_eq!(
            (a.updated_run, a.last_run, a.last_change),
            (b.updated_run, b.last_run, b.last_change)
        );
        assert_eq!((a.version, a.deleted_at), (b.version, b.deleted_at));
        assert_eq!(a.columns, b.columns, "row {i}");
    }
    let three = store
        .record(&copy, &[json!(3)])
        .await
        .expect("read")
        .expect("row 3");
    assert_eq!(three.first_seen, at(1));
    assert_eq!(three.updated_at, at(5));
    assert_eq!(three.columns[2].1, json!(1));

    let runs = store.export_runs(None, 10).await.expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].id, run);
    assert!(
        store
            .export_runs(Some(run), 10)
            .await
            .expect("runs")
            .is_empty()
    );
    store.import_runs(&runs).await.expect("import runs again");
    let next = store.start_run("contacts", at(9)).await.expect("run");
    assert!(next > run, "new runs come after imported ones");

    let mut moved = runs[0].clone();
    moved.id = RunId(next.0 + 100);
    store
        .import_runs(&[moved.clone()])
        .await
        .expect("import a run");
    let later = store.start_run("other", at(10)).await.expect("run");
    assert!(later > moved.id, "ids continue above imported runs");
    let got = store.export_runs(Some(next), 10).await.expect("runs");
    assert_eq!(got.first(), Some(&moved));
}

/// Quarantine rows keep their id, run, seen count and resolution when copied.
pub async fn quarantine_exports_and_imports_by_id(store: &dyn Store) {
    let t = TableSpec::new("things", vec!["id".into()]);
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("things", at(0)).await.expect("run");
    let bad = [crate::QuarantinedRecord {
        reason: "missing `id`".into(),
        raw: "{\"x\":1}".into(),
        violations: vec![crate::Violation {
            pointer: "/id".into(),
            message: "missing".into(),
        }],
    }];
    store
        .commit_page(crate::PageCommit {
            run,
            stream: "things",
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
    let rows = store.export_quarantine(None, 10).await.expect("export");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].run, run);
    assert_eq!(rows[0].violations, bad[0].violations);
    let mut copy = rows[0].clone();
    copy.id += 50;
    copy.stream = "copied".into();
    store
        .import_quarantine(&[copy.clone()])
        .await
        .expect("import");
    store
        .import_quarantine(&[copy.clone()])
        .await
        .expect("import again");
    let listed = store.quarantine(Some("copied"), 10).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id, listed[0].run, listed[0].seen),
        (copy.id, run, 1)
    );
    assert_eq!(
        store
            .export_quarantine(Some(rows[0].id), 10)
            .await
            .expect("export"),
        vec![copy]
    );
}
