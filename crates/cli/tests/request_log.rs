//! `_holdfast_requests` after syncs through faults: one row per attempt,
//! attributed to the run, stream, connection and endpoint as written, with
//! attempt numbers counting up for retried requests, and no credential in
//! any URL or message.

mod common;

use std::collections::BTreeMap;

use common::{Sandbox, attempts_by_request, contains_bytes, ids, request_log, runs};
use holdfast_mock::{FaultProfile, MockAuth, MockConfig};

const RECORDS: u64 = 1000;
const SEED: u64 = 17;
const KEY: &str = "key-7f3a9c1e-do-not-log";
const TOKEN: &str = "tok-4b2d8e6f-do-not-log";
const ENV: [(&str, &str); 2] = [("CRM_KEY", KEY), ("CRM_TOKEN", TOKEN)];

/// Asserts neither secret appears in `text`.
#[track_caller]
fn assert_no_secret(text: &str, what: &str) {
    for secret in [KEY, TOKEN] {
        assert!(!text.contains(secret), "{what} holds a secret: {text}");
    }
}

/// Two connections (an API key in the query, a bearer token), each to its
/// own faulty mock; a `next_url` stream on the first (the mock's next links
/// carry the key back), a cursor stream on the second.
#[tokio::test(flavor = "multi_thread")]
async fn attempts_are_attributed_numbered_and_redacted() {
    let keyed = common::start_mock_with(MockConfig {
        records: RECORDS,
        seed: SEED,
        auth: Some(MockAuth::ApiKeyQuery {
            name: "crm_key".to_owned(),
            value: KEY.to_owned(),
        }),
        faults: FaultProfile::parse("500=15%,html=10%").expect("faults"),
        ..MockConfig::default()
    })
    .await;
    let bearer = common::start_mock_with(MockConfig {
        records: RECORDS,
        seed: SEED,
        auth: Some(MockAuth::Bearer(TOKEN.to_owned())),
        faults: FaultProfile::parse("503=15%,error_body=10%").expect("faults"),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  keyed:
    base_url: "{}"
    auth: {{ type: api_key, name: crm_key, value: "{{{{ env.CRM_KEY }}}}", in: query }}
    retry: {{ attempts: 8, initial: 10ms, max: 100ms }}
  bearer:
    base_url: "{}"
    auth: {{ type: bearer, token: "{{{{ env.CRM_TOKEN }}}}" }}
    retry: {{ attempts: 8, initial: 10ms, max: 100ms }}
    errors:
      - when: "status == 200 and body.success == false"
        action: retry
streams:
  contacts:
    connection: keyed
    request: {{ path: /next_url/contacts, params: {{ limit: 100 }} }}
    paginate: {{ type: next_url, next: "$.links.next" }}
    records: "$.data[*]"
    primary_key: id
  contacts_b:
    connection: bearer
    request: {{ path: /v2/contacts, params: {{ limit: 100 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
    into: contacts_b
"#,
        keyed.url(),
        bearer.url()
    ));

    // Both streams at once, then each alone: the log attributes every row
    // to its own run however the streams interleave.
    for args in [
        &["sync"][..],
        &["sync", "contacts"],
        &["sync", "contacts_b"],
    ] {
        let out = sandbox.run_env(args, &ENV).await;
        out.expect_code(0);
        assert_no_secret(&out.all_text(), "the output");
    }
    let pool = sandbox.pool().await;
    let expected: Vec<i64> = (1..=RECORDS as i64).collect();
    assert_eq!(ids(&pool, "contacts").await, expected);
    assert_eq!(ids(&pool, "contacts_b").await, expected);

    let all = runs(&pool).await;
    let stream_of: BTreeMap<i64, &str> = all.iter().map(|r| (r.id, r.stream.as_str())).collect();
    let mut streams: Vec<&str> = stream_of.values().copied().collect();
    streams.sort();
    assert_eq!(
        streams,
        ["contacts", "contacts", "contacts_b", "contacts_b"],
        "{all:?}"
    );
    assert!(all.iter().all(|r| r.outcome == "succeeded"), "{all:?}");

    // Attribution: each row names its run, stream, connection and endpoint.
    let log = request_log(&pool).await;
    let expected_of = |stream: &str| match stream {
        "contacts" => ("keyed", "GET /next_url/contacts"),
        "contacts_b" => ("bearer", "GET /v2/contacts"),
        other => panic!("a row of an unknown stream `{other}`"),
    };
    let mut rows_of: BTreeMap<&str, u64> = BTreeMap::new();
    for row in &log {
        let stream = row.stream.as_deref().expect("every row names its stream");
        let (connection, endpoint) = expected_of(stream);
        let run = row.run_id.expect("every row names its run");
        assert_eq!(
            stream_of.get(&run),
            Some(&stream),
            "a run of its stream: {row:?}"
        );
        assert_eq!(row.connection, connection, "{row:?}");
        assert_eq!(row.endpoint.as_deref(), Some(endpoint), "{row:?}");
        assert_eq!(row.method, "GET", "{row:?}");
        *rows_of.entry(connection).or_default() += 1;

        // No secret anywhere in the row.
        assert_no_secret(&row.url, "a logged url");
        assert_no_secret(row.message.as_deref().unwrap_or(""), "a logged message");
        assert!(
            chrono::DateTime::parse_from_rfc3339(&row.at).is_ok(),
            "`at` is RFC 3339: {row:?}"
        );
        assert!(row.duration_ms >= 0.0, "{row:?}");
        match &row.error {
            None => {
                assert_eq!(row.status, Some(200), "{row:?}");
                assert!(row.bytes > 0, "{row:?}");
                assert!(row.message.is_none(), "{row:?}");
            }
            Some(class) => {
                let allowed: &[&str] = match connection {
                    "keyed" => &["status_5xx", "not_json"],
                    _ => &["status_5xx", "rule"],
                };
                assert!(allowed.contains(&class.as_str()), "{row:?}");
                assert!(row.message.is_some(), "{row:?}");
            }
        }
    }
    // One row per request each mock saw.
    assert_eq!(rows_of.get("keyed").copied(), Some(keyed.stats().requests));
    assert_eq!(
        rows_of.get("bearer").copied(),
        Some(bearer.stats().requests)
    );

    // Retried requests: attempts 1, 2, … in time order, failures then one success.
    let groups = attempts_by_request(&log);
    let mut retried: BTreeMap<&str, usize> = BTreeMap::new();
    for attempts in &groups {
        let numbers: Vec<i64> = attempts.iter().map(|r| r.attempt).collect();
        assert_eq!(
            numbers,
            (1..=attempts.len() as i64).collect::<Vec<_>>(),
            "attempts of {}",
            attempts[0].url
        );
        let (last, failed) = attempts.split_last().expect("non-empty");
        assert!(last.error.is_none(), "{last:?}");
        assert!(failed.iter().all(|r| r.error.is_some()), "{failed:?}");
        assert_eq!(
            attempts[0].waited_ms, 0.0,
            "a first attempt waits for no retry"
        );
        for pair in attempts.windows(2) {
            assert!(pair[0].at <= pair[1].at, "attempts in time order: {pair:?}");
        }
        if attempts.len() > 1 {
            *retried
                .entry(attempts[0].stream.as_deref().unwrap_or(""))
                .or_default() += 1;
        }
    }
    for stream in ["contacts", "contacts_b"] {
        assert!(
            retried.get(stream).copied().unwrap_or(0) > 0,
            "{stream}: some request was retried: {retried:?}"
        );
    }
    let retry_waits: f64 = log
        .iter()
        .filter(|r| r.attempt > 1)
        .map(|r| r.waited_ms)
        .sum();
    assert!(retry_waits > 0.0, "retries waited a backoff");

    // Nor in any byte of the store.
    assert!(!contains_bytes(&sandbox.db_bytes(), KEY.as_bytes()));
    assert!(!contains_bytes(&sandbox.db_bytes(), TOKEN.as_bytes()));
}

/// A request that fails the stream (a 404) is still logged, under the failed
/// run, with its URL and message free of the query key.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_request_is_logged_under_its_failed_run() {
    let mock = common::start_mock_with(MockConfig {
        records: 10,
        auth: Some(MockAuth::ApiKeyQuery {
            name: "crm_key".to_owned(),
            value: KEY.to_owned(),
        }),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  keyed:
    base_url: "{}"
    auth: {{ type: api_key, name: crm_key, value: "{{{{ env.CRM_KEY }}}}", in: query }}
streams:
  missing:
    connection: keyed
    request: {{ path: /v2/contacts/99999/deals }}
    records: "$.data[*]"
    primary_key: id
"#,
        mock.url()
    ));

    let out = sandbox.run_env(&["sync"], &ENV).await;
    out.expect_code(1);
    assert!(out.stderr.contains("404"), "{out}");
    assert_no_secret(&out.all_text(), "the output");

    let pool = sandbox.pool().await;
    let all = runs(&pool).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].outcome, "failed", "{all:?}");
    assert_no_secret(all[0].error.as_deref().unwrap_or(""), "the run's error");

    let log = request_log(&pool).await;
    assert_eq!(log.len(), 1, "{log:#?}");
    let row = &log[0];
    assert_eq!(
        (
            row.run_id,
            row.stream.as_deref(),
            row.connection.as_str(),
            row.endpoint.as_deref(),
            row.status,
            row.error.as_deref(),
            row.attempt,
        ),
        (
            Some(all[0].id),
            Some("missing"),
            "keyed",
            Some("GET /v2/contacts/99999/deals"),
            Some(404),
            Some("status_4xx"),
            1,
        ),
        "{row:?}"
    );
    assert_no_secret(&row.url, "the logged url");
    assert_no_secret(row.message.as_deref().unwrap_or(""), "the logged message");
    assert!(!contains_bytes(&sandbox.db_bytes(), KEY.as_bytes()));
}
