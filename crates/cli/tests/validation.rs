//! Schema validation against a mock that serves every 10th contact broken:
//! with `on_invalid: quarantine` exactly the good records land in the table
//! and exactly the bad ones in quarantine, each with violations that name
//! what is wrong (the JSON Schema, the primary key and the map's timestamp
//! coercion all speak); with `on_invalid: fail` the stream stops before the
//! page holding the first bad record is written.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{
    QuarantineEntry, Sandbox, cursor_connector, ids, mock_records, open_quarantine,
    quarantine_entries, runs, write_nested,
};
use holdfast_mock::{MockConfig, bad_kind};
use serde_json::Value;

const RECORDS: u64 = 200;

/// The contact schema: id and version integers, email a string, created a
/// `dd/mm/yyyy`-looking string (whether it is a real date is the map's job).
const SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
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

fn mock_config() -> MockConfig {
    MockConfig {
        records: RECORDS,
        bad_every: 10,
        ..MockConfig::default()
    }
}

/// The stream's rules, with `on_invalid` as given.
fn rules(on_invalid: &str) -> String {
    format!(
        r#"    schema: schemas/contacts.json
    on_invalid: {on_invalid}
    map:
      created: {{ from: "$.created", type: timestamp, formats: ["%d/%m/%Y"] }}
"#
    )
}

/// `dd/mm/yyyy` → `yyyy-mm-ddT00:00:00Z`, computed here, not by holdfast.
fn midnight_utc(dmy: &str) -> String {
    let parts: Vec<&str> = dmy.split('/').collect();
    assert_eq!(parts.len(), 3, "{dmy}");
    format!("{}-{}-{}T00:00:00Z", parts[2], parts[1], parts[0])
}

