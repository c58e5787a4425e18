//! Issue 14, item 8: every listing names records by stream and primary key,
//! and every listing command (`runs`, `status`, `quarantine`, `drift`,
//! `queue`, `alerts`) prints JSON with `--json`.

mod common;

use std::collections::BTreeMap;

use common::{Sandbox, cursor_connector, mock_records, write_nested};
use holdfast_mock::{MockConfig, bad_kind};
use serde_json::Value;

const RECORDS: u64 = 100;

/// The contact schema of `validation.rs`: with the map's date coercion it
/// quarantines every kind of broken contact the mock serves.
const SCHEMA: &str = r#"{
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

const RULES: &str = r#"    schema: schemas/contacts.json
    on_invalid: quarantine
    map:
      created: { from: "$.created", type: timestamp, formats: ["%d/%m/%Y"] }
"#;

/// A sandbox synced once against a mock serving every 10th contact broken.
async fn synced() -> (Sandbox, MockConfig, holdfast_mock::MockServer) {
    let config = MockConfig {
        records: RECORDS,
        bad_every: 10,
        ..MockConfig::default()
    };
    let mock = common::start_mock_with(config.clone()).await;
    let sandbox = Sandbox::new();
    write_nested(&sandbox, "schemas/contacts.json", SCHEMA);
    sandbox.write_config(&format!(
        "{}alerts:\n  - {{ rule: no_records, stream: contacts, for: 1h }}\n",
        cursor_connector(&mock.url(), 25, RULES)
    ));
    sandbox.run(&["sync"]).await.expect_code(0);
    (sandbox, config, mock)
}

/// Runs `args` and parses its stdout as one JSON value.
async fn json(sandbox: &Sandbox, args: &[&str]) -> Value {
    let out = sandbox.run(args).await;
    out.expect_code(0);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn quarantine_names_each_record_by_stream_and_key() {
    let (sandbox, config, mock) = synced().await;
    // the bad records that still have an integer id, by id, as the mock serves them
    let served: BTreeMap<i64, Value> = mock_records(&mock.url())
        .await
        .into_iter()
        .filter_map(|c| c["id"].as_i64().map(|id| (id, c)))
        .collect();
    let bad: Vec<i64> = (1..=RECORDS)
        .filter(|id| bad_kind(&config, *id).is_some())
        .map(|id| id as i64)
        .collect();
    let keyed_bad: Vec<i64> = bad
        .iter()
        .copied()
        .filter(|id| served.contains_key(id))
        .collect();
    assert!(keyed_bad.len() >= 5, "{keyed_bad:?}");

    let listing = json(&sandbox, &["quarantine", "--json", "--limit", "100"]).await;
    let rows = listing["quarantine"].as_array().expect("quarantine array");
    assert_eq!(rows.len(), bad.len(), "{listing:#}");
    let mut keys: Vec<i64> = rows
        .iter()
        .filter_map(|r| r["key"]["id"].as_i64())
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, keyed_bad, "each keyed bad record, by its id");
    for r in rows {
        assert_eq!(r["stream"], "contacts");
        for field in ["id", "run", "reason", "raw", "violations", "at", "seen"] {
            assert!(r.get(field).is_some(), "{field} in {r}");
        }
        // the key is the payload's own
        if let Some(id) = r["key"]["id"].as_i64() {
            let raw: Value = serde_json::from_str(r["raw"].as_str().expect("raw")).expect("json");
            assert_eq!(raw["id"], id);
        } else {
            assert!(r["key"].is_null(), "{r}");
        }
    }

    // the text listing names the stream and the key on each record's line
    let text = sandbox.run(&["quarantine", "--limit", "100"]).await;
    text.expect_code(0);
    for id in &keyed_bad {
        assert!(
            text.stdout
                .lines()
                .any(|l| l.contains(&format!(" contacts id={id} run "))),
            "contact {id} is named by key: {text}"
        );
    }
    assert!(
        text.stdout
            .contains("(no usable primary key in the payload)"),
        "a record without an id says so: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_listing_command_prints_json() {
    let (sandbox, _config, _mock) = synced().await;

    let runs = json(&sandbox, &["runs", "--json"]).await;
    let list = runs["runs"].as_array().expect("runs array");
    assert_eq!(list.len(), 1, "{runs:#}");
    let run = &list[0];
    assert_eq!(run["stream"], "contacts");
    assert_eq!(run["outcome"], "succeeded");
    assert_eq!(run["pages"], 4);
    assert_eq!(run["quarantined"], 10);
    assert_eq!(run["created"], 90);
    let id = run["id"].as_i64().expect("run id");

    let requests = json(&sandbox, &["runs", "--requests", &id.to_string(), "--json"]).await;
    let list = requests["requests"].as_array().expect("requests array");
    assert_eq!(list.len(), 4, "{requests:#}");
    assert!(list.iter().all(|r| r["status"] == 200 && r["run"] == id));

    let status = json(&sandbox, &["status", "--json"]).await;
    let streams = status["streams"].as_array().expect("streams");
    assert_eq!(streams[0]["name"], "contacts");
    assert_eq!(streams[0]["last_run"]["id"], id);
    assert_eq!(status["connections"][0]["name"], "crm");
    assert_eq!(status["connections"][0]["auth"], "none");
    let endpoints = status["endpoints"].as_array().expect("endpoints");
    assert_eq!(endpoints.len(), 1, "{status:#}");
    assert_eq!(endpoints[0]["attempts"], 4);
    assert_eq!(endpoints[0]["success_rate"], 1.0);
    assert!(status["queue"]["depth"].is_array(), "{status:#}");

    let drift = json(&sandbox, &["drift", "--json"]).await;
    assert!(drift["drift"].is_array(), "{drift:#}");

    let queue = json(&sandbox, &["queue", "--json"]).await;
    assert!(
        queue["dead"].is_array() && queue["depth"].is_array(),
        "{queue:#}"
    );

    let alerts = json(&sandbox, &["alerts", "--json"]).await;
    let list = alerts["alerts"].as_array().expect("alerts array");
    assert_eq!(list.len(), 1, "{alerts:#}");
    assert_eq!(list[0]["rule"], "no_records");
    assert_eq!(list[0]["firing"], false);
}
