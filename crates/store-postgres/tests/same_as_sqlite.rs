//! Differential test: a long pseudo-random series of webhook event batches
//! (creates, updates, deletes, stale and unversioned events, repeated keys
//! within a batch) ends in the same records and outcomes on PostgreSQL as on
//! SQLite.

mod support;

use holdfast_store::conformance::queue::{claim, enqueue_all, new_job};
use holdfast_store::conformance::{at, table};
use holdfast_store::prelude::*;
use holdfast_store::{
    Column, ColumnKind, EventApply, EventOutcome, Lease, RecordRow, StoredRecord,
};
use holdfast_store_sqlite::SqliteStore;
use serde_json::{Value, json};

/// A small deterministic generator (no dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Applies the same batches to `store`; every outcome and the final records.
async fn replay(store: &dyn Store) -> (Vec<EventOutcome>, Vec<Option<StoredRecord>>) {
    let mut t = table("contacts");
    t.columns.push(Column {
        name: "email".into(),
        kind: ColumnKind::Text,
    });
    store.prepare_table(&t).await.expect("prepare");
    let mut rng = Lcg(7);
    let mut outcomes = Vec::new();
    for batch in 0..40_i64 {
        let size = 1 + rng.next(12) as usize;
        let jobs: Vec<_> = (0..size)
            .map(|i| new_job("webhook", &format!("b{batch}e{i}"), None, 0, 0))
            .collect();
        enqueue_all(store, &jobs).await;
        let leases: Vec<Lease> = claim(store, "w", size as u32, at(batch))
            .await
            .iter()
            .map(|j| j.lease())
            .collect();
        assert_eq!(leases.len(), size);
        let events: Vec<EventApply<'_>> = (0..size)
            .map(|i| {
                let id = rng.next(6) as i64;
                let email = format!("{}@x", rng.next(3));
                let version = match rng.next(5) {
                    0 => None,
                    v => Some(format!("n{:03}", batch * 3 + v as i64 - 4)),
                };
                EventApply {
                    // Now and then one job carries two events.
                    lease: leases[if i > 0 && rng.next(4) == 0 { i - 1 } else { i }],
                    table: &t,
                    row: RecordRow {
                        key: vec![json!(id)],
                        raw: json!({"id": id, "email": email}).to_string(),
                        values: vec![json!(email)],
                    },
                    version,
                    delete: rng.next(10) < 3,
                }
            })
            .collect();
        outcomes.extend(store.apply_events(&events, at(batch)).await.expect("apply"));
    }
    let mut records = Vec::new();
    for id in 0..6 {
        let mut r = store.record(&t, &[json!(id)]).await.expect("read");
        if let Some(r) = r.as_mut() {
            // JSONB respells the record: compare content.
            r.raw = serde_json::from_str::<Value>(&r.raw)
                .expect("json")
                .to_string();
        }
        records.push(r);
    }
    (outcomes, records)
}

#[tokio::test]
async fn event_batches_end_the_same_as_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.db");
    let sqlite = SqliteStore::open(&path.display().to_string())
        .await
        .expect("open SQLite");
    let (pg, _guard) = support::fresh().await;
    let expected = replay(&sqlite).await;
    let got = replay(&pg).await;
    assert!(
        expected.0.contains(&EventOutcome::Stale)
            && expected.0.contains(&EventOutcome::Unchanged)
            && expected.0.contains(&EventOutcome::Deleted),
        "the series covers the interesting cases: {:?}",
        expected.0
    );
    assert_eq!(got.0, expected.0, "outcomes");
    for (id, (g, e)) in got.1.iter().zip(&expected.1).enumerate() {
        assert_eq!(g, e, "record {id}");
    }
}
