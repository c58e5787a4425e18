//! Child streams: one request chain per parent record.

mod common;

use std::collections::BTreeMap;

use common::{Sandbox, count, get_json, raw_by_id, requests_to, runs_of};
use serde_json::Value;

const CONTACTS: u64 = 40;

fn connector(base_url: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: 100 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
  deals:
    connection: crm
    for_each: {{ stream: contacts, as: contact }}
    request: {{ path: "/v2/contacts/{{{{ contact.id }}}}/deals" }}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn deals_are_the_union_of_every_contacts_deals() {
    let mock = common::start_mock(CONTACTS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    sandbox.run(&["sync"]).await.expect_code(0);

    // One request per contact, each exactly once.
    for id in 1..=CONTACTS {
        assert_eq!(
            requests_to(&mock, &format!("/v2/contacts/{id}/deals")),
            1,
            "deals of contact {id}"
        );
    }
    let pool = sandbox.pool().await;
    let deal_runs = runs_of(&pool, "deals").await;
    assert_eq!(deal_runs.len(), 1);
    assert_eq!(deal_runs[0].outcome, "succeeded");
    assert_eq!(deal_runs[0].pages, CONTACTS as i64, "one page per contact");

    // The table is exactly what the API serves, contact by contact.
    let mut expected: BTreeMap<String, Value> = BTreeMap::new();
    for id in 1..=CONTACTS {
        let body = get_json(&format!("{}/v2/contacts/{id}/deals", mock.url())).await;
        for deal in body["data"].as_array().expect("data") {
            let key = deal["id"].as_str().expect("string deal id").to_owned();
            assert!(
                expected.insert(key.clone(), deal.clone()).is_none(),
                "duplicate {key}"
            );
        }
    }
    assert!(!expected.is_empty(), "the mock serves some deals");
    let stored = raw_by_id(&pool, "deals").await;
    assert_eq!(stored, expected);
    assert_eq!(deal_runs[0].created, expected.len() as i64);

    // Every deal belongs to a synced contact.
    let orphans: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deals WHERE _raw ->> '$.contact_id' NOT IN (SELECT id FROM contacts)",
    )
    .fetch_one(&pool)
    .await
    .expect("orphans");
    assert_eq!(orphans, 0);
    assert_eq!(count(&pool, "contacts").await, CONTACTS as i64);
}

#[tokio::test(flavor = "multi_thread")]
async fn child_alone_in_a_fresh_store_says_sync_the_parent_first() {
    let mock = common::start_mock(CONTACTS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    let out = sandbox.run(&["sync", "deals"]).await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("sync `contacts` first"),
        "stderr should say to sync contacts first:\n{out}"
    );
    assert_eq!(mock.stats().requests, 0, "nothing was requested");
}

#[tokio::test(flavor = "multi_thread")]
async fn child_of_an_empty_parent_says_sync_the_parent_first() {
    // The parent was synced but holds nothing: the child has nothing to read.
    let mock = common::start_mock(0).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    sandbox.run(&["sync", "contacts"]).await.expect_code(0);
    let out = sandbox.run(&["sync", "deals"]).await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("sync `contacts` first"),
        "stderr should say to sync contacts first:\n{out}"
    );
    let pool = sandbox.pool().await;
    let deal_runs = runs_of(&pool, "deals").await;
    assert_eq!(deal_runs.len(), 1);
    assert_eq!(deal_runs[0].outcome, "failed");
    assert_eq!(requests_to(&mock, "/v2/contacts"), 1);
    assert_eq!(mock.stats().requests, 1, "no deal was requested");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_of_a_failed_parent_is_skipped() {
    let mock = common::start_mock(CONTACTS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(
        &connector(&mock.url()).replace("path: /v2/contacts,", "path: /nope/contacts,"),
    );
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("sync contacts: failed") && out.stderr.contains("404"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("sync deals: skipped because its parent `contacts` failed"),
        "{out}"
    );
    assert_eq!(mock.stats().requests, 1, "no deal was requested");
    let pool = sandbox.pool().await;
    assert!(runs_of(&pool, "deals").await.is_empty(), "deals never ran");
}
