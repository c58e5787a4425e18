//! Reconciliation, the safety net (issue 17), against the mock CRM whose
//! admin routes delete and change contacts silently: `holdfast reconcile`
//! finds exactly those (exact counts), tombstones what upstream no longer
//! has, and deletes nothing when the scan is not proven complete (a total
//! that says more than was served, the remote gone mid-scan) or when it
//! would delete more than `max_delete` — which fires its alert. A record
//! the API marks deleted (`deleted_when:`) is a tombstone, not a live row.

mod common;

use std::time::Duration;

use common::Sandbox;
use serde_json::Value;
use sqlx::SqlitePool;

const RECORDS: u64 = 50;

fn connector(base_url: &str, params: &str, reconcile: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
    retry: {{ attempts: 1 }}
streams:
  contacts:
    connection: crm
    request:
      path: /v2/contacts
      params: {{ updated_since: "{{{{ cursor }}}}", limit: 10{params} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
    incremental: {{ cursor_field: updated_at }}
    reconcile: {reconcile}
"#
    )
}

/// `(live ids, tombstoned ids)` of the contacts table.
async fn rows(pool: &SqlitePool) -> (Vec<i64>, Vec<i64>) {
    let all: Vec<(i64, Option<String>)> =
        sqlx::query_as("SELECT id, _deleted_at FROM contacts ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("read contacts");
    let live = all.iter().filter(|r| r.1.is_none()).map(|r| r.0).collect();
    let dead = all.iter().filter(|r| r.1.is_some()).map(|r| r.0).collect();
    (live, dead)
}

/// The one reconciliation `reconcile --json` printed.
fn report(out: &common::Output) -> Value {
    let body: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("--json output is not JSON ({e}):\n{out}"));
    let streams = body["streams"].as_array().expect("streams");
    assert_eq!(streams.len(), 1, "{body}");
    streams[0].clone()
}

/// The `reconcile_refused` finding `holdfast alerts --json` gives (the
/// rule is implicit for a stream with `reconcile:`).
async fn refused_alert(sandbox: &Sandbox) -> Value {
    let out = sandbox.run(&["alerts", "--json"]).await;
    let alerts: Value = serde_json::from_str(&out.stdout).expect("alerts JSON");
    alerts["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["rule"] == "reconcile_refused")
        .cloned()
        .unwrap_or_else(|| panic!("no reconcile_refused finding: {alerts}"))
}

fn counts(r: &Value) -> [u64; 7] {
    [
        "upstream", "local", "fetched", "changed", "missing", "deleted", "restored",
    ]
    .map(|k| r[k].as_u64().unwrap_or_else(|| panic!("`{k}` in {r}")))
}

#[tokio::test(flavor = "multi_thread")]
async fn reconciliation_finds_exactly_the_silent_deletes_and_edits() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    let reconcile = "{ missing: soft_delete, max_delete: 10% }";
    sandbox.write_config(&connector(&mock.url(), "", reconcile));
    sandbox.run(&["sync"]).await.expect_code(0);
    // upstream changes nobody announces: three deleted, two edited without
    // moving `updated_at`; one touched (an incremental sync sees that one)
    let state = mock.state();
    assert_eq!(state.delete(&[3, 17, 40]), [3, 17, 40]);
    assert_eq!(state.edit(&[5, 6]), [5, 6]);
    mock.touch(1);
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    assert_eq!(rows(&pool).await.0.len(), 50, "a sync sees no deletion");

    let out = sandbox.run(&["reconcile", "contacts", "--json"]).await;
    out.expect_code(0);
    let r = report(&out);
    assert_eq!(r["outcome"], "complete", "{r}");
    // 47 upstream, 50 local; the edits are the only content changes
    assert_eq!(counts(&r), [47, 50, 0, 2, 3, 3, 0], "{r}");
    let (live, dead) = rows(&pool).await;
    assert_eq!(dead, [3, 17, 40]);
    assert_eq!(live.len(), 47);
    let version: i64 = sqlx::query_scalar("SELECT _raw ->> '$.version' FROM contacts WHERE id = 5")
        .fetch_one(&pool)
        .await
        .expect("read 5");
    assert_eq!(version, 2, "the silent edit is in the copy");

    // the human line says the same
    let out = sandbox.run(&["reconcile"]).await;
    out.expect_code(0);
    assert!(
        out.stderr.contains(
            "reconcile contacts (run 4): complete (soft_delete): upstream 47, local 47, \
             fetched 0, changed 0, missing 0, deleted 0, restored 0"
        ),
        "{out}"
    );
    // the store keeps both, newest first, and the alert is quiet
    let refused = refused_alert(&sandbox).await;
    assert_eq!(refused["firing"], false, "{refused}");
    assert_eq!(refused["place"], "streams.contacts.reconcile");
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_missing_deletes_nothing_and_fires_the_alert() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        &mock.url(),
        "",
        "{ missing: hard_delete, max_delete: 5% }",
    ));
    sandbox.run(&["sync"]).await.expect_code(0);
    // 40% gone upstream: an API that lost a filter or a permission looks like this
    let gone: Vec<u64> = (1..=20).map(|i| i * 2 + 5).collect();
    assert_eq!(mock.state().delete(&gone).len(), 20);

    let dry = sandbox.run(&["reconcile", "--dry-run", "--json"]).await;
    dry.expect_code(0);
    let r = report(&dry);
    assert_eq!(r["outcome"], "dry_run", "{r}");
    assert_eq!(r["missing"], 20);
    assert_eq!(r["deleted"], 0);

    let out = sandbox.run(&["reconcile", "contacts", "--json"]).await;
    out.expect_code(1);
    let r = report(&out);
    assert_eq!(r["outcome"], "refused", "{r}");
    assert_eq!(counts(&r), [30, 50, 0, 0, 20, 0, 0], "{r}");
    assert_eq!(r["refused"], 20);
    let reason = r["reason"].as_str().expect("reason");
    assert!(
        reason.contains("20 of 50 live rows (40.0%) are missing upstream, more than `max_delete: 5%`: nothing was deleted"),
        "{reason}"
    );
    let pool = sandbox.pool().await;
    assert_eq!(rows(&pool).await, ((1..=50).collect(), vec![]));

    let refused = refused_alert(&sandbox).await;
    assert_eq!(refused["firing"], true, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("deleted nothing") && m.contains("max_delete: 5%")),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scan_that_is_not_complete_deletes_nothing() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    let reconcile = "{ missing: hard_delete, max_delete: 100% }";
    sandbox.write_config(&connector(&mock.url(), "", reconcile));
    sandbox.run(&["sync"]).await.expect_code(0);
    mock.state().delete(&[1, 2, 3]);

    // the listing's total says more than it serves: the chain ended early
    let lying = connector(&mock.url(), ", lie_more: 4", reconcile).replace(
        "param: cursor }",
        "param: cursor, expect_more: \"$.meta.has_more\" }",
    );
    sandbox.write_config(&lying);
    let out = sandbox.run(&["reconcile", "--json"]).await;
    out.expect_code(1);
    let r = report(&out);
    assert_eq!(r["outcome"], "incomplete", "{r}");
    assert_eq!(r["deleted"], 0);
    let reason = r["reason"].as_str().expect("reason");
    assert!(
        reason.starts_with("the scan did not finish, so nothing was deleted:")
            && reason.contains("`paginate.expect_more`"),
        "{reason}"
    );
    let pool = sandbox.pool().await;
    assert_eq!(rows(&pool).await.0.len(), 50);

    // the remote goes away after the second page of the scan
    sandbox.write_config(&connector(&mock.url(), "", reconcile));
    let slow = common::start_mock_with(holdfast_mock::MockConfig {
        records: RECORDS,
        latency: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    slow.state().delete(&[1, 2, 3]);
    sandbox.write_config(&connector(&slow.url(), "", reconcile));
    let (out, ()) = tokio::join!(sandbox.run(&["reconcile", "--json"]), async move {
        while common::requests_to(&slow, "/v2/contacts") < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        slow.shutdown().await;
    });
    out.expect_code(1);
    let r = report(&out);
    assert_eq!(r["outcome"], "incomplete", "{r}");
    assert_eq!(r["deleted"], 0);
    assert_eq!(rows(&pool).await.0.len(), 50, "nothing deleted");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_scan_deletes_nothing() {
    let mock = common::start_mock_with(holdfast_mock::MockConfig {
        records: RECORDS,
        latency: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), "", "{ max_delete: 100% }"));
    sandbox.run(&["sync"]).await.expect_code(0);
    mock.state().delete(&[10, 20]);
    let mut child = sandbox.spawn(&["reconcile"]);
    while common::requests_to(&mock, "/v2/contacts") < 5 + 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().expect("SIGKILL");
    let _ = child.wait().await;
    let pool = sandbox.pool().await;
    assert_eq!(rows(&pool).await.0.len(), 50, "nothing deleted");
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM _holdfast_reconciliations")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(recorded, 0, "a killed scan records no reconciliation");
    // the next reconciliation finishes the job
    let out = sandbox.run(&["reconcile", "--json"]).await;
    out.expect_code(0);
    assert_eq!(report(&out)["deleted"], 2);
    assert_eq!(rows(&pool).await.1, [10, 20]);
}

#[tokio::test(flavor = "multi_thread")]
async fn records_the_api_marks_deleted_are_tombstones() {
    let mock = common::start_mock(30).await;
    let sandbox = Sandbox::new();
    // the mock's contacts with status "I" (inactive) stand for archived ones
    let yaml = connector(&mock.url(), "", "{ missing: report }").replace(
        "    reconcile:",
        "    deleted_when: \"record.status == 'I'\"\n    reconcile:",
    );
    sandbox.write_config(&yaml);
    let out = sandbox.run(&["sync", "--json"]).await;
    out.expect_code(0);
    let contacts = common::mock_contacts(&mock.url()).await;
    let inactive: Vec<i64> = contacts
        .values()
        .filter(|c| c["status"] == "I")
        .map(|c| c["id"].as_i64().expect("id"))
        .collect();
    assert!(!inactive.is_empty(), "the mock has inactive contacts");
    let pool = sandbox.pool().await;
    let (live, dead) = rows(&pool).await;
    assert_eq!(dead, inactive, "tombstones, not live rows");
    assert_eq!(live.len() + dead.len(), 30);
    let runs = common::runs(&pool).await;
    assert_eq!(runs.len(), 1);
    // a reconciliation counts them as seen upstream, not missing
    let out = sandbox.run(&["reconcile", "--json"]).await;
    out.expect_code(0);
    let r = report(&out);
    assert_eq!(r["upstream"], 30, "{r}");
    assert_eq!(r["missing"], 0, "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tombstone_endpoint_marks_rows_deleted_and_keeps_their_content() {
    let mock = common::start_mock(20).await;
    let sandbox = Sandbox::new();
    let yaml = format!(
        "{}  deleted_contacts:\n    connection: crm\n    request: {{ path: /v2/contacts/deleted }}\n    records: \"$.data[*]\"\n    primary_key: id\n    deletes: contacts\n",
        connector(&mock.url(), "", "{ missing: report }")
    );
    sandbox.write_config(&yaml);
    sandbox.run(&["sync", "contacts"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    let before: String = sqlx::query_scalar("SELECT _raw FROM contacts WHERE id = 8")
        .fetch_one(&pool)
        .await
        .expect("8");
    mock.state().delete(&[8, 13]);
    let out = sandbox.run(&["sync", "deleted_contacts"]).await;
    out.expect_code(0);
    assert!(out.stderr.contains("2 records marked deleted"), "{out}");
    assert_eq!(rows(&pool).await.1, [8, 13]);
    let after: String = sqlx::query_scalar("SELECT _raw FROM contacts WHERE id = 8")
        .fetch_one(&pool)
        .await
        .expect("8");
    assert_eq!(after, before, "the row keeps its content");
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'deleted_contacts'",
    )
    .fetch_one(&pool)
    .await
    .expect("tables");
    assert_eq!(tables, 0, "the endpoint writes into contacts' table");
    // a reconciliation sees them gone upstream too, and tombstoned already
    let out = sandbox.run(&["reconcile", "--json"]).await;
    out.expect_code(0);
    assert_eq!(report(&out)["missing"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keys_only_scan_deletes_what_it_proves_gone_and_reads_records_when_keys_are_new() {
    let mock = common::start_mock(40).await;
    let sandbox = Sandbox::new();
    let reconcile = "{ missing: soft_delete, max_delete: 20%, keys_only: { fields: id } }";
    sandbox.write_config(&connector(&mock.url(), "", reconcile));
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    let before: String = sqlx::query_scalar("SELECT _raw FROM contacts WHERE id = 2")
        .fetch_one(&pool)
        .await
        .expect("2");
    mock.state().delete(&[7, 30]);
    let out = sandbox.run(&["reconcile", "--json"]).await;
    out.expect_code(0);
    let r = report(&out);
    assert_eq!(r["outcome"], "complete", "{r}");
    assert_eq!(counts(&r), [38, 40, 0, 0, 2, 2, 0], "{r}");
    assert_eq!(rows(&pool).await.1, [7, 30]);
    let after: String = sqlx::query_scalar("SELECT _raw FROM contacts WHERE id = 2")
        .fetch_one(&pool)
        .await
        .expect("2");
    assert_eq!(after, before, "a keys-only page does not overwrite records");
    let requests = mock.requests();
    let scan: Vec<_> = requests
        .iter()
        .filter(|q| q.path == "/v2/contacts" && q.query.contains("fields=id"))
        .collect();
    assert_eq!(scan.len(), 4, "pages of 10 keys: {requests:?}");

    // a row deleted here but alive upstream has no live row: full records are read
    sqlx::query("DELETE FROM contacts WHERE id = 12")
        .execute(&pool)
        .await
        .expect("delete 12");
    let out = sandbox.run(&["reconcile", "--json"]).await;
    out.expect_code(0);
    let r = report(&out);
    assert_eq!(
        (r["fetched"].as_u64(), r["missing"].as_u64()),
        (Some(1), Some(0)),
        "{r}"
    );
    assert!(rows(&pool).await.0.contains(&12), "fetched back");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_scan_reads_another_endpoint() {
    let mock = common::start_mock(30).await;
    let sandbox = Sandbox::new();
    // the keys come from another listing of the same API
    let reconcile = "{ max_delete: 20%, scan: /cursor/contacts, keys_only: { fields: id } }";
    sandbox.write_config(&connector(&mock.url(), "", reconcile));
    sandbox.run(&["sync"]).await.expect_code(0);
    mock.state().delete(&[11]);
    let out = sandbox.run(&["reconcile", "--json"]).await;
    out.expect_code(0);
    let r = report(&out);
    assert_eq!(counts(&r), [29, 30, 0, 0, 1, 1, 0], "{r}");
    let pool = sandbox.pool().await;
    assert_eq!(rows(&pool).await.1, [11]);
    let requests = mock.requests();
    assert!(
        requests
            .iter()
            .any(|q| q.path == "/cursor/contacts" && q.query.contains("fields=id")),
        "{requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_reconciles_on_its_schedule_and_on_request() {
    let mock = common::start_mock(20).await;
    let sandbox = Sandbox::new();
    let reconcile = "{ every: 1h, missing: soft_delete, max_delete: 20% }";
    sandbox.write_config(&connector(&mock.url(), "", reconcile));
    sandbox.run(&["sync"]).await.expect_code(0);
    mock.state().delete(&[4, 9]);
    let token = "adm-token-reconcile-3";
    let serve = common::Serve::start(&sandbox, &[], &[("HOLDFAST_ADMIN_TOKEN", token)]).await;
    let pool = sandbox.pool().await;
    // never reconciled: the latest slot runs at start
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let deleted = loop {
        let found: Option<(String, i64)> = sqlx::query_as(
            "SELECT outcome, deleted FROM _holdfast_reconciliations ORDER BY run DESC LIMIT 1",
        )
        .fetch_optional(&pool)
        .await
        .expect("read");
        if let Some(found) = found {
            break found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no scheduled reconciliation"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(deleted, ("complete".to_owned(), 2));
    assert_eq!(rows(&pool).await.1, [4, 9]);
    // and by hand, through the admin API
    let client = common::local_client();
    let url = format!("{}/api/streams/contacts/reconcile", serve.url);
    let auth = [("authorization".to_owned(), format!("Bearer {token}"))];
    let (status, answer) = common::post(&client, &url, &auth, "").await.expect("POST");
    assert_eq!(
        (status, &answer["status"]),
        (202, &Value::from("queued")),
        "{answer}"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM _holdfast_reconciliations")
            .fetch_one(&pool)
            .await
            .expect("count");
        if n == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the queued reconciliation did not run"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(serve);
}
