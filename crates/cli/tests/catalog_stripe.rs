//! `connectors/stripe.yaml` (issue 16): customers and charges page on with
//! `starting_after` = the last object's id while `has_more` is true, out of
//! a replay of Stripe's documented list responses; and its webhook takes
//! events signed by Stripe's own library (`Stripe-Signature`) into the same
//! tables, refusing one signed with another secret.

#[path = "support/catalog.rs"]
mod catalog;
mod common;
#[path = "support/replay.rs"]
mod replay;

use std::time::Duration;

use catalog::*;
use common::{local_client, post, sign_webhooks, unix_now, wait_drained};
use replay::Replay;
use serde_json::{Value, json};

/// id, email, name, balance, delinquent, created
type CustomerRow = (String, Option<String>, Option<String>, i64, bool, String);

#[tokio::test(flavor = "multi_thread")]
async fn customers_and_charges_page_with_starting_after() {
    let replay = Replay::start("stripe").await;
    let sandbox = common::Sandbox::new();
    run(&sandbox, "stripe", &replay, &["sync"], &[])
        .await
        .expect_code(0);
    replay.assert_all_matched();
    let customers = replay.requests_to("GET", "/v1/customers");
    assert_eq!(customers.len(), 2, "{:?}", replay.lines());
    assert_eq!(customers[0].param("starting_after"), None);
    assert_eq!(
        customers[1].param("starting_after"),
        Some("cus_NffrBkL2hVEaTp")
    );
    assert_eq!(customers[1].param("limit"), Some("100"));
    let charges = replay.requests_to("GET", "/v1/charges");
    assert_eq!(
        charges.len(),
        1,
        "has_more: false on the first page: {:?}",
        replay.lines()
    );
    for seen in replay.requests() {
        assert_eq!(
            seen.header("authorization"),
            Some(format!("Bearer {STRIPE_KEY}").as_str())
        );
        assert_eq!(seen.header("stripe-version"), Some("2024-06-20"));
    }
    let pool = sandbox.pool().await;
    let rows: Vec<CustomerRow> = sqlx::query_as(
        "SELECT id, email, name, balance, delinquent, created FROM stripe_customers ORDER BY created",
    )
    .fetch_all(&pool)
    .await
    .expect("stripe_customers");
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.0.as_str(),
                r.1.as_deref(),
                r.2.as_deref(),
                r.3,
                r.4,
                r.5.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "cus_NfeqJ9bMGfIwQc",
                None,
                None,
                0,
                true,
                "2023-04-07T17:53:31Z"
            ),
            (
                "cus_NffrBkL2hVEaTp",
                Some("ada@example.com"),
                Some("Ada Lovelace"),
                -500,
                false,
                "2023-04-07T18:58:21Z"
            ),
            (
                "cus_NffrFeUfNV2Hib",
                Some("jennyrosen@example.com"),
                Some("Jenny Rosen"),
                0,
                false,
                "2023-04-07T18:59:53Z"
            ),
        ]
    );
    let rows: Vec<(String, i64, String, String, bool, String)> = sqlx::query_as(
        "SELECT id, amount, currency, status, paid, customer FROM stripe_charges ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .expect("stripe_charges");
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.0.as_str(),
                r.1,
                r.2.as_str(),
                r.3.as_str(),
                r.4,
                r.5.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "ch_3MmlLrLkdIwHu7ix0snN0B15",
                1099,
                "usd",
                "succeeded",
                true,
                "cus_NffrFeUfNV2Hib"
            ),
            (
                "ch_3MmlMaLkdIwHu7ix1Z3ZkBqk",
                2500,
                "usd",
                "failed",
                false,
                "cus_NffrBkL2hVEaTp"
            ),
        ]
    );
}

/// A Stripe event (https://docs.stripe.com/api/events/object) about `object`.
fn event(id: &str, kind: &str, created: i64, object: Value) -> String {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": "req_eTq1nGDKdKg9Xs", "idempotency_key": "5b7c4a1e-7a0f-4e7c-9a43-3f6d2b0a1c9e" },
        "type": kind
    })
    .to_string()
}

