//! The change feed (issue 17): `GET /api/streams/{stream}/changes?after=`
//! read in small pages while a sync and 1,000 webhook events write into the
//! same table at once yields every change once, in commit order (change
//! numbers only grow, none repeats), and the reader's mirror built from it
//! ends equal to the table, tombstones included.

mod common;
#[path = "support/webhooks.rs"]
mod webhooks_support;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Sandbox, Serve, local_client, post, sign_webhooks, unix_now, wait_drained};
use serde_json::{Value, json};
use webhooks_support::{CRM_SECRET, crm_sign};

const READER: &str = "read-token-changes-7";
const EVENTS: usize = 1000;

fn config(base_url: &str) -> String {
    format!(
        r#"connections:
  crm: {{ base_url: "{base_url}" }}
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: 10 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
webhooks:
  crm_events:
    path: /hooks/crm
    verify: {{ scheme: standard_webhooks, secret: "{{{{ env.CRM_WEBHOOK_SECRET }}}}", tolerance: 5m }}
    version: "$.data.updated_at"
    route:
      - stream: contacts
        record: "$.data"
        delete_when: "body.type == 'contact.deleted'"
"#
    )
}

/// The table as `(id → (raw as JSON, deleted))`.
async fn table(pool: &sqlx::SqlitePool) -> BTreeMap<i64, (Value, bool)> {
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, _raw, _deleted_at FROM contacts")
            .fetch_all(pool)
            .await
            .expect("read contacts");
    rows.into_iter()
        .map(|(id, raw, deleted)| {
            let raw: Value = serde_json::from_str(&raw).expect("raw");
            (id, (raw, deleted.is_some()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_feed_yields_every_change_once_in_commit_order_while_writers_write() {
    let mock = common::start_mock_with(holdfast_mock::MockConfig {
        records: 400,
        latency: Duration::from_millis(15),
        ..Default::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&config(&mock.url()));
    // updates of synced ids, new ids, and deletes, all newer than the mock's data
    let at = |i: usize| format!("2025-06-01T12:{:02}:{:02}Z", i / 60, i % 60);
    let bodies: Vec<String> = (0..EVENTS)
        .map(|i| {
            let id = 1 + (i * 7) % 700;
            let kind = if i % 5 == 4 { "contact.deleted" } else { "contact.updated" };
            json!({ "type": kind, "data": { "id": id, "email": format!("e{i}@example.com"), "updated_at": at(i) } })
                .to_string()
        })
        .collect();
    let now = unix_now();
    let signed = sign_webhooks(
        &bodies
            .iter()
            .enumerate()
            .map(|(i, body)| crm_sign(&format!("evt{i}"), CRM_SECRET, now, body))
            .collect::<Vec<_>>(),
    );
    let serve = Serve::start(
        &sandbox,
        &[],
        &[
            ("CRM_WEBHOOK_SECRET", CRM_SECRET),
            ("HOLDFAST_READ_TOKEN", READER),
        ],
    )
    .await;
    let pool = sandbox.pool().await;
    let client = local_client();
    let hook = format!("{}/hooks/crm", serve.url);
    let finished = std::sync::atomic::AtomicBool::new(false);

    let writers = async {
        let sync = sandbox.run_env(&["sync", "contacts"], &[("CRM_WEBHOOK_SECRET", CRM_SECRET)]);
        let events = async {
            for (body, headers) in bodies.iter().zip(&signed) {
                let (status, answer) = post(&client, &hook, headers, body.clone())
                    .await
                    .expect("POST");
                assert_eq!(status, 200, "{answer}");
            }
        };
        let (out, ()) = tokio::join!(sync, events);
        out.expect_code(0);
        wait_drained(&pool, Duration::from_secs(60)).await;
        finished.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let reader = async {
        let mut cursor = 0_i64;
        let mut seen: Vec<i64> = Vec::new();
        let mut mirror: BTreeMap<i64, (Value, bool)> = BTreeMap::new();
        let mut pages = 0;
        loop {
            // read once more after the writers are done: that page ends it
            let last = finished.load(std::sync::atomic::Ordering::SeqCst);
            let path = format!("/api/streams/contacts/changes?after={cursor}&limit=7");
            let (status, page) = serve.get_json(&path, Some(READER)).await;
            assert_eq!(status, 200, "{page}");
            pages += 1;
            let changes = page["changes"].as_array().expect("changes");
            for c in changes {
                let seq = c["seq"].as_i64().expect("seq");
                let id = c["key"]["id"].as_i64().expect("id");
                let deleted = c["deleted_at"].is_string();
                assert_eq!(c["change"] == "deleted", deleted, "{c}");
                seen.push(seq);
                mirror.insert(id, (c["record"].clone(), deleted));
            }
            let next = page["cursor"].as_i64().expect("cursor");
            assert!(next >= cursor, "the cursor never goes back");
            cursor = next;
            if changes.is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if changes.is_empty() && last {
                return (seen, mirror, pages);
            }
        }
    };
    let ((), (seen, mirror, pages)) = tokio::join!(writers, reader);
    drop(serve);

    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "change numbers only grow, none repeats"
    );
    let final_table = table(&pool).await;
    assert!(
        final_table.len() > 400,
        "events added rows: {}",
        final_table.len()
    );
    assert_eq!(
        mirror.len(),
        final_table.len(),
        "every row reached the reader"
    );
    for (id, row) in &final_table {
        assert_eq!(mirror.get(id), Some(row), "contact {id}");
    }
    assert!(
        pages > 100,
        "read in small pages while the writers wrote ({pages} pages)"
    );
}

/// A table written before the change feed (no `_seq`, no triggers) still
/// moves to another store, and its rows get numbers the first time the
/// feed is read, in key order.
#[tokio::test(flavor = "multi_thread")]
async fn a_table_from_before_the_feed_moves_and_gets_numbers() {
    let mock = common::start_mock(30).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&config(&mock.url()));
    let env = [("CRM_WEBHOOK_SECRET", CRM_SECRET)];
    sandbox
        .run_env(&["sync", "contacts"], &env)
        .await
        .expect_code(0);
    let pool = sandbox.pool().await;
    // what an older holdfast left: no change number, no triggers
    for sql in [
        "DROP TRIGGER \"contacts__holdfast_seq_insert\"",
        "DROP TRIGGER \"contacts__holdfast_seq_update\"",
        "DROP INDEX \"contacts__holdfast_seq\"",
        "ALTER TABLE contacts DROP COLUMN _seq",
    ] {
        sqlx::query(sql).execute(&pool).await.expect(sql);
    }
    let target = format!("sqlite://{}", sandbox.path().join("moved.db").display());
    sandbox
        .run_raw(&[
            "store",
            "migrate",
            "--from",
            &sandbox.store_url(),
            "--to",
            &target,
        ])
        .await
        .expect_code(0);
    let moved = common::open_pool(&sandbox.path().join("moved.db")).await;
    let numbered: i64 = sqlx::query_scalar("SELECT count(_seq) FROM contacts")
        .fetch_one(&moved)
        .await
        .expect("count");
    assert_eq!(numbered, 30, "the target numbers what it imports");

    let mut serve_env = env.to_vec();
    serve_env.push(("HOLDFAST_READ_TOKEN", READER));
    let serve = Serve::start(&sandbox, &[], &serve_env).await;
    let (status, page) = serve
        .get_json(
            "/api/streams/contacts/changes?after=0&limit=100",
            Some(READER),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let ids: Vec<i64> = page["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["key"]["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, (1..=30).collect::<Vec<_>>(), "numbered in key order");
    drop(serve);
}