/// Asserts that `q`'s violations fit the way contact `id` was broken.
#[track_caller]
fn assert_violations_fit(kind: &str, id: i64, q: &QuarantineEntry) {
    let v = &q.violations;
    let has = |pointer: &str, words: &[&str]| {
        v.iter()
            .any(|v| v.pointer == pointer && words.iter().all(|w| v.message.contains(w)))
    };
    let ok = match kind {
        "null_email" => q.pointers() == ["/email"] && has("/email", &["null", "\"string\""]),
        "string_number" => {
            q.pointers() == ["/version"] && has("/version", &["\"lots\"", "\"integer\""])
        }
        // The key check and the schema's `required` both say so.
        "missing_key" => {
            q.pointers() == ["", "/id"]
                && has("/id", &["primary key", "`id`"])
                && has("", &["\"id\"", "required"])
        }
        "renamed_field" => q.pointers() == [""] && has("", &["\"email\"", "required"]),
        // The schema's pattern passes it; the map's timestamp coercion does not.
        "bad_date" => {
            q.pointers() == ["/created"]
                && has(
                    "/created",
                    &["expected a timestamp", "\"31/31/2024\"", "%d/%m/%Y"],
                )
        }
        other => panic!("unknown bad kind {other}"),
    };
    assert!(ok, "contact {id} ({kind}): violations {v:?}");
    let first = &v[0];
    assert!(
        q.reason.contains(&first.message),
        "contact {id}: the reason {:?} summarises the first violation {first:?}",
        q.reason
    );
    if v.len() > 1 {
        assert!(
            q.reason.contains(&format!("(and {} more)", v.len() - 1)),
            "{}",
            q.reason
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn quarantine_holds_exactly_the_bad_records() {
    let config = mock_config();
    let mock = common::start_mock_with(config.clone()).await;
    let sandbox = Sandbox::new();
    write_nested(&sandbox, "schemas/contacts.json", SCHEMA);
    sandbox.write_config(&cursor_connector(&mock.url(), 50, &rules("quarantine")));

    let bad: BTreeMap<i64, &str> = (1..=RECORDS)
        .filter_map(|id| bad_kind(&config, id).map(|k| (id as i64, k)))
        .collect();
    let good: Vec<i64> = (1..=RECORDS as i64)
        .filter(|id| !bad.contains_key(id))
        .collect();
    assert_eq!(bad.len(), 20);
    assert_eq!(
        bad.values().copied().collect::<BTreeSet<_>>().len(),
        5,
        "every kind of bad record is served"
    );
    let served: BTreeMap<i64, Value> = mock_records(&mock.url())
        .await
        .into_iter()
        .map(|c| (common::contact_id(&c), c))
        .collect();
    assert_eq!(served.len(), RECORDS as usize);

    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    assert!(out.stderr.contains("20 quarantined"), "{out}");

    let pool = sandbox.pool().await;
    assert_eq!(ids(&pool, "contacts").await, good, "exactly the good ids");
    let created: Vec<(i64, Option<String>)> =
        sqlx::query_as("SELECT id, created FROM contacts ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("created column");
    for (id, stored) in &created {
        let raw = served[id]["created"].as_str().expect("created");
        assert_eq!(stored.as_deref(), Some(midnight_utc(raw).as_str()), "{id}");
    }

    let run = &runs(&pool).await[0];
    assert_eq!(
        (run.created, run.quarantined, run.outcome.as_str()),
        (180, 20, "succeeded")
    );

    let held = open_quarantine(&pool).await;
    assert_eq!(
        held.keys().copied().collect::<Vec<_>>(),
        bad.keys().copied().collect::<Vec<_>>(),
        "exactly the bad ids are quarantined"
    );
    for (id, q) in &held {
        assert_eq!(q.stream, "contacts");
        assert_eq!(q.run_id, run.id);
        assert_eq!(q.seen, 1);
        assert_eq!(&q.raw, &served[id], "the payload as served");
        assert_violations_fit(bad[id], *id, q);
    }

    // `holdfast quarantine` lists each, with every violation.
    let listed = sandbox
        .run(&["quarantine", "contacts", "--limit", "100"])
        .await;
    listed.expect_code(0);
    let entries = listed.stdout.lines().filter(|l| l.starts_with('#')).count();
    assert_eq!(entries, 20, "{listed}");
    for line in [
        "    /email: null is not of type",
        "    /version: \"lots\" is not of type",
        "    /id: missing primary key field `id`",
        "    (record): \"email\" is a required property",
        "    /created: expected a timestamp, found \"31/31/2024\"",
    ] {
        assert!(listed.stdout.contains(line), "{line:?} in\n{listed}");
    }

    // A second sync sees the same bad records again: no new rows, seen twice.
    sandbox.run(&["sync"]).await.expect_code(0);
    let all = quarantine_entries(&pool).await;
    assert_eq!(all.len(), 20, "no duplicates: {all:?}");
    let second = &runs(&pool).await[1];
    assert_eq!(
        (second.unchanged, second.quarantined, second.created),
        (180, 20, 0)
    );
    for q in &all {
        assert_eq!(q.seen, 2, "contact {}", q.contact());
        assert_eq!(q.run_id, second.id, "the latest run that saw it");
        assert!(q.resolved_at.is_none());
    }
    assert_eq!(ids(&pool, "contacts").await, good);
}

#[tokio::test(flavor = "multi_thread")]
async fn on_invalid_fail_stops_before_the_page_with_the_bad_record() {
    let config = mock_config();
    let mock = common::start_mock_with(config.clone()).await;
    let sandbox = Sandbox::new();
    write_nested(&sandbox, "schemas/contacts.json", SCHEMA);
    // Four a page: 1-4 and 5-8 are clean, 9-12 holds contact 10 (a string version).
    sandbox.write_config(&cursor_connector(&mock.url(), 4, &rules("fail")));
    assert_eq!(bad_kind(&config, 10), Some("string_number"));
    assert!((1..10).all(|id| bad_kind(&config, id).is_none()));

    let out = sandbox.run(&["sync"]).await;
    out.expect_code(1);
    assert!(out.stderr.contains("stream `contacts`"), "{out}");
    assert!(
        out.stderr
            .contains(r#"/version: "lots" is not of type "integer""#),
        "the violation is named: {out}"
    );
    assert!(out.stderr.contains("on_invalid: fail"), "{out}");

    let pool = sandbox.pool().await;
    assert_eq!(
        ids(&pool, "contacts").await,
        (1..=8).collect::<Vec<i64>>(),
        "rows stop at the page before the bad record (good contact 9 shares its page)"
    );
    assert!(
        quarantine_entries(&pool).await.is_empty(),
        "fail keeps nothing in quarantine"
    );
    let all = runs(&pool).await;
    assert_eq!(all.len(), 1);
    let run = &all[0];
    assert_eq!(run.outcome, "failed");
    assert_eq!((run.pages, run.created, run.quarantined), (2, 8, 0));
    let error = run.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("contacts") && error.contains("/version"),
        "{error}"
    );
}
