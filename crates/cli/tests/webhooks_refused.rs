//! `holdfast serve` refuses forged, tampered, stale, oversized and
//! malformed webhook requests with the right status and reason, counts
//! each refusal per webhook and reason, and queues nothing for them.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;
#[path = "support/webhooks.rs"]
mod webhooks_support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Serve, jobs, local_client, post, queue_json, sign_webhooks, unix_now, wait_drained};
use serde_json::json;
use webhooks_support::{
    CRM_SECRET, DRAIN_LIMIT, OTHER_SECRET, STRIPE_SECRET, crm_sign, env, sandbox, sign_request,
};

/// A refused request: what it is, path, headers, body, the status and the
/// `reason` expected (`""`: none).
type Case<'a> = (
    &'a str,
    &'a str,
    Vec<(String, String)>,
    String,
    u16,
    &'a str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_tampered_wrong_secret_and_stale() {
    let sandbox = sandbox();
    let now = unix_now();
    let good = json!({ "type": "contact.updated", "data": { "id": 1, "email": "a@example.com", "updated_at": "2024-01-01T00:00:00Z" } }).to_string();
    let tampered = good.replace("a@example.com", "mallory@example.com");
    let big = json!({ "type": "contact.updated", "data": { "id": 2, "email": "b@example.com", "updated_at": "2024-01-01T00:00:00Z", "notes": "x".repeat(5000) } }).to_string();
    let not_json = "this is not JSON, although correctly signed";
    let stripe_old =
        json!({ "id": "evt_old", "type": "invoice.paid", "data": { "object": { "id": "in_8" } } })
            .to_string();
    let push = json!({ "action": "created", "repository": { "id": 9, "full_name": "octo/x" } })
        .to_string();
    let stripe_no_id =
        json!({ "type": "invoice.paid", "data": { "object": { "id": "in_9" } } }).to_string();
    let signed = sign_webhooks(&[
        crm_sign("msg_tampered", CRM_SECRET, now, &good),
        crm_sign("msg_other_secret", OTHER_SECRET, now, &good),
        crm_sign("msg_stale", CRM_SECRET, now - 600, &good),
        crm_sign("msg_future", CRM_SECRET, now + 600, &good),
        crm_sign("msg_missing", CRM_SECRET, now, &good),
        crm_sign("msg_malformed", CRM_SECRET, now, &good),
        crm_sign("msg_big", CRM_SECRET, now, &big),
        crm_sign("msg_not_json", CRM_SECRET, now, not_json),
        sign_request("stripe", STRIPE_SECRET, "", now, &stripe_no_id),
        sign_request("stripe", STRIPE_SECRET, "", now - 600, &stripe_old),
        sign_request("github", "not the GitHub secret", "gh-1", now, &push),
    ]);
    let without = |headers: &[(String, String)], name: &str| -> Vec<(String, String)> {
        headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(name))
            .cloned()
            .collect()
    };
    let with = |headers: &[(String, String)], name: &str, value: &str| {
        let mut h = without(headers, name);
        h.push((name.to_owned(), value.to_owned()));
        h
    };
    let cases: Vec<Case<'_>> = vec![
        (
            "tampered body",
            "/hooks/crm",
            signed[0].clone(),
            tampered.clone(),
            401,
            "bad_signature",
        ),
        (
            "another secret",
            "/hooks/crm",
            signed[1].clone(),
            good.clone(),
            401,
            "bad_signature",
        ),
        (
            "10 minutes old",
            "/hooks/crm",
            signed[2].clone(),
            good.clone(),
            401,
            "stale",
        ),
        (
            "10 minutes ahead",
            "/hooks/crm",
            signed[3].clone(),
            good.clone(),
            401,
            "future",
        ),
        (
            "no signature header",
            "/hooks/crm",
            without(&signed[4], "webhook-signature"),
            good.clone(),
            401,
            "missing_header",
        ),
        (
            "no headers at all",
            "/hooks/crm",
            Vec::new(),
            good.clone(),
            401,
            "missing_header",
        ),
        (
            "unreadable timestamp",
            "/hooks/crm",
            with(&signed[5], "webhook-timestamp", "yesterday"),
            good.clone(),
            401,
            "malformed",
        ),
        (
            "over max_body",
            "/hooks/crm",
            signed[6].clone(),
            big.clone(),
            413,
            "too_large",
        ),
        (
            "not JSON",
            "/hooks/crm",
            signed[7].clone(),
            not_json.to_owned(),
            400,
            "not_json",
        ),
        (
            "Stripe event without an id",
            "/hooks/stripe",
            signed[8].clone(),
            stripe_no_id.clone(),
            400,
            "no_event_id",
        ),
        (
            "Stripe event signed 10 minutes ago",
            "/hooks/stripe",
            signed[9].clone(),
            stripe_old.clone(),
            401,
            "stale",
        ),
        (
            "GitHub event signed with another secret",
            "/hooks/github",
            signed[10].clone(),
            push.clone(),
            401,
            "bad_signature",
        ),
    ];

    let env = env();
    let serve = Serve::start(&sandbox, &[], &env).await;
    let pool = sandbox.pool().await;
    let client = local_client();
    for (what, path, headers, body, status, reason) in &cases {
        let url = format!("{}{path}", serve.url);
        let (got, answer) = post(&client, &url, headers, body.clone())
            .await
            .unwrap_or_else(|e| panic!("{what}: POST {url}: {e}"));
        assert_eq!(got, *status, "{what}: {answer}");
        if !reason.is_empty() {
            assert_eq!(answer["reason"], json!(reason), "{what}: {answer}");
            assert!(
                answer["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{what}: an error message: {answer}"
            );
        }
    }
    // The untampered body with its own signature is still accepted: the
    // refusals above were about the requests, not the receiver.
    let (status, answer) = post(
        &client,
        &format!("{}/hooks/crm", serve.url),
        &signed[0],
        good.clone(),
    )
    .await
    .expect("POST");
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("queued")),
        "{answer}"
    );
    wait_drained(&pool, DRAIN_LIMIT).await;

    // Nothing refused was queued: only the one good event.
    let queued = jobs(&pool).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(
        queued[0].unique_key.as_deref(),
        Some("webhook:crm_events:msg_tampered")
    );
    let raw: Vec<String> = sqlx::query_scalar("SELECT _raw FROM contacts")
        .fetch_all(&pool)
        .await
        .expect("contacts");
    assert_eq!(raw.len(), 1);
    assert!(raw[0].contains("a@example.com") && !raw[0].contains("mallory"));

    // The refusals are counted per webhook and reason (flushed about every second).
    let expected: BTreeMap<(String, String), i64> = [
        ("crm_events", "bad_signature", 2),
        ("crm_events", "stale", 1),
        ("crm_events", "future", 1),
        ("crm_events", "missing_header", 2),
        ("crm_events", "malformed", 1),
        ("crm_events", "not_json", 1),
        ("crm_events", "too_large", 1),
        ("billing", "no_event_id", 1),
        ("billing", "stale", 1),
        ("gh", "bad_signature", 1),
    ]
    .into_iter()
    .map(|(w, r, n)| ((w.to_owned(), r.to_owned()), n))
    .collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    let counted = loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT webhook, reason, count FROM _holdfast_webhook_rejections")
                .fetch_all(&pool)
                .await
                .expect("rejections");
        let counted: BTreeMap<(String, String), i64> =
            rows.into_iter().map(|(w, r, n)| ((w, r), n)).collect();
        if expected.iter().all(|(k, n)| counted.get(k) == Some(n)) || Instant::now() > deadline {
            break counted;
        }
    };
    for (k, n) in &expected {
        assert_eq!(counted.get(k), Some(n), "{k:?} in {counted:?}");
    }
    let q = queue_json(&sandbox).await;
    let listed: BTreeMap<(String, String), i64> = q["rejections"]
        .as_array()
        .expect("rejections")
        .iter()
        .map(|r| {
            (
                (
                    r["webhook"].as_str().expect("webhook").to_owned(),
                    r["reason"].as_str().expect("reason").to_owned(),
                ),
                r["count"].as_i64().expect("count"),
            )
        })
        .collect();
    for (k, n) in &expected {
        assert_eq!(listed.get(k), Some(n), "{k:?} in {q}");
    }
    drop(serve);
}