fn customer(id: &str, email: &str, name: &str) -> Value {
    json!({
        "id": id, "object": "customer", "address": null, "balance": 0, "created": 1680893993,
        "currency": null, "default_source": null, "delinquent": false, "description": null,
        "email": email, "invoice_prefix": "0759376C", "livemode": false, "metadata": {},
        "name": name, "next_invoice_sequence": 1, "phone": null, "preferred_locales": [],
        "shipping": null, "tax_exempt": "none", "test_clock": null
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_events_apply_and_a_badly_signed_one_is_refused() {
    let replay = Replay::start("stripe").await;
    let sandbox = common::Sandbox::new();
    run(&sandbox, "stripe", &replay, &["sync", "customers"], &[])
        .await
        .expect_code(0);

    let serve = serve(&sandbox, "stripe", &replay).await;
    let client = local_client();
    let url = format!("{}/hooks/stripe", serve.url);
    let now = unix_now();
    let updated = event(
        "evt_1NG8Du2eZvKYlo2CUI79vXWy",
        "customer.updated",
        now,
        customer(
            "cus_NffrFeUfNV2Hib",
            "Jenny.Rosen@example.org",
            "Jenny Rosen",
        ),
    );
    let deleted = event(
        "evt_1NG8Eb2eZvKYlo2CfTjPIzWm",
        "customer.deleted",
        now,
        customer("cus_NfeqJ9bMGfIwQc", "gone@example.com", "Gone"),
    );
    let forged = event(
        "evt_1NG8Fc2eZvKYlo2Cq0bXAmSt",
        "customer.updated",
        now,
        customer("cus_NffrBkL2hVEaTp", "mallory@example.com", "Mallory"),
    );
    let signed = sign_webhooks(&[
        catalog_sign(STRIPE_WEBHOOK_SECRET, now, &updated),
        catalog_sign(STRIPE_WEBHOOK_SECRET, now, &deleted),
        catalog_sign("whsec_not_this_endpoints_secret", now, &forged),
    ]);
    for (headers, body) in [(&signed[0], &updated), (&signed[1], &deleted)] {
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "Stripe-Signature" && v.contains(",v1=")),
            "{headers:?}"
        );
        let (status, answer) = post(&client, &url, headers, body.clone())
            .await
            .expect("POST");
        assert_eq!(status, 200, "{answer}");
    }
    let (status, answer) = post(&client, &url, &signed[2], forged.clone())
        .await
        .expect("POST");
    assert_eq!(
        (status, &answer["reason"]),
        (401, &json!("bad_signature")),
        "{answer}"
    );
    // the same forged body under a valid header of another body: tampered
    let (status, _) = post(&client, &url, &signed[0], forged.clone())
        .await
        .expect("POST");
    assert_eq!(status, 401);

    let pool = sandbox.pool().await;
    wait_drained(&pool, Duration::from_secs(30)).await;
    let rows: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT id, email, _deleted_at FROM stripe_customers ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("stripe_customers");
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_deref(), r.2.is_some()))
        .collect();
    assert_eq!(
        got,
        [
            ("cus_NfeqJ9bMGfIwQc", None, true),
            ("cus_NffrBkL2hVEaTp", Some("ada@example.com"), false),
            ("cus_NffrFeUfNV2Hib", Some("jenny.rosen@example.org"), false),
        ],
        "the signed update and delete applied, the forged update did not\n{}",
        serve.stderr()
    );
}

/// A request to the official `stripe` library's signer (`sign.py`).
fn catalog_sign(secret: &str, timestamp: i64, body: &str) -> Value {
    json!({ "scheme": "stripe", "secret": secret, "id": "", "timestamp": timestamp, "body": body })
}

#[tokio::test(flavor = "multi_thread")]
async fn has_more_on_an_empty_page_fails_loudly() {
    // `fixtures/stripe/faults/`: `has_more: true` and no object to continue after
    let replay = Replay::start_dir(&replay::fixtures_root().join("stripe/faults")).await;
    let sandbox = common::Sandbox::new();
    let out = run(&sandbox, "stripe", &replay, &["sync", "customers"], &[]).await;
    out.expect_code(1);
    replay.assert_all_matched();
    assert_eq!(replay.requests().len(), 1, "{:?}", replay.lines());
    let pool = sandbox.pool().await;
    let all = common::runs(&pool).await;
    assert_eq!(all[0].outcome, "failed", "{all:?}");
    let error = all[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("has_more"),
        "the error names the end signal: {error}"
    );
}
