//! `connectors/salesforce.yaml`, stream `contacts` (issue 16): a Bulk API 2.0
//! query job out of a replay of Salesforce's documented answers: the job
//! created once, polled until `JobComplete`, its CSV results asked for by the
//! job's id and followed set by set through the `Sforce-Locator` header until
//! it says `null`, `numberRecordsProcessed` rows required. A set without the
//! header, or a locator that names an earlier set again, fails the sync
//! instead of ending it early or looping.

#[path = "support/catalog.rs"]
mod catalog;
mod common;
#[path = "support/replay.rs"]
mod replay;

use std::path::Path;

use catalog::*;
use common::{Sandbox, runs};
use replay::Replay;
use serde_json::json;

const JOBS: &str = "/services/data/v62.0/jobs/query";
const JOB: &str = "/services/data/v62.0/jobs/query/750R0000000zlh9IAA";
const RESULTS: &str = "/services/data/v62.0/jobs/query/750R0000000zlh9IAA/results";

/// Id, first_name, last_name, email, account_id, modified
type ContactRow = (
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
);

async fn contacts(sandbox: &Sandbox) -> Vec<ContactRow> {
    let pool = sandbox.pool().await;
    sqlx::query_as(
        "SELECT \"Id\", first_name, last_name, email, account_id, modified \
         FROM salesforce_contacts ORDER BY \"Id\"",
    )
    .fetch_all(&pool)
    .await
    .expect("salesforce_contacts")
}

/// The Salesforce fixtures with `fault` (a folder of `faults/`) laid over them.
fn with_fault(fault: &str, into: &Path) {
    let root = replay::fixtures_root().join("salesforce");
    for dir in [root.clone(), root.join("faults").join(fault)] {
        for entry in std::fs::read_dir(&dir).expect("read fixtures") {
            let path = entry.expect("dir entry").path();
            if path.is_file() {
                let name = path.file_name().expect("a name");
                std::fs::copy(&path, into.join(name)).expect("copy a fixture");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_query_job_is_created_once_polled_and_its_result_sets_chained() {
    let replay = Replay::start("salesforce").await;
    let sandbox = Sandbox::new();
    run(&sandbox, "salesforce", &replay, &["sync", "contacts"], &[])
        .await
        .expect_code(0);
    replay.assert_all_matched();
    assert_eq!(
        replay.lines(),
        [
            "POST /services/oauth2/token".to_owned(),
            format!("POST {JOBS}"),
            format!("GET {JOB}"),
            format!("GET {JOB}"),
            format!("GET {RESULTS}?maxRecords=50000"),
            format!("GET {RESULTS}?maxRecords=50000&locator=MTAwMDA"),
        ],
        "one job, polled until JobComplete (InProgress first), then the two result sets"
    );
    let seen = replay.requests();
    assert_eq!(
        seen[1].json(),
        json!({
            "operation": "query",
            "query": "SELECT Id, FirstName, LastName, Email, AccountId, SystemModstamp FROM Contact",
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF"
        })
    );
    let bearer = format!("Bearer {SALESFORCE_ACCESS_TOKEN}");
    for s in &seen[1..] {
        assert_eq!(
            s.header("authorization"),
            Some(bearer.as_str()),
            "{}",
            s.line()
        );
    }
    let rows = contacts(&sandbox).await;
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.0.as_str(),
                r.1.as_deref(),
                r.2.as_str(),
                r.3.as_deref(),
                r.4.as_deref(),
                r.5.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "003D000000QOr1EIAT",
                Some("Rose"),
                "Gonzalez",
                Some("rose@edge.example.com"),
                Some("001D000000IRFmaIAH"),
                "2024-03-01T09:12:44Z"
            ),
            (
                "003D000000QOr1FIAT",
                Some("Sean"),
                "Forbes",
                None,
                Some("001D000000IRFmaIAH"),
                "2024-03-02T10:00:00Z"
            ),
            (
                "003D000000QOr1GIAT",
                Some("Jack \"JR\""),
                "Rogers, Jr.",
                Some("jrogers@burlington.example.com"),
                Some("001D000000IomazIAB"),
                "2024-03-03T11:30:15Z"
            ),
            (
                "003D000000QOr1HIAT",
                None,
                "Pavlova",
                Some("pavlova@pyramid.example.com"),
                Some("001D000000JuuGhIAJ"),
                "2024-03-04T08:05:00Z"
            ),
            (
                "003D000000QOr1IIAT",
                Some("Siddartha"),
                "Nédaerk",
                None,
                None,
                "2024-03-05T16:45:59Z"
            ),
        ]
    );
    let all = runs(&sandbox.pool().await).await;
    assert_eq!(all[0].outcome, "succeeded", "{all:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_result_set_without_the_locator_header_fails_instead_of_ending() {
    let dir = tempfile::tempdir().expect("temp dir");
    with_fault("no-locator", dir.path());
    let replay = Replay::start_dir(dir.path()).await;
    let sandbox = Sandbox::new();
    let out = run(&sandbox, "salesforce", &replay, &["sync", "contacts"], &[]).await;
    out.expect_code(1);
    replay.assert_all_matched();
    let results = replay.requests_to("GET", RESULTS);
    assert_eq!(results.len(), 1, "{:?}", replay.lines());
    assert!(contacts(&sandbox).await.is_empty(), "nothing written");
    let all = runs(&sandbox.pool().await).await;
    assert_eq!(all[0].outcome, "failed", "{all:?}");
    let error = all[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("no `Sforce-Locator` header")
            && error.contains("bulk.download.next.last")
            && error.contains("file 1"),
        "the error names the missing header and the file: {error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locator_naming_an_earlier_set_fails_instead_of_looping() {
    let dir = tempfile::tempdir().expect("temp dir");
    with_fault("locator-loop", dir.path());
    let replay = Replay::start_dir(dir.path()).await;
    let sandbox = Sandbox::new();
    let out = run(&sandbox, "salesforce", &replay, &["sync", "contacts"], &[]).await;
    out.expect_code(1);
    replay.assert_all_matched();
    assert_eq!(
        replay.requests_to("GET", RESULTS).len(),
        2,
        "{:?}",
        replay.lines()
    );
    // the first set is committed, the looping one is not
    let ids: Vec<String> = contacts(&sandbox).await.into_iter().map(|r| r.0).collect();
    assert_eq!(
        ids,
        [
            "003D000000QOr1EIAT",
            "003D000000QOr1FIAT",
            "003D000000QOr1GIAT"
        ]
    );
    let all = runs(&sandbox.pool().await).await;
    assert_eq!(all[0].outcome, "failed", "{all:?}");
    let error = all[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("`Sforce-Locator: MTAwMDA` names file 2 again"),
        "the error names the loop: {error}"
    );
}
