//! Cassettes: `holdfast record` keeps a stream's exchanges as HAR 1.2 with
//! every credential hidden; `holdfast test` replays them offline through the
//! engine, strict about requests the cassette does not hold, and fails
//! (saying which field) when the recorded answers break the stream's schema.

mod common;
#[path = "support/npm.rs"]
mod npm;

use std::path::Path;

use common::{Sandbox, open_pool, raw_by_id, requests_to, set_secret};
use holdfast_mock::{MockAuth, MockConfig};
use serde_json::Value;

const RECORDS: u64 = 120;
/// The token the mock demands, kept as a secret.
const TOKEN: &str = "tok-cassette-4c1f9a27e8b3d6";

fn connector(base_url: &str, limit: u32, schema: Option<&str>) -> String {
    let schema = schema.map_or(String::new(), |s| {
        format!("    schema: {s}\n    on_invalid: quarantine\n")
    });
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
    auth: {{ type: bearer, token: "{{{{ secret.crm_token }}}}" }}
streams:
  contacts:
    connection: crm
    request: {{ path: /next_url/contacts, params: {{ limit: {limit} }} }}
    paginate: {{ type: next_url, next: "$.links.next" }}
    records: "$.data[*]"
    primary_key: id
{schema}"#
    )
}

async fn recorded(sandbox: &Sandbox) -> holdfast_mock::MockServer {
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS,
        auth: Some(MockAuth::Bearer(TOKEN.to_owned())),
        ..MockConfig::default()
    })
    .await;
    sandbox.write_config(&connector(&mock.url(), 50, None));
    set_secret(sandbox, "crm_token", &format!("{TOKEN}\n"), &[])
        .await
        .expect_code(0);
    let out = sandbox.run(&["record", "contacts"]).await;
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("recorded `contacts`: 3 request(s), 120 record(s), complete"),
        "{out}"
    );
    mock
}

