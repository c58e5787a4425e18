//! Issue 16: asynchronous bulk exports. A stream with `bulk:` starts an
//! export job on the mock, polls it, downloads its CSV or JSON Lines files
//! (gzipped or not) and lands exactly their rows; a SIGKILL mid-download
//! resumes the same job without doubling a row; a failed job, a job that
//! never finishes, a file that lies about its size and a link to another
//! host are errors that name the job and write nothing.

mod common;

use std::time::{Duration, Instant};

use common::{Sandbox, count, get_json, mock_contacts, open_pool, raw_by_id, state};
use serde_json::Value;

/// A connector file whose stream `contacts` reads the mock's export job,
/// created with `create` (a YAML flow mapping) and read as `format`.
fn bulk_connector(base_url: &str, format: &str, create: &str, extra: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
    retry: {{ attempts: 2, initial: 10ms }}
streams:
  contacts:
    connection: crm
    format: {format}
    primary_key: id
    bulk:
      create: {{ method: POST, path: /v2/exports, json: {create} }}
      job_id: "$.id"
      poll:
        request: {{ path: "/v2/exports/{{{{ job.id }}}}" }}
        every: 20ms
        until: "body.state == 'done'"
        failed_when: "body.state == 'failed'"
        timeout: 30s
      download: "$.files[*].url"
      rows: "$.row_count"
{extra}"#
    )
}

/// What the mock says about its export jobs.
async fn exports(mock_url: &str) -> Value {
    get_json(&format!("{mock_url}/_mock/exports")).await
}

