//! A webhook event the worker cannot apply is dead-lettered with its
//! reason, and retried once the cause is fixed.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;
#[path = "support/webhooks.rs"]
mod webhooks_support;

use std::collections::BTreeMap;

use common::{
    JobRow, Serve, jobs, local_client, post, queue_json, sign_webhooks, unix_now, wait_drained,
};
use serde_json::json;
use webhooks_support::{CRM_SECRET, DRAIN_LIMIT, crm_sign, env, sandbox};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_event_is_dead_lettered_and_retryable() {
    let sandbox = sandbox();
    let now = unix_now();
    let no_key = json!({ "type": "contact.updated", "data": { "email": "nokey@example.com", "updated_at": "2024-01-01T00:00:00Z" } }).to_string();
    let no_version =
        json!({ "type": "contact.updated", "data": { "id": 8, "email": "nover@example.com" } })
            .to_string();
    let fine = json!({ "type": "contact.updated", "data": { "id": 7, "email": "fine@example.com", "updated_at": "2024-01-01T00:00:00Z" } }).to_string();
    let unrouted = json!({ "type": "invoice.created", "data": { "id": 9, "updated_at": "2024-01-01T00:00:00Z" } }).to_string();
    let signed = sign_webhooks(&[
        crm_sign("msg_no_key", CRM_SECRET, now, &no_key),
        crm_sign("msg_no_version", CRM_SECRET, now, &no_version),
        crm_sign("msg_fine", CRM_SECRET, now, &fine),
        crm_sign("msg_unrouted", CRM_SECRET, now, &unrouted),
    ]);

    let env = env();
    let mut serve = Serve::start(&sandbox, &[], &env).await;
    let pool = sandbox.pool().await;
    let client = local_client();
    let url = format!("{}/hooks/crm", serve.url);
    for (headers, body) in signed.iter().zip([&no_key, &no_version, &fine, &unrouted]) {
        let (status, answer) = post(&client, &url, headers, body.clone())
            .await
            .expect("POST");
        // valid signatures: acknowledged (the vendor must not retry forever)
        assert_eq!(
            (status, &answer["status"]),
            (200, &json!("queued")),
            "{answer}"
        );
    }
    wait_drained(&pool, DRAIN_LIMIT).await;

    let all = jobs(&pool).await;
    let by_key: BTreeMap<&str, &JobRow> = all
        .iter()
        .map(|j| (j.unique_key.as_deref().unwrap_or_default(), j))
        .collect();
    let no_key_job = by_key["webhook:crm_events:msg_no_key"];
    let no_version_job = by_key["webhook:crm_events:msg_no_version"];
    let fine_job = by_key["webhook:crm_events:msg_fine"];
    assert_eq!(fine_job.state, "done", "{fine_job:?}");
    // no route matches: acknowledged and ignored, not dead
    let unrouted_job = by_key["webhook:crm_events:msg_unrouted"];
    assert_eq!(
        (unrouted_job.state.as_str(), unrouted_job.result.as_deref()),
        ("done", Some("\"ignored\"")),
        "{unrouted_job:?}"
    );
    assert_eq!(no_key_job.state, "dead", "{no_key_job:?}");
    assert_eq!(no_version_job.state, "dead", "{no_version_job:?}");
    assert_eq!(no_key_job.attempts, 1, "not retried: {no_key_job:?}");
    let key_error = no_key_job.last_error.as_deref().unwrap_or_default();
    assert!(
        key_error.contains("contacts") && key_error.contains("id"),
        "the error names the stream and the missing key: {key_error}"
    );
    let version_error = no_version_job.last_error.as_deref().unwrap_or_default();
    assert!(
        version_error.contains("version") && version_error.contains("$.data.updated_at"),
        "the error names the missing version: {version_error}"
    );
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM contacts")
        .fetch_all(&pool)
        .await
        .expect("contacts");
    assert_eq!(ids, vec![7], "only the valid event was applied");

    // `holdfast status` sums the queue up, dead letters included.
    let status = sandbox.run_env(&["status"], &env).await;
    status.expect_code(0);
    assert!(
        status.stdout.contains("0 ready, 0 running, 2 done, 2 dead"),
        "{status}"
    );

    // `holdfast queue --json` lists both dead letters with their errors.
    let q = queue_json(&sandbox).await;
    let dead = q["dead"].as_array().expect("dead");
    assert_eq!(dead.len(), 2, "{q}");
    for d in dead {
        assert_eq!(d["kind"], "webhook", "{d}");
        assert_eq!(d["name"], "crm_events", "{d}");
        assert_eq!(d["attempts"], 1, "{d}");
    }
    let dead_errors: BTreeMap<i64, &str> = dead
        .iter()
        .map(|d| {
            (
                d["job"].as_i64().expect("job"),
                d["error"].as_str().expect("error"),
            )
        })
        .collect();
    assert_eq!(dead_errors.get(&no_key_job.id), Some(&key_error));
    assert_eq!(dead_errors.get(&no_version_job.id), Some(&version_error));

    // Retry with no serve running: both are ready again, from attempt 0.
    serve.kill().await;
    let out = sandbox.run(&["queue", "retry", "--dead"]).await;
    out.expect_code(0);
    assert!(
        out.stdout.contains("2 dead jobs are ready to run again"),
        "{out}"
    );
    for j in jobs(&pool).await {
        if j.id == fine_job.id || j.id == unrouted_job.id {
            assert_eq!(j.state, "done", "{j:?}");
        } else {
            assert_eq!((j.state.as_str(), j.attempts), ("ready", 0), "{j:?}");
        }
    }
    let q = queue_json(&sandbox).await;
    assert_eq!(q["dead"], json!([]), "{q}");
    assert!(
        q["depth"]
            .as_array()
            .expect("depth")
            .iter()
            .any(|d| d["state"] == "ready" && d["count"] == 2),
        "{q}"
    );
    assert!(q["oldest_ready"]["job"].is_i64(), "{q}");

    // A serve started again does them again: still invalid, dead again
    // (nothing applied twice, the valid event untouched).
    let serve = Serve::start(&sandbox, &[], &env).await;
    wait_drained(&pool, DRAIN_LIMIT).await;
    for j in jobs(&pool).await {
        if j.id == fine_job.id || j.id == unrouted_job.id {
            assert_eq!((j.state.as_str(), j.attempts), ("done", 1), "{j:?}");
        } else {
            assert_eq!((j.state.as_str(), j.attempts), ("dead", 1), "{j:?}");
        }
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rows, 1);
    drop(serve);
}