fn cassette(sandbox: &Sandbox) -> Value {
    let text = std::fs::read_to_string(sandbox.path().join("cassettes/contacts.har"))
        .expect("the cassette is written beside the connector file");
    serde_json::from_str(&text).expect("JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recording_hides_the_secret_and_replays_offline_to_the_same_rows() {
    let sandbox = Sandbox::new();
    let mock = recorded(&sandbox).await;
    let har = cassette(&sandbox);
    let text = har.to_string();
    assert!(!text.contains(TOKEN), "the token is in the cassette");
    let entries = har["log"]["entries"].as_array().expect("entries");
    assert_eq!(har["log"]["version"], "1.2");
    assert_eq!(
        entries.len() as u64,
        requests_to(&mock, "/next_url/contacts")
    );
    let auth: Vec<&Value> = entries
        .iter()
        .flat_map(|e| e["request"]["headers"].as_array().into_iter().flatten())
        .filter(|h| {
            h["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("authorization"))
        })
        .collect();
    assert_eq!(
        auth.len(),
        entries.len(),
        "every request carried the credential"
    );
    assert!(auth.iter().all(|h| h["value"] == "REDACTED"), "{auth:?}");

    // The live sync, then the replay with the API gone and no secret key.
    sandbox.run(&["sync"]).await.expect_code(0);
    mock.shutdown().await;
    let replayed = sandbox.path().join("replayed.db");
    let into = format!("sqlite://{}", replayed.display());
    // The key file goes too: a replay needs no secret.
    std::fs::remove_dir_all(sandbox.path().join(".holdfast")).expect("rm key");
    let out = sandbox.run(&["test", "--into", &into]).await;
    out.expect_code(0);
    assert!(
        out.stdout.contains(
            "test contacts: ok: 120 record(s) in 3 page(s), 0 quarantined, 0 drift, 0 unrecorded"
        ),
        "{out}"
    );
    let live = raw_by_id(&sandbox.pool().await, "contacts").await;
    let again = raw_by_id(&open_pool(&replayed).await, "contacts").await;
    assert_eq!(live.len() as u64, RECORDS);
    assert_eq!(live, again, "the replay lands the live sync's rows");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schema_the_recording_breaks_fails_the_test_and_names_the_field() {
    let sandbox = Sandbox::new();
    let mock = recorded(&sandbox).await;
    mock.shutdown().await;
    sandbox.write_file(
        "contact.json",
        r#"{"type": "object", "required": ["id", "email"], "properties": {"email": {"type": "integer"}}}"#,
    );
    let url = cassette(&sandbox)["log"]["entries"][0]["request"]["url"]
        .as_str()
        .map(str::to_owned)
        .expect("url");
    let base = url.split("/next_url").next().expect("base");
    sandbox.write_config(&connector(base, 50, Some("contact.json")));
    let out = sandbox.run(&["test", "--json"]).await;
    out.expect_code(1);
    let report: Value = serde_json::from_str(&out.stdout).expect("json");
    let stream = &report["streams"][0];
    assert_eq!(stream["passed"], false);
    assert_eq!(stream["quarantined"], 120);
    let violations = stream["violations"].to_string();
    assert!(violations.contains("/email"), "{violations}");
    assert!(violations.contains("integer"), "{violations}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_the_cassette_does_not_hold_fails_the_test() {
    let sandbox = Sandbox::new();
    let mock = recorded(&sandbox).await;
    let base = mock.url();
    mock.shutdown().await;
    sandbox.write_config(&connector(&base, 40, None));
    let out = sandbox.run(&["test"]).await;
    out.expect_code(1);
    assert!(out.stdout.contains("test contacts: FAILED"), "{out}");
    assert!(
        out.stdout
            .contains("unrecorded: GET /next_url/contacts?limit=40"),
        "{out}"
    );
    assert!(
        out.stdout.contains("is not in the cassette") || out.stdout.contains("not in the cassette"),
        "{out}"
    );

    // No cassette for a named stream, and no cassettes at all: loud, not a pass.
    let none = sandbox.run(&["test", "deals"]).await;
    none.expect_code(2);
    assert!(
        none.stderr.contains("no cassette for stream `deals`"),
        "{none}"
    );
    std::fs::remove_file(sandbox.path().join("cassettes/contacts.har")).expect("rm");
    let empty = sandbox.run(&["test"]).await;
    empty.expect_code(2);
    assert!(empty.stderr.contains("nothing was tested"), "{empty}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_cuts_the_recording_and_its_replay_at_the_same_page() {
    let sandbox = Sandbox::new();
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS,
        auth: Some(MockAuth::Bearer(TOKEN.to_owned())),
        ..MockConfig::default()
    })
    .await;
    sandbox.write_config(&connector(&mock.url(), 20, None));
    set_secret(&sandbox, "crm_token", &format!("{TOKEN}\n"), &[])
        .await
        .expect_code(0);
    let out = sandbox.run(&["record", "contacts", "--pages", "2"]).await;
    out.expect_code(0);
    assert!(out.stdout.contains("first 2 page(s) per --pages"), "{out}");
    let recorded = cassette(&sandbox)["log"]["entries"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(recorded < 6, "stopped early: {recorded} of 6 pages");
    mock.shutdown().await;
    let test = sandbox.run(&["test", "--json"]).await;
    test.expect_code(0);
    let report: Value = serde_json::from_str(&test.stdout).expect("json");
    assert_eq!(
        report["streams"][0]["unrecorded"],
        serde_json::json!([]),
        "{test}"
    );
    let records = report["streams"][0]["records"].as_u64().unwrap_or(0);
    assert!((20..=40).contains(&records), "{test}");
}

/// A HAR validator from npm (not written here) accepts the cassette.
#[tokio::test(flavor = "multi_thread")]
async fn the_cassette_is_valid_har_for_other_tools() {
    let sandbox = Sandbox::new();
    let _mock = recorded(&sandbox).await;
    let dir = npm::install(
        "har-validator",
        "har-validator@5.1.5",
        r#"{"name": "holdfast-har-validator", "version": "1.0.0", "private": true}"#,
    );
    let script = "const fs = require('fs'); \
        require('har-validator').har(JSON.parse(fs.readFileSync(process.argv[1]))) \
        .then(() => console.log('valid'), e => { console.error(JSON.stringify(e.errors || e.message)); process.exit(1); });";
    let path: &Path = &sandbox.path().join("cassettes/contacts.har");
    let out = std::process::Command::new("node")
        .args(["-e", script, &path.display().to_string()])
        .current_dir(&dir)
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "har-validator refused the cassette: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A connector's `tests:` section: counts, expected records, an expected
/// quarantine; each mismatch named with its place in the file.
#[tokio::test(flavor = "multi_thread")]
async fn a_tests_section_asserts_counts_and_records() {
    let sandbox = Sandbox::new();
    let mock = recorded(&sandbox).await;
    let base = mock.url();
    mock.shutdown().await;
    let first: Value = serde_json::from_str(
        cassette(&sandbox)["log"]["entries"][0]["response"]["content"]["text"]
            .as_str()
            .expect("body"),
    )
    .expect("json");
    let email = first["data"][0]["email"]
        .as_str()
        .expect("email")
        .to_owned();
    let with_tests = |tests: &str| format!("{}tests:\n{tests}", connector(&base, 50, None));

    sandbox.write_config(&with_tests(&format!(
        "  contacts:\n    records: 120\n    expect:\n      - {{ key: 1, fields: {{ email: \"{email}\", /name/first: {} }} }}\n",
        first["data"][0]["name"]["first"]
    )));
    let out = sandbox.run(&["test"]).await;
    out.expect_code(0);

    sandbox.write_config(&with_tests(
        "  contacts:\n    records: { min: 121 }\n    expect:\n      - { key: 1, fields: { email: nobody@example.com } }\n      - { key: 999, fields: { email: x } }\n",
    ));
    let out = sandbox.run(&["test"]).await;
    out.expect_code(1);
    for needle in [
        "120 record(s) landed, tests.contacts.records expects at least 121",
        &format!(
            "tests.contacts.expect[0]: record [1]: `email` is \"{email}\", expected \"nobody@example.com\""
        ),
        "tests.contacts.expect[1]: no record with key [999] in `contacts`",
    ] {
        assert!(out.stdout.contains(needle), "lacks {needle:?}:\n{out}");
    }

    // A quarantine the test expects passes; a test of a stream that is not there is a located error.
    sandbox.write_file(
        "contact.json",
        r#"{"type": "object", "properties": {"email": {"type": "integer"}}}"#,
    );
    sandbox.write_config(&format!(
        "{}tests:\n  contacts: {{ quarantined: 120 }}\n",
        connector(&base, 50, Some("contact.json"))
    ));
    sandbox.run(&["test"]).await.expect_code(0);
    sandbox.write_config(&with_tests("  contcts: { records: 1 }\n"));
    let typo = sandbox.run(&["test"]).await;
    typo.expect_code(2);
    assert!(
        typo.stderr
            .contains("`tests:` names `contcts`, which is not a stream of this file")
            && typo.stderr.contains("contacts"),
        "{typo}"
    );
}
