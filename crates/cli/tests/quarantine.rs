//! Records without a usable primary key are quarantined with the reason and
//! the payload, never written to the stream table, and listed by
//! `holdfast quarantine`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Sandbox, contacts_connector, count, mock_contacts, runs};
use serde_json::Value;

const RECORDS: u64 = 300;

#[tokio::test(flavor = "multi_thread")]
async fn null_keys_are_quarantined_with_reason_and_payload() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    let yaml = contacts_connector(
        &mock.url(),
        "{ path: /cursor/contacts, params: { limit: 100 } }",
        r#"{ type: cursor, next: "$.meta.next_cursor", param: cursor }"#,
    )
    .replace(
        "primary_key: id",
        "primary_key: company\n    into: by_company",
    );
    sandbox.write_config(&yaml);
    sandbox.run(&["sync"]).await.expect_code(0);

    let served = mock_contacts(&mock.url()).await;
    let null_company: BTreeMap<i64, &Value> = served
        .iter()
        .filter(|(_, c)| c["company"].is_null())
        .map(|(id, c)| (*id, c))
        .collect();
    assert!(
        (50..150).contains(&null_company.len()),
        "about a third of {RECORDS} have no company: {}",
        null_company.len()
    );

    let pool = sandbox.pool().await;
    let rows: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT stream, reason, raw, run_id FROM _holdfast_quarantine ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("quarantine rows");
    let all_runs = runs(&pool).await;
    assert_eq!(all_runs.len(), 1);
    let run = &all_runs[0];
    assert_eq!(rows.len(), null_company.len(), "one row per null company");
    let mut quarantined = BTreeMap::new();
    for (stream, reason, raw, run_id) in &rows {
        assert_eq!(stream, "contacts");
        assert_eq!(*run_id, run.id);
        assert!(
            reason.contains("primary key field `company` is null"),
            "{reason}"
        );
        let raw: Value = serde_json::from_str(raw).expect("raw is JSON");
        let id = raw["id"].as_i64().expect("id");
        assert!(quarantined.insert(id, raw).is_none(), "{id} twice");
    }
    let expected: BTreeMap<i64, Value> = null_company
        .iter()
        .map(|(id, c)| (*id, (*c).clone()))
        .collect();
    assert_eq!(quarantined, expected, "raw payloads are the records served");

    // The run counts them; the table holds only keyed records, one per company.
    assert_eq!(run.outcome, "succeeded");
    assert_eq!(run.quarantined, null_company.len() as i64);
    assert_eq!(
        run.created + run.updated + run.unchanged + run.quarantined,
        RECORDS as i64
    );
    let companies: BTreeSet<String> = served
        .values()
        .filter_map(|c| c["company"].as_str().map(str::to_owned))
        .collect();
    let stored: Vec<(Option<String>, String)> =
        sqlx::query_as("SELECT company, _raw FROM by_company ORDER BY company")
            .fetch_all(&pool)
            .await
            .expect("table rows");
    assert_eq!(count(&pool, "by_company").await, companies.len() as i64);
    for (company, raw) in &stored {
        let raw: Value = serde_json::from_str(raw).expect("_raw");
        assert!(company.is_some(), "a null key was written: {raw}");
        assert_eq!(raw["company"].as_str(), company.as_deref());
        assert!(!raw["company"].is_null());
    }
    let stored_companies: BTreeSet<String> = stored.into_iter().filter_map(|(c, _)| c).collect();
    assert_eq!(stored_companies, companies);

    // `holdfast quarantine` lists every one, with the reason.
    let out = sandbox.run(&["quarantine", "--limit", "1000"]).await;
    out.expect_code(0);
    let entries: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(entries.len(), null_company.len(), "{out}");
    assert!(
        entries
            .iter()
            .all(|l| l.contains("contacts") && l.contains("primary key field `company` is null")),
        "{out}"
    );
    for id in null_company.keys() {
        assert!(
            out.stdout.contains(&format!("\"id\":{id},")),
            "contact {id} is not listed:\n{out}"
        );
    }
    let filtered = sandbox.run(&["quarantine", "nosuch"]).await;
    filtered.expect_code(0);
    assert!(
        filtered.stdout.contains("quarantine is empty"),
        "{filtered}"
    );
}
