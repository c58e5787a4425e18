//! Issue 13: what `holdfast serve` acknowledges can always be read and is
//! one event however it is replayed. A correctly signed body that is not
//! UTF-8 or nests too deep is refused at once (400, counted), not
//! acknowledged and dead-lettered later; a captured GitHub body replayed
//! under a new (unsigned) delivery id is a duplicate; versions that are
//! neither numbers nor timestamps, or of two kinds, dead-letter the event
//! with the webhook, path and value.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{
    JobRow, Sandbox, Serve, jobs, local_client, post, sign_webhooks, unix_now, wait_drained,
};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const CRM_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STRIPE_SECRET: &str = "whsec_stripe_e2e_secret";
const GH_SECRET: &str = "It's a Secret to Everybody";
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// One webhook per scheme and event-id place: Standard Webhooks (signed
/// header id), Stripe (id in the body), GitHub (unsigned header id).
const CONFIG: &str = r#"
connections:
  crm: { base_url: "http://127.0.0.1:9" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    map: { email: "$.email" }
  invoices:
    connection: crm
    request: { path: /v2/invoices }
    records: "$.data[*]"
    primary_key: id
  repos:
    connection: crm
    request: { path: /v2/repos }
    records: "$.data[*]"
    primary_key: id
    map: { full_name: "$.full_name" }
webhooks:
  crm_events:
    path: /hooks/crm
    verify: { scheme: standard_webhooks, secret: "{{ env.CRM_WEBHOOK_SECRET }}", tolerance: 5m }
    version: "$.data.updated_at"
    max_body: 1mb
    route: [ { stream: contacts, record: "$.data" } ]
  billing:
    path: /hooks/stripe
    verify: { scheme: stripe, secret: "{{ env.STRIPE_SECRET }}" }
    max_body: 1mb
    route: [ { stream: invoices, record: "$.data.object" } ]
  gh:
    path: /hooks/github
    verify: { scheme: github, secret: "{{ env.GH_SECRET }}" }
    max_body: 1mb
    route: [ { stream: repos, record: "$.repository" } ]
"#;

fn env() -> [(&'static str, &'static str); 3] {
    [
        ("CRM_WEBHOOK_SECRET", CRM_SECRET),
        ("STRIPE_SECRET", STRIPE_SECRET),
        ("GH_SECRET", GH_SECRET),
    ]
}

fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_config(CONFIG);
    sandbox
}

/// A request to `sign.py` (the vendors' official signers).
fn sign_request(scheme: &str, secret: &str, id: &str, timestamp: i64, body: &str) -> Value {
    json!({ "scheme": scheme, "secret": secret, "id": id, "timestamp": timestamp, "body": body })
}

