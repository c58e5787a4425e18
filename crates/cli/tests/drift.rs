//! Drift: the first sync learns the stream's response shape; when the API
//! changes its shape, the next sync records each change once (with the run
//! and an example) and `holdfast drift` lists them. `contract: freeze` turns
//! new fields into invalid records, and a typed map refuses a value whose
//! type drifted rather than store something wrong.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{
    DriftEntry, Sandbox, count, cursor_connector, drift_entries, ids, mock_contacts,
    open_quarantine, raw_by_id, runs,
};
use holdfast_mock::{MockServer, ShapeVersion};
use serde_json::{Value, json};
use sqlx::SqlitePool;

const RECORDS: u64 = 200;

async fn start() -> MockServer {
    common::start_mock(RECORDS).await
}

async fn shapes(pool: &SqlitePool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM _holdfast_shapes WHERE stream = 'contacts'")
        .fetch_one(pool)
        .await
        .expect("read _holdfast_shapes")
}

/// Rows of `contacts` whose payload is in the drifted shape.
async fn drifted_rows(pool: &SqlitePool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM contacts WHERE _raw ->> '$.segment' IS NOT NULL")
        .fetch_one(pool)
        .await
        .expect("count drifted rows")
}

fn example(d: &DriftEntry) -> Value {
    let text = d
        .example
        .as_deref()
        .unwrap_or_else(|| panic!("no example: {d:?}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("example is not JSON ({e}): {d:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn shape_changes_are_recorded_once_with_run_and_example() {
    let mock = start().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 50, ""));

    // First sync: the shape becomes known; nothing to compare with.
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    assert_eq!(shapes(&pool).await, 1, "the known shape is saved");
    assert_eq!(
        drift_entries(&pool).await,
        vec![],
        "no drift on a first sync"
    );
    let none = sandbox.run(&["drift"]).await;
    none.expect_code(0);
    assert!(none.stdout.contains("no drift seen"), "{none}");

    // The API drifts.
    let original = mock_contacts(&mock.url()).await;
    mock.set_shape(ShapeVersion::Drifted);
    let drifted = mock_contacts(&mock.url()).await;
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    let run = runs(&pool).await.last().expect("run").clone();
    assert_eq!(
        (run.updated, run.quarantined),
        (200, 0),
        "evolve accepts it"
    );

    let drift = drift_entries(&pool).await;
    let by_path: BTreeMap<(&str, &str), &DriftEntry> = drift
        .iter()
        .map(|d| ((d.kind.as_str(), d.path.as_str()), d))
        .collect();
    assert_eq!(by_path.len(), drift.len(), "each change once: {drift:#?}");
    let expected: BTreeSet<(&str, &str, &str, &str)> = [
        ("type_changed", "balance", "string", "object"),
        ("field_added", "balance.currency", "absent", "string"),
        ("field_added", "balance.value", "absent", "string"),
        ("type_changed", "tags", "array", "string"),
        ("field_removed", "company", "string | null", "absent"),
        ("field_added", "organization", "absent", "string | null"),
        ("field_added", "segment", "absent", "string"),
    ]
    .into_iter()
    .collect();
    let got: BTreeSet<(&str, &str, &str, &str)> = drift
        .iter()
        .map(|d| {
            (
                d.kind.as_str(),
                d.path.as_str(),
                d.before.as_str(),
                d.after.as_str(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    for d in &drift {
        assert_eq!(d.stream, "contacts");
        assert_eq!(d.run_id, Some(run.id), "{d:?}");
    }

    // Examples are values the API really sent (the old one for a removal).
    let balance = example(by_path[&("type_changed", "balance")]);
    assert_eq!(balance["currency"], "EUR", "{balance}");
    assert!(
        drifted.values().any(|c| c["balance"] == balance),
        "{balance} is a served balance"
    );
    let tag = example(by_path[&("type_changed", "tags")]);
    assert!(
        tag.is_string() && drifted.values().any(|c| c["tags"] == tag),
        "{tag}"
    );
    let company = example(by_path[&("field_removed", "company")]);
    assert!(
        company.is_string() && original.values().any(|c| c["company"] == company),
        "{company}"
    );
    let organization = example(by_path[&("field_added", "organization")]);
    assert!(
        organization.is_string() && drifted.values().any(|c| c["organization"] == organization),
        "{organization}"
    );
    assert_eq!(example(by_path[&("field_added", "segment")]), json!("smb"));

    // `holdfast drift` prints each, with its run and example.
    let listed = sandbox.run(&["drift"]).await;
    listed.expect_code(0);
    for (kind, path, before, after) in &expected {
        let line = listed
            .stdout
            .lines()
            .find(|l| l.contains(&format!(" {kind} ")) && l.contains(&format!("`{path}`")))
            .unwrap_or_else(|| panic!("no line for {kind} {path}:\n{listed}"));
        assert!(line.contains("contacts"), "{line}");
        assert!(line.contains(&format!("run {} ", run.id)), "{line}");
        assert!(line.contains(&format!("{before} → {after}")), "{line}");
    }
    assert_eq!(
        listed
            .stdout
            .lines()
            .filter(|l| l.trim_start().starts_with("e.g. "))
            .count(),
        7,
        "an example under each:\n{listed}"
    );
    assert!(listed.stdout.contains("    e.g. \"smb\""), "{listed}");

    // The same drifted shape again is no news.
    sandbox.run(&["sync"]).await.expect_code(0);
    assert_eq!(drift_entries(&pool).await, drift, "no new drift rows");
    let third = runs(&pool).await.last().expect("run").clone();
    assert_eq!((third.unchanged, third.quarantined), (200, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn freeze_quarantines_records_with_new_fields() {
    let mock = start().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 50, "    contract: freeze\n"));
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    let original = raw_by_id(&pool, "contacts").await;
    assert_eq!(original.len(), 200, "the first sync learns the shape");

    mock.set_shape(ShapeVersion::Drifted);
    sandbox.run(&["sync"]).await.expect_code(0);
    let run = runs(&pool).await.last().expect("run").clone();
    assert_eq!(
        (run.created, run.updated, run.quarantined),
        (0, 0, 200),
        "every drifted record has new fields"
    );
    let held = open_quarantine(&pool).await;
    assert_eq!(
        held.keys().copied().collect::<Vec<_>>(),
        (1..=200).collect::<Vec<i64>>()
    );
    for (id, q) in &held {
        assert_eq!(
            q.pointers(),
            [
                "/balance/currency",
                "/balance/value",
                "/organization",
                "/segment"
            ],
            "{id}: {q:?}"
        );
        for v in &q.violations {
            assert!(
                v.message.contains("contract: freeze") && v.message.contains("new field"),
                "{id}: {v:?}"
            );
        }
        assert!(q.reason.contains("contract: freeze"), "{}", q.reason);
        assert!(
            q.raw.get("segment").is_some(),
            "the drifted payload is kept"
        );
    }
    assert_eq!(
        drifted_rows(&pool).await,
        0,
        "no drifted record in the table"
    );
    assert_eq!(
        raw_by_id(&pool, "contacts").await,
        original,
        "the table keeps the records as they were"
    );
    assert_eq!(
        drift_entries(&pool).await.len(),
        7,
        "the drift is recorded too"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn freeze_keeps_rejecting_new_fields_on_the_next_sync() {
    let mock = start().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 50, "    contract: freeze\n"));
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    let original = raw_by_id(&pool, "contacts").await;
    mock.set_shape(ShapeVersion::Drifted);
    sandbox.run(&["sync"]).await.expect_code(0);

    // Nothing was fixed or accepted: the same new fields are still not in the contract.
    sandbox.run(&["sync"]).await.expect_code(0);
    let run = runs(&pool).await.last().expect("run").clone();
    assert_eq!(
        (run.updated, run.quarantined),
        (0, 200),
        "a third sync must reject the same new fields: {run:?}"
    );
    assert_eq!(
        drifted_rows(&pool).await,
        0,
        "no drifted record in the table"
    );
    assert_eq!(raw_by_id(&pool, "contacts").await, original);
}

#[tokio::test(flavor = "multi_thread")]
async fn freeze_retry_without_a_fix_moves_nothing() {
    let mock = start().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 50, "    contract: freeze\n"));
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    let original = raw_by_id(&pool, "contacts").await;
    mock.set_shape(ShapeVersion::Drifted);
    sandbox.run(&["sync"]).await.expect_code(0);

    let out = sandbox.run(&["quarantine", "retry"]).await;
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("contacts: 0 records now pass and moved into `contacts`; 200 still invalid"),
        "nothing changed, nothing may pass: {out}"
    );
    assert_eq!(
        drifted_rows(&pool).await,
        0,
        "no drifted record in the table"
    );
    assert_eq!(raw_by_id(&pool, "contacts").await, original);
    assert_eq!(open_quarantine(&pool).await.len(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decimal_column_quarantines_a_balance_that_became_an_object() {
    let mock = start().await;
    let sandbox = Sandbox::new();
    let map = "    map:\n      balance: { from: \"$.balance\", type: decimal }\n";
    sandbox.write_config(&cursor_connector(&mock.url(), 50, map));
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    let served = mock_contacts(&mock.url()).await;
    let balances = || async {
        let rows: Vec<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, balance FROM contacts ORDER BY id")
                .fetch_all(&pool)
                .await
                .expect("balance column");
        rows
    };
    let before = balances().await;
    assert_eq!(before.len(), 200);
    for (id, balance) in &before {
        assert_eq!(balance.as_deref(), served[id]["balance"].as_str(), "{id}");
    }
    let raw_before = raw_by_id(&pool, "contacts").await;

    mock.set_shape(ShapeVersion::Drifted);
    sandbox.run(&["sync"]).await.expect_code(0);
    let run = runs(&pool).await.last().expect("run").clone();
    assert_eq!((run.updated, run.quarantined), (0, 200));
    let held = open_quarantine(&pool).await;
    assert_eq!(held.len(), 200);
    for (id, q) in &held {
        assert_eq!(q.pointers(), ["/balance"], "{id}: {q:?}");
        assert_eq!(
            q.violations[0].message, "expected a decimal, found an object",
            "{id}"
        );
        assert!(q.raw["balance"].is_object());
    }
    assert_eq!(balances().await, before, "no bad data written");
    assert_eq!(raw_by_id(&pool, "contacts").await, raw_before);
    assert_eq!(count(&pool, "contacts").await, 200);
    assert_eq!(ids(&pool, "contacts").await.len(), 200);
}
