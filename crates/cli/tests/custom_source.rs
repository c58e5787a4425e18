//! A custom source compiled into a `holdfast` binary of its own
//! (`examples/custom_source.rs`, with `examples/custom_source.yaml`), end
//! to end: `sync` reads its stream beside a declarative one, `serve` runs
//! it on its `schedule:` and hands webhook events routed to it to its
//! `handle_event`, and a `source:` no binary has is a located error.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;
#[path = "support/custom_bin.rs"]
mod custom_bin;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    Sandbox, hmac_sha256_hex, local_client, mock_contacts, open_pool, post, start_mock,
    wait_drained,
};
use custom_bin::{CustomServe, custom_bin, run};
use serde_json::{Value, json};
use sqlx::sqlite::SqlitePool;

/// The shipped connector file of the custom-source binary.
const EXAMPLE: &str = include_str!("../../../examples/custom_source.yaml");
const SECRET: &str = "custom-source-webhook";

/// The example's connector file, its store in `sandbox`; `schedule` in
/// place of its own (one that runs at once when `serve` starts).
fn example_config(sandbox: &Sandbox, schedule: &str) -> String {
    EXAMPLE
        .replace(
            "store: sqlite://holdfast.db",
            &format!("store: {}", sandbox.store_url()),
        )
        .replace("schedule: { every: 1h, jitter: 1m }", schedule)
}

/// The `(contact_id, tag)` rows the mock's contacts make (a contact whose
/// `tags` is not a list makes none).
async fn expected_tags(mock_url: &str) -> BTreeSet<(i64, String)> {
    let mut rows = BTreeSet::new();
    for (id, contact) in mock_contacts(mock_url).await {
        for tag in contact["tags"].as_array().into_iter().flatten() {
            rows.insert((id, tag.as_str().expect("a text tag").to_owned()));
        }
    }
    rows
}

/// Every row of `contact_tags`: its key and `_raw`.
async fn tag_rows(pool: &SqlitePool) -> Vec<(i64, String, Value)> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT contact_id, tag, _raw FROM contact_tags ORDER BY contact_id, tag")
            .fetch_all(pool)
            .await
            .unwrap_or_default();
    rows.into_iter()
        .map(|(id, tag, raw)| (id, tag, serde_json::from_str(&raw).expect("_raw is JSON")))
        .collect()
}

/// Polls `contact_tags` until `done` holds of its rows (panics after 30 s).
async fn wait_for_rows(
    db: &Path,
    what: &str,
    done: impl Fn(&[(i64, String, Value)]) -> bool,
) -> Vec<(i64, String, Value)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if db.exists() {
            let pool = open_pool(db).await;
            let rows = tag_rows(&pool).await;
            pool.close().await;
            if done(&rows) {
                return rows;
            }
        }
        assert!(Instant::now() < deadline, "waited 30 s for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn sync_reads_the_custom_stream_beside_a_declarative_one() {
    let mock = start_mock(300).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&example_config(&sandbox, "schedule: { every: 1h }"));
    let env = [
        ("CRM_URL", mock.url()),
        ("CRM_WEBHOOK_SECRET", SECRET.into()),
    ];
    let bin = custom_bin();

    let check = run(&bin, &sandbox, &["check"], &env).await;
    check.expect_code(0);
    assert!(check.stdout.contains("2 streams"), "{check}");
    assert!(
        check
            .stdout
            .contains("ok: custom source `crm_tags` connected"),
        "{check}"
    );

    let out = run(&bin, &sandbox, &["sync"], &env).await;
    out.expect_code(0);
    let pool = sandbox.pool().await;
    let stored: BTreeSet<(i64, String)> = tag_rows(&pool)
        .await
        .into_iter()
        .map(|(id, tag, _)| (id, tag))
        .collect();
    let expected = expected_tags(&mock.url()).await;
    assert!(
        expected.len() > 300,
        "most contacts have tags: {}",
        expected.len()
    );
    assert_eq!(stored, expected, "one row per (contact, tag)");
    let contacts: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&pool)
        .await
        .expect("the declarative stream's table");
    assert_eq!(contacts, 300);

    let runs = run(&bin, &sandbox, &["runs", "--json"], &env).await;
    runs.expect_code(0);
    let runs: Value = serde_json::from_str(runs.stdout.trim()).expect("runs as JSON");
    let tags_run = runs["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .find(|r| r["stream"] == "contact_tags")
        .unwrap_or_else(|| panic!("a run of contact_tags: {runs}"));
    assert_eq!(tags_run["outcome"], "succeeded", "{tags_run}");
    let (id, tag) = stored.first().expect("a row").clone();
    let id = id.to_string();
    let explain = run(
        &bin,
        &sandbox,
        &["explain", "contact_tags", &id, &tag],
        &env,
    )
    .await;
    explain.expect_code(0);
    assert!(
        !explain.stdout.contains("not in table"),
        "the custom stream's row is explained: {explain}"
    );
    let status = run(&bin, &sandbox, &["status"], &env).await;
    status.expect_code(0);
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("contact_tags") && l.contains("succeeded")),
        "{status}"
    );

    // incremental like any stream: nothing new upstream, nothing read again
    let again = run(&bin, &sandbox, &["sync", "contact_tags", "--json"], &env).await;
    again.expect_code(0);
    let summary: Value = serde_json::from_str(again.stdout.trim()).expect("JSON summary");
    assert_eq!(summary["streams"][0]["stream"], "contact_tags", "{summary}");
    assert_eq!(summary["streams"][0]["created"], 0, "{summary}");
    mock.shutdown().await;
}