/// The number of rows in `contacts`, 0 when the table was never made.
async fn rows(sandbox: &Sandbox) -> i64 {
    if !sandbox.db.exists() {
        return 0;
    }
    let pool = open_pool(&sandbox.db).await;
    sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&pool)
        .await
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_and_json_lines_rows_land_exactly_gzipped_or_not() {
    const N: u64 = 2_500;
    for (format, gzip) in [
        ("csv", false),
        ("csv", true),
        ("jsonl", false),
        ("jsonl", true),
    ] {
        let mock = common::start_mock(N).await;
        let sandbox = Sandbox::new();
        sandbox.write_config(&bulk_connector(
            &mock.url(),
            format,
            &format!("{{ object: contacts, format: {format}, gzip: {gzip}, files: 2 }}"),
            "      checkpoint_every: 700\n",
        ));
        let out = sandbox.run(&["sync"]).await;
        out.expect_code(0);
        let pool = sandbox.pool().await;
        assert_eq!(
            count(&pool, "contacts").await,
            N as i64,
            "{format} gzip={gzip}\n{out}"
        );
        let stored = raw_by_id(&pool, "contacts").await;
        let served = mock_contacts(&mock.url()).await;
        assert_eq!(stored.len(), served.len());
        for (id, contact) in &served {
            let raw = &stored[&id.to_string()];
            if format == "jsonl" {
                assert_eq!(raw, contact, "record {id} lands as served");
            } else {
                // CSV: every value a string, the columns the export wrote
                assert_eq!(raw["id"], Value::String(id.to_string()));
                assert_eq!(raw["email"], contact["email"], "record {id}");
                assert_eq!(raw["updated_at"], contact["updated_at"], "record {id}");
                assert_eq!(raw["balance"], contact["balance"], "record {id}");
            }
        }
        let jobs = exports(&mock.url()).await;
        assert_eq!(jobs["created"], 1, "one export job: {jobs}");
        // 2 files, each downloaded once
        assert_eq!(jobs["jobs"][0]["downloads"], 2, "{jobs}");
        mock.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_the_download_resumes_the_same_job_without_doubling() {
    const N: u64 = 8_000;
    let mock = common::start_mock(N).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&bulk_connector(
        &mock.url(),
        "csv",
        "{ object: contacts, format: csv, gzip: true, files: 4, delay_ms: 400 }",
        "      checkpoint_every: 50\n",
    ));
    let mut child = sandbox.spawn(&["sync"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut pool = None;
    let killed_at = loop {
        assert!(Instant::now() < deadline, "no progress within 60 s");
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the sync ended ({status}) before it could be killed; make it slower");
        }
        if pool.is_none() && sandbox.db.exists() {
            pool = Some(open_pool(&sandbox.db).await);
        }
        if let Some(p) = &pool
            && let Ok(Some(text)) = sqlx::query_scalar::<_, String>(
                "SELECT state FROM _holdfast_state WHERE stream = 'contacts'",
            )
            .fetch_optional(p)
            .await
        {
            let saved: Value = serde_json::from_str(&text).expect("state JSON");
            let position = &saved["progress"]["position"];
            // mid-file: some pages of a file committed, not all
            let record = position["record"].as_u64().unwrap_or(0);
            if position["stage"] == "download" && record >= 100 {
                break position.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("reap");
    assert_eq!(status.code(), None, "killed by a signal: {status}");
    let pool = pool.expect("pool");
    assert_eq!(killed_at["job"], "exp_1", "{killed_at}");
    let before = rows(&sandbox).await;
    assert!(
        before > 0 && before < N as i64,
        "killed mid-export: {before} rows"
    );

    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    assert!(
        out.stderr.contains("resuming the interrupted run"),
        "the rerun says it resumed:\n{out}"
    );
    let saved = state(&pool, "contacts").await.expect("state");
    let record = killed_at["record"].as_u64().unwrap_or(0);
    assert!(
        out.stderr.contains("resuming export job `exp_1` at record")
            && out.stderr.contains(&format!("first {record} records")),
        "the rerun says where in the file it resumed:\n{out}\n{saved}"
    );
    // the killed run's pages and the rerun's add up: the file was read on
    // from the record after the last one committed
    assert_eq!(before % 50, 0, "whole pages were committed: {before}");
    let (n, distinct, min, max): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT id), min(CAST(id AS INTEGER)), max(CAST(id AS INTEGER)) \
         FROM contacts",
    )
    .fetch_one(&pool)
    .await
    .expect("rows");
    let n_all = N as i64;
    assert_eq!(
        (n, distinct, min, max),
        (n_all, n_all, 1, n_all),
        "each row once"
    );
    let jobs = exports(&mock.url()).await;
    assert_eq!(jobs["created"], 1, "exactly one export job: {jobs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_job_is_an_error_that_names_it_and_writes_nothing() {
    let mock = common::start_mock(100).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&bulk_connector(
        &mock.url(),
        "csv",
        "{ object: contacts, format: csv, fail: true }",
        "",
    ));
    let out = sandbox.run(&["sync"]).await;
    assert_ne!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains("export job `exp_1`")
            && out.stderr.contains("failed")
            && out.stderr.contains("ran out of memory"),
        "the error names the job and quotes its answer:\n{out}"
    );
    assert_eq!(rows(&sandbox).await, 0);
    assert_eq!(exports(&mock.url()).await["jobs"][0]["downloads"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_that_never_finishes_times_out_with_an_error() {
    let mock = common::start_mock(100).await;
    let sandbox = Sandbox::new();
    let config = bulk_connector(
        &mock.url(),
        "csv",
        "{ object: contacts, format: csv, pending_polls: 1000000 }",
        "",
    )
    .replace("timeout: 30s", "timeout: 300ms");
    sandbox.write_config(&config);
    let out = sandbox.run(&["sync"]).await;
    assert_ne!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains("export job `exp_1`") && out.stderr.contains("not done after"),
        "the error names the job and the timeout:\n{out}"
    );
    assert_eq!(rows(&sandbox).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_link_to_another_host_is_refused_without_allowed_hosts() {
    let mock = common::start_mock(100).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&bulk_connector(
        &mock.url(),
        "csv",
        "{ object: contacts, format: csv, file_host: localhost }",
        "",
    ));
    let out = sandbox.run(&["sync"]).await;
    assert_ne!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.contains("export job `exp_1`") && out.stderr.contains("allowed_hosts"),
        "the error names the job and the fix:\n{out}"
    );
    assert_eq!(
        exports(&mock.url()).await["jobs"][0]["downloads"],
        0,
        "nothing was fetched"
    );
    assert_eq!(rows(&sandbox).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_link_is_asked_for_again_once() {
    let mock = common::start_mock(300).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&bulk_connector(
        &mock.url(),
        "jsonl",
        "{ object: contacts, format: jsonl, expire_first: true }",
        "",
    ));
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    assert_eq!(rows(&sandbox).await, 300, "{out}");
    let jobs = exports(&mock.url()).await;
    assert_eq!(
        jobs["jobs"][0]["downloads"], 2,
        "the expired link, then the fresh one: {jobs}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn files_that_hold_fewer_rows_than_the_job_says_are_an_error() {
    for (knob, says) in [
        ("lie_rows: 5", "says it exported 305 rows"),
        ("truncate: true", "file 1 of 1"),
    ] {
        let mock = common::start_mock(300).await;
        let sandbox = Sandbox::new();
        sandbox.write_config(&bulk_connector(
            &mock.url(),
            "csv",
            &format!("{{ object: contacts, format: csv, gzip: true, {knob} }}"),
            "",
        ));
        let out = sandbox.run(&["sync"]).await;
        assert_ne!(out.code, Some(0), "{knob}: {out}");
        assert!(
            out.stderr.contains("export job `exp_1`") && out.stderr.contains(says),
            "{knob}: {out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_incremental_cursor_goes_into_the_create_body() {
    let mock = common::start_mock(50).await;
    let sandbox = Sandbox::new();
    let config = bulk_connector(
        &mock.url(),
        "jsonl",
        r#"{ object: contacts, format: jsonl, since: "{{ cursor }}" }"#,
        "    incremental: { cursor_field: updated_at }\n",
    );
    sandbox.write_config(&config);
    sandbox.run(&["sync"]).await.expect_code(0);
    sandbox.run(&["sync"]).await.expect_code(0);
    let jobs = exports(&mock.url()).await;
    assert_eq!(jobs["created"], 2, "{jobs}");
    assert_eq!(jobs["jobs"][0]["rows"], 50, "{jobs}");
    // the second export starts at the newest `updated_at` seen
    assert_eq!(jobs["jobs"][1]["rows"], 1, "{jobs}");
    assert_eq!(rows(&sandbox).await, 50);
}
