//! Webhook events for one contact applied one at a time: a tie in version
//! is stale, a tombstone outlives older updates, and a newer update brings
//! the record back.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;
#[path = "support/webhooks.rs"]
mod webhooks_support;

use chrono::{DateTime, Utc};
use common::{Serve, jobs, local_client, post, sign_webhooks, unix_now, wait_drained};
use serde_json::{Value, json};
use webhooks_support::{
    CRM_SECRET, DRAIN_LIMIT, contact_rows, crm_sign, env, sandbox, stored_version,
};

/// One event of a sequence: its id, body, the job's outcome, and after it
/// whether the row is deleted, its version (seconds past 12:00) and the
/// email in its `_raw`.
type Step<'a> = (&'a str, String, &'a str, bool, u32, Option<&'a str>);

/// Events for one contact, one at a time (each applied before the next is
/// sent): ties are stale, a tombstone outlives older updates and a newer
/// update brings the record back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_ties_and_tombstones_one_at_a_time() {
    let sandbox = sandbox();
    let at = |s: u32| format!("2024-06-01T12:00:{s:02}Z");
    let update = |s: u32, email: &str| {
        json!({ "type": "contact.updated", "data": { "id": 500, "email": email, "updated_at": at(s) } })
            .to_string()
    };
    let delete = |s: u32| {
        json!({ "type": "contact.deleted", "data": { "id": 500, "updated_at": at(s) } }).to_string()
    };
    let steps: Vec<Step<'_>> = vec![
        // a delete for a record never seen: a tombstone, so that…
        ("s1", delete(5), "deleted", true, 5, None),
        // …an older update delivered late does not create it
        ("s2", update(3, "old@example.com"), "stale", true, 5, None),
        // the same version as the delete: stale too
        ("s3", update(5, "tie@example.com"), "stale", true, 5, None),
        // a newer update brings it back
        (
            "s4",
            update(6, "new@example.com"),
            "updated",
            false,
            6,
            Some("new@example.com"),
        ),
        // the same version again with other content: the first one stays
        (
            "s5",
            update(6, "other@example.com"),
            "stale",
            false,
            6,
            Some("new@example.com"),
        ),
        // deleted again: the tombstone keeps the last content
        ("s6", delete(8), "deleted", true, 8, Some("new@example.com")),
        (
            "s7",
            update(7, "between@example.com"),
            "stale",
            true,
            8,
            Some("new@example.com"),
        ),
    ];
    let now = unix_now();
    let signed = sign_webhooks(
        &steps
            .iter()
            .map(|(id, body, ..)| crm_sign(id, CRM_SECRET, now, body))
            .collect::<Vec<_>>(),
    );
    let env = env();
    let serve = Serve::start(&sandbox, &[], &env).await;
    let pool = sandbox.pool().await;
    let client = local_client();
    let url = format!("{}/hooks/crm", serve.url);
    for ((id, body, outcome, deleted, version, email), headers) in steps.iter().zip(&signed) {
        let (status, answer) = post(&client, &url, headers, body.clone())
            .await
            .expect("POST");
        assert_eq!(
            (status, &answer["status"]),
            (200, &json!("queued")),
            "{id}: {answer}"
        );
        wait_drained(&pool, DRAIN_LIMIT).await;
        let job = jobs(&pool)
            .await
            .into_iter()
            .find(|j| j.unique_key.as_deref() == Some(&format!("webhook:crm_events:{id}")))
            .expect("job");
        assert_eq!(
            (job.state.as_str(), job.result.clone()),
            ("done", Some(format!("\"{outcome}\""))),
            "{id}: {job:?}"
        );
        let rows = contact_rows(&pool).await;
        assert_eq!(rows.len(), 1, "{id}: {rows:?}");
        let row = &rows[&500];
        assert_eq!(row._deleted_at.is_some(), *deleted, "{id}: {row:?}");
        let expected_version = stored_version(
            DateTime::parse_from_rfc3339(&at(*version))
                .expect("time")
                .with_timezone(&Utc),
        );
        assert_eq!(
            row._version.as_deref(),
            Some(expected_version.as_str()),
            "{id}: {row:?}"
        );
        let raw: Value = serde_json::from_str(&row._raw).expect("_raw");
        assert_eq!(raw["email"].as_str(), *email, "{id}: {row:?}");
        if *deleted {
            assert_eq!(row._last_change, 3, "{id}: {row:?}");
        } else {
            assert_eq!(row.email.as_deref(), *email, "{id}: {row:?}");
        }
        if *id == "s4" {
            assert_eq!(
                row._last_change, 2,
                "{id}: brought back is an update: {row:?}"
            );
        }
    }
    drop(serve);
}