/// GitHub's documented recipe (`X-Hub-Signature-256: sha256=<hex HMAC of
/// the raw body>`) over raw bytes, which sign.py, taking text, cannot sign.
fn github_headers(body: &[u8], delivery: &str) -> Vec<(String, String)> {
    vec![
        (
            "X-Hub-Signature-256".to_owned(),
            format!("sha256={}", common::hmac_sha256_hex(GH_SECRET, body)),
        ),
        ("X-GitHub-Delivery".to_owned(), delivery.to_owned()),
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A GitHub-shaped event nested `depth` levels deep (the outer object and
/// `depth - 1` arrays).
fn nested_push(depth: usize) -> String {
    format!(
        r#"{{"repository": {{"id": 1, "full_name": "octo/deep"}}, "payload": {}1{}}}"#,
        "[".repeat(depth - 1),
        "]".repeat(depth - 1)
    )
}

/// Waits until the rejection counters (flushed about once a second) hold
/// at least `expected`; returns what they hold.
async fn rejections(
    pool: &sqlx::SqlitePool,
    expected: &BTreeMap<(String, String), i64>,
) -> BTreeMap<(String, String), i64> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT webhook, reason, count FROM _holdfast_webhook_rejections")
                .fetch_all(pool)
                .await
                .expect("rejections");
        let counted: BTreeMap<(String, String), i64> =
            rows.into_iter().map(|(w, r, n)| ((w, r), n)).collect();
        if expected.iter().all(|(k, n)| counted.get(k) == Some(n)) || Instant::now() > deadline {
            return counted;
        }
    }
}

/// A refused request: what it is, URL, headers, body, and the `reason`.
type Case<'a> = (&'a str, String, Vec<(String, String)>, Vec<u8>, &'a str);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_signed_but_unreadable_bodies_are_refused_before_acknowledging() {
    let sandbox = sandbox();
    let now = unix_now();
    let deep = nested_push(10_000);
    let deepest_readable = nested_push(127);
    let too_deep_by_one = nested_push(128);
    let deep_invoice = format!(
        r#"{{"id": "evt_deep", "data": {{"object": {{"id": "in_1", "x": {}{}}}}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let deep_contact = format!(
        r#"{{"type": "contact.updated", "data": {{"id": 1, "x": {}{}}}}}"#,
        "{\"a\":".repeat(10_000) + "1",
        "}".repeat(10_000)
    );
    let signed = sign_webhooks(&[
        sign_request("github", GH_SECRET, "gh-deep", now, &deep),
        sign_request("github", GH_SECRET, "gh-127", now, &deepest_readable),
        sign_request("github", GH_SECRET, "gh-128", now, &too_deep_by_one),
        sign_request("stripe", STRIPE_SECRET, "", now, &deep_invoice),
        sign_request(
            "standard_webhooks",
            CRM_SECRET,
            "msg_deep",
            now,
            &deep_contact,
        ),
    ]);
    // Latin-1 "café" in a string, and a stray byte after the JSON: both
    // correctly signed with GitHub's recipe
    let latin1 = b"{\"repository\": {\"id\": 2, \"full_name\": \"caf\xe9\"}}".to_vec();
    let trailing = b"{\"repository\": {\"id\": 3, \"full_name\": \"ok\"}}\xff".to_vec();

    let env = env();
    let serve = Serve::start(&sandbox, &[], &env).await;
    let pool = sandbox.pool().await;
    let client = local_client();
    let url = |path: &str| format!("{}{path}", serve.url);
    let cases: Vec<Case<'_>> = vec![
        (
            "GitHub, 10,000 deep",
            url("/hooks/github"),
            signed[0].clone(),
            deep.clone().into_bytes(),
            "too_deep",
        ),
        (
            "GitHub, 128 deep",
            url("/hooks/github"),
            signed[2].clone(),
            too_deep_by_one.clone().into_bytes(),
            "too_deep",
        ),
        (
            "Stripe (id in the body), 10,000 deep",
            url("/hooks/stripe"),
            signed[3].clone(),
            deep_invoice.clone().into_bytes(),
            "too_deep",
        ),
        (
            "Standard Webhooks, 10,000 deep objects",
            url("/hooks/crm"),
            signed[4].clone(),
            deep_contact.clone().into_bytes(),
            "too_deep",
        ),
        (
            "GitHub, Latin-1 in a string",
            url("/hooks/github"),
            github_headers(&latin1, "gh-latin1"),
            latin1.clone(),
            "not_utf8",
        ),
        (
            "GitHub, a byte that is not UTF-8 after the JSON",
            url("/hooks/github"),
            github_headers(&trailing, "gh-trailing"),
            trailing.clone(),
            "not_utf8",
        ),
    ];
    for (what, url, headers, body, reason) in &cases {
        let (status, answer) = post(&client, url, headers, body.clone())
            .await
            .unwrap_or_else(|e| panic!("{what}: POST {url}: {e}"));
        assert_eq!(
            status, 400,
            "{what}: refused before acknowledging: {answer}"
        );
        assert_eq!(answer["reason"], json!(reason), "{what}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        let says = if *reason == "too_deep" {
            "deeper than 127 levels"
        } else {
            "not UTF-8"
        };
        assert!(error.contains(says), "{what}: {error}");
    }
    // the deepest body holdfast reads is acknowledged, and applied
    let (status, answer) = post(
        &client,
        &url("/hooks/github"),
        &signed[1],
        deepest_readable.clone(),
    )
    .await
    .expect("POST");
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("queued")),
        "{answer}"
    );
    wait_drained(&pool, DRAIN_LIMIT).await;

    // only that one was queued, and it was applied, not dead-lettered
    let queued = jobs(&pool).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].state, "done", "{:?}", queued[0]);
    let repos: Vec<(i64, String)> = sqlx::query_as("SELECT id, full_name FROM repos")
        .fetch_all(&pool)
        .await
        .expect("repos");
    assert_eq!(repos, vec![(1, "octo/deep".to_owned())]);

    let expected: BTreeMap<(String, String), i64> = [
        ("gh", "too_deep", 2),
        ("gh", "not_utf8", 2),
        ("billing", "too_deep", 1),
        ("crm_events", "too_deep", 1),
    ]
    .into_iter()
    .map(|(w, r, n)| ((w.to_owned(), r.to_owned()), n))
    .collect();
    let counted = rejections(&pool, &expected).await;
    assert_eq!(
        counted, expected,
        "every refusal counted, per webhook and reason"
    );
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_a_github_body_replayed_under_a_new_delivery_id_is_one_event() {
    let sandbox = sandbox();
    let now = unix_now();
    let push = json!({ "action": "created", "repository": { "id": 7, "full_name": "octo/x" } })
        .to_string();
    let other = json!({ "action": "created", "repository": { "id": 8, "full_name": "octo/y" } })
        .to_string();
    let contact = json!({ "type": "contact.updated", "data": { "id": 1, "email": "a@x.io", "updated_at": "2024-06-01T12:00:00Z" } }).to_string();
    let signed = sign_webhooks(&[
        sign_request("github", GH_SECRET, "delivery-1", now, &push),
        sign_request("github", GH_SECRET, "delivery-3", now, &other),
        sign_request("standard_webhooks", CRM_SECRET, "msg_1", now, &contact),
        sign_request("standard_webhooks", CRM_SECRET, "msg_2", now, &contact),
    ]);
    let with_delivery = |headers: &[(String, String)], id: &str| -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(k, v)| {
                if k.eq_ignore_ascii_case("X-GitHub-Delivery") {
                    (k.clone(), id.to_owned())
                } else {
                    (k.clone(), v.clone())
                }
            })
            .collect()
    };

    let env = env();
    let serve = Serve::start(&sandbox, &[], &env).await;
    let pool = sandbox.pool().await;
    let client = local_client();
    let gh = format!("{}/hooks/github", serve.url);
    let crm = format!("{}/hooks/crm", serve.url);
    let sends = [
        // (what, url, headers, body, status expected)
        ("the delivery", &gh, signed[0].clone(), &push, "queued"),
        (
            "GitHub's own redelivery",
            &gh,
            signed[0].clone(),
            &push,
            "duplicate",
        ),
        (
            "a captured body replayed under a new delivery id",
            &gh,
            with_delivery(&signed[0], "delivery-2"),
            &push,
            "duplicate",
        ),
        ("another event", &gh, signed[1].clone(), &other, "queued"),
        (
            "a Standard Webhooks event",
            &crm,
            signed[2].clone(),
            &contact,
            "queued",
        ),
        (
            "the same body signed by the vendor under a new webhook-id",
            &crm,
            signed[3].clone(),
            &contact,
            "queued",
        ),
    ];
    for (what, url, headers, body, expected) in &sends {
        let (status, answer) = post(&client, url, headers, (*body).clone())
            .await
            .expect("POST");
        assert_eq!(
            (status, &answer["status"]),
            (200, &json!(expected)),
            "{what}: {answer}"
        );
    }
    // a webhook-id changed without the secret does not verify
    let mut forged = signed[2].clone();
    for (k, v) in &mut forged {
        if k.eq_ignore_ascii_case("webhook-id") {
            *v = "msg_forged".to_owned();
        }
    }
    let (status, answer) = post(&client, &crm, &forged, contact.clone())
        .await
        .expect("POST");
    assert_eq!(
        (status, &answer["reason"]),
        (401, &json!("bad_signature")),
        "{answer}"
    );
    wait_drained(&pool, DRAIN_LIMIT).await;

    let by_key: BTreeMap<String, JobRow> = jobs(&pool)
        .await
        .into_iter()
        .map(|j| (j.unique_key.clone().unwrap_or_default(), j))
        .collect();
    let body_key = |body: &str| {
        format!(
            "webhook:gh:sha256:{}",
            hex(&Sha256::digest(body.as_bytes()))
        )
    };
    let keys: Vec<&str> = by_key.keys().map(String::as_str).collect();
    let mut expected = vec![
        body_key(&push),
        body_key(&other),
        "webhook:crm_events:msg_1".to_owned(),
        "webhook:crm_events:msg_2".to_owned(),
    ];
    expected.sort();
    assert_eq!(
        keys, expected,
        "GitHub events by their signed body, signed ids as they are"
    );
    let repos: i64 = sqlx::query_scalar("SELECT count(*) FROM repos")
        .fetch_one(&pool)
        .await
        .expect("repos");
    assert_eq!(repos, 2);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_versions_that_are_not_numbers_or_times_are_dead_lettered() {
    let sandbox = sandbox();
    let now = unix_now();
    let contact = |id: i64, version: Value| {
        json!({ "type": "contact.updated", "data": { "id": id, "email": format!("{id}@x.io"), "updated_at": version } })
            .to_string()
    };
    let steps = [
        ("msg_word", contact(1, json!("yesterday"))),
        ("msg_number", contact(2, json!(9))),
        ("msg_bigger_number", contact(2, json!("10"))),
        ("msg_time", contact(2, json!("2024-06-01T12:00:00Z"))),
        ("msg_space_time", contact(3, json!("2024-06-01 12:00:00"))),
        (
            "msg_later_time",
            contact(3, json!("2024-06-01T15:00:00+02:00")),
        ),
        (
            "msg_older_time",
            contact(3, json!("2024-06-01T14:00:00+02:00")),
        ),
    ];
    let signed = sign_webhooks(
        &steps
            .iter()
            .map(|(id, body)| sign_request("standard_webhooks", CRM_SECRET, id, now, body))
            .collect::<Vec<_>>(),
    );
    let env = env();
    let serve = Serve::start(&sandbox, &[], &env).await;
    let pool = sandbox.pool().await;
    let client = local_client();
    let url = format!("{}/hooks/crm", serve.url);
    for ((id, body), headers) in steps.iter().zip(&signed) {
        let (status, answer) = post(&client, &url, headers, body.clone())
            .await
            .expect("POST");
        assert_eq!(
            (status, &answer["status"]),
            (200, &json!("queued")),
            "{id}: {answer}"
        );
        // one at a time, so each sees the one before
        wait_drained(&pool, DRAIN_LIMIT).await;
    }
    let by_key: BTreeMap<String, JobRow> = jobs(&pool)
        .await
        .into_iter()
        .map(|j| (j.unique_key.clone().unwrap_or_default(), j))
        .collect();
    let job = |id: &str| &by_key[&format!("webhook:crm_events:{id}")];
    let word = job("msg_word");
    assert_eq!(
        (word.state.as_str(), word.attempts),
        ("dead", 1),
        "{word:?}"
    );
    let error = word.last_error.as_deref().unwrap_or_default();
    assert!(
        error.contains("`webhooks.crm_events.version` (`$.data.updated_at`): \"yesterday\" is neither a number nor a timestamp"),
        "names the webhook, path and value: {error}"
    );
    // 10 after 9 is newer (as numbers; as text "10" < "9")
    assert_eq!(job("msg_number").result.as_deref(), Some("\"created\""));
    assert_eq!(
        job("msg_bigger_number").result.as_deref(),
        Some("\"updated\"")
    );
    let mixed = job("msg_time");
    assert_eq!(mixed.state, "dead", "{mixed:?}");
    let error = mixed.last_error.as_deref().unwrap_or_default();
    assert!(
        error.contains("`webhooks.crm_events.version` (`$.data.updated_at`) = \"2024-06-01T12:00:00Z\" is a timestamp")
            && error.contains("stream `contacts`")
            && error.contains("another kind"),
        "{error}"
    );
    assert_eq!(job("msg_space_time").result.as_deref(), Some("\"created\""));
    // times as times: 15:00+02:00 is after 12:00 (UTC), 14:00+02:00 is not
    assert_eq!(job("msg_later_time").result.as_deref(), Some("\"updated\""));
    assert_eq!(job("msg_older_time").result.as_deref(), Some("\"stale\""));
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, _version FROM contacts ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("contacts");
    assert_eq!(rows.len(), 2, "the refused events wrote nothing: {rows:?}");
    assert!(rows[0].1.starts_with('n'), "{rows:?}");
    drop(serve);
}