#[tokio::test]
async fn serve_runs_the_schedule_and_hands_events_to_handle_event() {
    let mock = start_mock(50).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&example_config(&sandbox, "schedule: { every: 1h }"));
    let env = [
        ("CRM_URL", mock.url()),
        ("CRM_WEBHOOK_SECRET", SECRET.into()),
    ];
    let mut serve = CustomServe::start(&custom_bin(), &sandbox, &env).await;

    // the schedule: a stream that never ran runs when serve starts
    let expected = expected_tags(&mock.url()).await;
    let synced = wait_for_rows(&sandbox.db, "the scheduled sync", |rows| {
        rows.len() == expected.len()
    })
    .await;
    assert!(
        synced.iter().all(|(_, _, raw)| raw.get("via").is_none()),
        "read by the sync, not pushed"
    );

    // a webhook event: the route's `record:` goes to handle_event, whose rows are stored
    let client = local_client();
    let hook = format!("{}/hooks/crm", serve.url);
    let event = json!({
        "id": "evt-1",
        "type": "contact.tagged",
        "data": { "id": 9001, "tags": ["vip", "churn-risk"], "updated_at": "2030-01-01T00:00:00Z" }
    })
    .to_string();
    let signed = vec![(
        "X-Signature".to_owned(),
        hmac_sha256_hex(SECRET, event.as_bytes()),
    )];
    let (status, answer) = post(&client, &hook, &signed, event).await.expect("POST");
    assert_eq!(status, 200, "{answer}");
    let rows = wait_for_rows(&sandbox.db, "the event's rows", |rows| {
        rows.iter().filter(|(id, _, _)| *id == 9001).count() == 2
    })
    .await;
    for (id, tag, raw) in rows.iter().filter(|(id, _, _)| *id == 9001) {
        assert_eq!(raw["via"], "webhook", "{id} {tag}: made by handle_event");
        assert_eq!(raw["contact_id"], 9001);
    }

    // an older version of the same contact does not overwrite what the newer one wrote
    let stale = json!({
        "id": "evt-0",
        "type": "contact.tagged",
        "data": { "id": 9001, "tags": ["vip"], "updated_at": "2029-01-01T00:00:00Z", "extra": 1 }
    })
    .to_string();
    let signed = vec![(
        "X-Signature".to_owned(),
        hmac_sha256_hex(SECRET, stale.as_bytes()),
    )];
    let (status, answer) = post(&client, &hook, &signed, stale).await.expect("POST");
    assert_eq!(status, 200, "{answer}");
    let pool = sandbox.pool().await;
    wait_drained(&pool, Duration::from_secs(30)).await;
    let vip: String =
        sqlx::query_scalar("SELECT _raw FROM contact_tags WHERE contact_id = 9001 AND tag = 'vip'")
            .fetch_one(&pool)
            .await
            .expect("the vip row");
    let vip: Value = serde_json::from_str(&vip).expect("JSON");
    assert_eq!(
        vip["updated_at"], "2030-01-01T00:00:00Z",
        "the newer row stays"
    );

    serve.stop().await;
    mock.shutdown().await;
}

#[tokio::test]
async fn a_source_the_binary_does_not_have_is_a_located_error() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&example_config(&sandbox, "schedule: { every: 1h }"));
    let env = [
        ("CRM_URL", "http://127.0.0.1:9".to_owned()),
        ("CRM_WEBHOOK_SECRET", SECRET.into()),
    ];

    // the stock binary has no custom source at all
    let stock = sandbox
        .run_env(
            &["check"],
            &[
                ("CRM_URL", "http://127.0.0.1:9"),
                ("CRM_WEBHOOK_SECRET", SECRET),
            ],
        )
        .await;
    stock.expect_code(2);
    let line = EXAMPLE
        .lines()
        .position(|l| l.contains("source: crm_tags"))
        .expect("the example has `source:`")
        + 1;
    let at = format!(
        "{}:{line}:13 (streams.contact_tags.source)",
        sandbox.config.display()
    );
    for expected in [
        "error: no custom source `crm_tags` in this holdfast (stream `contact_tags`)",
        at.as_str(),
        "this holdfast has no custom sources",
        "holdfast_cli::Holdfast::new().source(\"crm_tags\"",
    ] {
        assert!(
            stock.stderr.contains(expected),
            "missing {expected:?}:\n{stock}"
        );
    }

    // the custom binary names the sources it has, and the streams a source offers
    let bin = custom_bin();
    let config = example_config(&sandbox, "schedule: { every: 1h }")
        .replace("source: crm_tags", "source: crm_tag")
        .replace(
            "  contacts:\n",
            "  labels: { source: crm_tags }\n  contacts:\n",
        );
    sandbox.write_config(&config);
    let out = run(&bin, &sandbox, &["sync"], &env).await;
    out.expect_code(2);
    for expected in [
        "error: no custom source `crm_tag` in this holdfast (stream `contact_tags`)",
        "this holdfast has the custom sources `crm_tags`",
        "error: the custom source `crm_tags` has no stream `labels`",
        "its streams are `contact_tags`",
        "has 2 problems; nothing was run",
    ] {
        assert!(
            out.stderr.contains(expected),
            "missing {expected:?}:\n{out}"
        );
    }
    assert!(!sandbox.db.exists(), "nothing was run: {out}");
}
