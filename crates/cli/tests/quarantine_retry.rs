//! `holdfast quarantine retry`: after the schema and map are relaxed, the
//! quarantined records that now pass move into their table (mapped columns
//! included) and are marked resolved; the ones that still fail (no primary
//! key) stay, with their violations re-checked.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{
    Sandbox, StoredViolation, cursor_connector, ids, mock_records, open_quarantine,
    quarantine_entries, runs, write_nested,
};
use holdfast_mock::{MockConfig, bad_kind};
use serde_json::Value;

const RECORDS: u64 = 200;

/// Strict: the schema `validation.rs` uses.
const STRICT: &str = r#"{
  "type": "object",
  "required": ["id", "email", "version", "created"],
  "properties": {
    "id": { "type": "integer" },
    "email": { "type": "string" },
    "version": { "type": "integer" },
    "created": { "type": "string", "pattern": "^[0-9]{2}/[0-9]{2}/[0-9]{4}$" }
  }
}
"#;

/// Relaxed: email optional and nullable, version anything, id not required
/// by the schema (the primary key still is).
const RELAXED: &str = r#"{
  "type": "object",
  "required": ["version", "created"],
  "properties": {
    "id": { "type": "integer" },
    "email": { "type": ["string", "null"] },
    "version": {},
    "created": { "type": "string" }
  }
}
"#;

const STRICT_RULES: &str = r#"    schema: schemas/contacts.json
    map:
      created: { from: "$.created", type: timestamp, formats: ["%d/%m/%Y"] }
"#;

/// The relaxed map keeps `created` as the text received.
const RELAXED_RULES: &str = r#"    schema: schemas/contacts.json
    map:
      created: { from: "$.created", type: string }
"#;

#[tokio::test(flavor = "multi_thread")]
async fn retry_moves_exactly_the_records_that_now_pass() {
    let config = MockConfig {
        records: RECORDS,
        bad_every: 10,
        ..MockConfig::default()
    };
    let mock = common::start_mock_with(config.clone()).await;
    let sandbox = Sandbox::new();
    write_nested(&sandbox, "schemas/contacts.json", STRICT);
    sandbox.write_config(&cursor_connector(&mock.url(), 50, STRICT_RULES));
    sandbox.run(&["sync"]).await.expect_code(0);

    let bad: BTreeMap<i64, &str> = (1..=RECORDS)
        .filter_map(|id| bad_kind(&config, id).map(|k| (id as i64, k)))
        .collect();
    let keyless: BTreeSet<i64> = bad
        .iter()
        .filter(|(_, k)| **k == "missing_key")
        .map(|(id, _)| *id)
        .collect();
    let fixable: BTreeSet<i64> = bad
        .keys()
        .copied()
        .filter(|id| !keyless.contains(id))
        .collect();
    assert_eq!((keyless.len(), fixable.len()), (4, 16));
    let served: BTreeMap<i64, Value> = mock_records(&mock.url())
        .await
        .into_iter()
        .map(|c| (common::contact_id(&c), c))
        .collect();

    let pool = sandbox.pool().await;
    let before = open_quarantine(&pool).await;
    assert_eq!(before.len(), 20);
    for id in &keyless {
        assert_eq!(
            before[id].violations.len(),
            2,
            "key and schema: {:?}",
            before[id]
        );
    }

    // The fix: a relaxed schema and map, in the same files.
    write_nested(&sandbox, "schemas/contacts.json", RELAXED);
    sandbox.write_config(&cursor_connector(&mock.url(), 50, RELAXED_RULES));
    let out = sandbox.run(&["quarantine", "retry"]).await;
    out.expect_code(0);
    let all_runs = runs(&pool).await;
    let retry_run = all_runs.last().expect("the retry is a run").clone();
    assert_eq!(all_runs.len(), 2);
    assert_eq!(retry_run.outcome, "succeeded");
    assert!(
        out.stdout.contains(&format!(
            "contacts: 16 records now pass and moved into `contacts`; 4 still invalid (run {})",
            retry_run.id
        )),
        "{out}"
    );

    // The table: every contact but the keyless ones.
    let expected_ids: Vec<i64> = (1..=RECORDS as i64)
        .filter(|id| !keyless.contains(id))
        .collect();
    assert_eq!(ids(&pool, "contacts").await, expected_ids);
    let moved: Vec<(i64, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT id, _raw, created, _updated_run FROM contacts WHERE _updated_run = ? ORDER BY id",
    )
    .bind(retry_run.id)
    .fetch_all(&pool)
    .await
    .expect("moved rows");
    assert_eq!(
        moved.iter().map(|m| m.0).collect::<BTreeSet<_>>(),
        fixable,
        "the retry wrote exactly the fixable records"
    );
    for (id, raw, created, _) in &moved {
        let raw: Value = serde_json::from_str(raw).expect("_raw");
        assert_eq!(&raw, &served[id], "{id}: the payload as quarantined");
        assert_eq!(
            created.as_deref(),
            served[id]["created"].as_str(),
            "{id}: the relaxed map's column"
        );
    }

    // Quarantine: the moved ones resolved by the retry, the keyless ones open
    // with violations re-checked by the relaxed schema (only the key is left).
    let entries = quarantine_entries(&pool).await;
    assert_eq!(entries.len(), 20, "no new rows");
    for q in &entries {
        let id = q.contact();
        if fixable.contains(&id) {
            assert!(q.resolved_at.is_some(), "{id} resolved");
            assert_eq!(q.resolved_run, Some(retry_run.id), "{id}");
        } else {
            assert!(q.resolved_at.is_none(), "{id} stays: {q:?}");
            assert_eq!(q.run_id, retry_run.id, "{id}: re-checked by the retry");
            assert_eq!(
                q.violations,
                vec![StoredViolation {
                    pointer: "/id".into(),
                    message: "missing primary key field `id`".into(),
                }],
                "{id}"
            );
            assert_eq!(q.reason, "/id: missing primary key field `id`");
        }
    }
    let open = open_quarantine(&pool).await;
    assert_eq!(open.keys().copied().collect::<BTreeSet<_>>(), keyless);

    // `holdfast quarantine` shows only those.
    let listed = sandbox.run(&["quarantine", "--limit", "100"]).await;
    listed.expect_code(0);
    let entries: Vec<&str> = listed
        .stdout
        .lines()
        .filter(|l| l.starts_with('#'))
        .collect();
    assert_eq!(entries.len(), 4, "{listed}");
    assert!(
        entries
            .iter()
            .all(|l| l.ends_with("/id: missing primary key field `id`")),
        "{listed}"
    );
    for id in &fixable {
        assert!(
            !listed.stdout.contains(&format!("\"id\":{id},")),
            "{id} is still listed:\n{listed}"
        );
    }

    // A sync with the relaxed rules quarantines only the keyless ones again,
    // and a second retry has nothing to move.
    sandbox.run(&["sync"]).await.expect_code(0);
    let open = open_quarantine(&pool).await;
    assert_eq!(open.keys().copied().collect::<BTreeSet<_>>(), keyless);
    assert_eq!(quarantine_entries(&pool).await.len(), 20);
    let again = sandbox.run(&["quarantine", "retry"]).await;
    again.expect_code(0);
    assert!(
        again
            .stdout
            .contains("contacts: 0 records now pass and moved into `contacts`; 4 still invalid"),
        "{again}"
    );
    assert_eq!(ids(&pool, "contacts").await, expected_ids);
}
