//! Kill -9 in the middle of a sync loses nothing and doubles nothing: the
//! next run resumes at the first page that was not committed.

mod common;

use std::time::{Duration, Instant};

use common::{Sandbox, contacts_connector, open_pool, requests_to, runs, state};
use holdfast_mock::MockConfig;
use serde_json::Value;

const RECORDS: u64 = 50_000;
const PAGE: u64 = 500;
const PAGES: u64 = RECORDS / PAGE;
const KILL_AFTER_PAGES: u64 = 20;
const PATH: &str = "/cursor/contacts";

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_run_then_resume() {
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS,
        latency: Duration::from_millis(15),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&contacts_connector(
        &mock.url(),
        &format!("{{ path: {PATH}, params: {{ limit: {PAGE} }} }}"),
        r#"{ type: cursor, next: "$.meta.next_cursor", param: cursor }"#,
    ));

    // Start a sync and kill it once it has committed some pages.
    let mut child = sandbox.spawn(&["sync"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut pool = None;
    loop {
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
            let s: Value = serde_json::from_str(&text).expect("state JSON");
            if s["progress"]["pages"].as_u64().unwrap_or(0) >= KILL_AFTER_PAGES {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("reap");
    assert_eq!(
        status.code(),
        None,
        "killed by a signal, not exited: {status}"
    );
    let pool = pool.expect("pool");

    // It really was mid-run: a resume point, and exactly its pages' rows.
    let saved = state(&pool, "contacts").await.expect("state");
    let progress = &saved["progress"];
    let committed = progress["pages"].as_u64().expect("progress.pages");
    assert!(
        (KILL_AFTER_PAGES..PAGES).contains(&committed),
        "killed mid-run: {saved}"
    );
    assert!(progress["position"].is_object(), "a next position: {saved}");
    let (rows, distinct, max): (i64, i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT id), max(id) FROM contacts")
            .fetch_one(&pool)
            .await
            .expect("rows");
    let expected_rows = (committed * PAGE) as i64;
    assert_eq!(
        (rows, distinct, max),
        (expected_rows, expected_rows, expected_rows),
        "rows and resume point committed together"
    );
    let first = runs(&pool).await;
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].outcome, "running",
        "nobody finished the killed run"
    );
    assert_eq!(first[0].pages as u64, committed);

    // Run again to the end.
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    assert!(
        out.stderr.contains("resuming the interrupted run"),
        "the second run says it resumed:\n{out}"
    );
    let (rows, distinct, min, max, integers): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT id), min(id), max(id), sum(typeof(id) = 'integer') \
         FROM contacts",
    )
    .fetch_one(&pool)
    .await
    .expect("rows");
    let n = RECORDS as i64;
    assert_eq!(
        (rows, distinct, min, max, integers),
        (n, n, 1, n, n),
        "exactly ids 1..={RECORDS}, once each"
    );

    let all = runs(&pool).await;
    assert_eq!(all.len(), 2, "{all:?}");
    let (run1, run2) = (&all[0], &all[1]);
    assert_eq!(run1.outcome, "interrupted", "{run1:?}");
    assert_eq!(run2.outcome, "succeeded", "{run2:?}");
    assert_eq!(
        run2.pages as u64,
        PAGES - committed,
        "the resumed run read only the pages left"
    );
    assert_eq!(run1.created + run2.created, n, "{run1:?} {run2:?}");
    assert_eq!((run2.updated, run2.unchanged), (0, 0), "no page read twice");
    let saved = state(&pool, "contacts").await.expect("state");
    assert!(saved.get("progress").is_none(), "finished: {saved}");

    // The API saw one full read plus the page(s) in flight at the kill.
    let requests = requests_to(&mock, PATH);
    assert!(
        (PAGES..=PAGES + 3).contains(&requests),
        "{requests} list requests for {PAGES} pages: the resumed run started over?"
    );
}

/// Polls until `stream`'s saved progress has at least `pages` pages; panics
/// if the child ends first or nothing happens within 60 s.
async fn wait_for_pages(
    sandbox: &Sandbox,
    child: &mut tokio::process::Child,
    stream: &str,
    pages: u64,
) -> sqlx::SqlitePool {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut pool = None;
    loop {
        assert!(Instant::now() < deadline, "no progress within 60 s");
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the sync ended ({status}) before it could be killed; make it slower");
        }
        if pool.is_none() && sandbox.db.exists() {
            pool = Some(open_pool(&sandbox.db).await);
        }
        if let Some(p) = &pool
            && let Ok(Some(text)) = sqlx::query_scalar::<_, String>(
                "SELECT state FROM _holdfast_state WHERE stream = ?",
            )
            .bind(stream)
            .fetch_optional(p)
            .await
        {
            let s: Value = serde_json::from_str(&text).expect("state JSON");
            if s["progress"]["pages"].as_u64().unwrap_or(0) >= pages {
                return pool.expect("pool");
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_in_a_child_stream_then_resume() {
    kill_9_in_a_child_stream(1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_in_parallel_child_chains_then_resume() {
    kill_9_in_a_child_stream(4).await;
}

/// With one chain at a time a resume continues inside the chain it was in;
/// with `parallel` chains it restarts the window of parents it was in.
async fn kill_9_in_a_child_stream(parallel: i64) {
    const CONTACTS: u64 = 200;
    let mock = common::start_mock_with(MockConfig {
        records: CONTACTS,
        latency: Duration::from_millis(10),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  crm:
    base_url: "{}"
    max_concurrency: {parallel}
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: 1000 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
  deals:
    connection: crm
    for_each: {{ stream: contacts, as: contact }}
    request: {{ path: "/v2/contacts/{{{{ contact.id }}}}/deals" }}
    records: "$.data[*]"
    primary_key: id
"#,
        mock.url()
    ));

    let mut child = sandbox.spawn(&["sync"]);
    let pool = wait_for_pages(&sandbox, &mut child, "deals", 40).await;
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("reap");
    assert_eq!(status.code(), None, "killed by a signal: {status}");

    // Mid-run: the last finished parent is saved with its pages' rows.
    let saved = state(&pool, "deals").await.expect("deals state");
    let progress = &saved["progress"];
    let done = progress["partition"][0]
        .as_i64()
        .unwrap_or_else(|| panic!("a finished parent: {saved}"));
    assert!((40 - parallel..CONTACTS as i64).contains(&done), "{saved}");
    let pages = progress["pages"].as_i64().unwrap_or_default();
    assert!(
        // A whole window may have committed before its checkpoint was saved.
        (done..=done + parallel).contains(&pages),
        "one page per contact, at most a window beyond the watermark: {saved}"
    );
    let beyond: i64 =
        sqlx::query_scalar("SELECT count(*) FROM deals WHERE _raw ->> '$.contact_id' > ?")
            .bind(done)
            .fetch_one(&pool)
            .await
            .expect("rows");
    let window_rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deals WHERE _raw ->> '$.contact_id' > ? AND _raw ->> '$.contact_id' <= ?",
    )
    .bind(done)
    .bind(if parallel > 1 { done + parallel } else { done })
    .fetch_one(&pool)
    .await
    .expect("rows");
    assert_eq!(beyond, window_rows, "no row past the window in flight");
    let deals_before = common::count(&pool, "deals").await;

    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    assert!(
        out.stderr
            .contains("sync deals: started (resuming the interrupted run)"),
        "{out}"
    );

    // Each contact's deals were asked for once, bar the one in flight.
    let mut twice = 0;
    for id in 1..=CONTACTS {
        match requests_to(&mock, &format!("/v2/contacts/{id}/deals")) {
            1 => {}
            2 => twice += 1,
            n => panic!("deals of contact {id} requested {n} times"),
        }
    }
    assert!(
        twice <= parallel,
        "{twice} contacts' deals were read twice (at most the window in flight: {parallel})"
    );

    // The table is exactly the union the API serves.
    let tasks: Vec<_> = (1..=CONTACTS)
        .map(|id| {
            let url = format!("{}/v2/contacts/{id}/deals", mock.url());
            tokio::spawn(async move { common::get_json(&url).await })
        })
        .collect();
    let mut expected = std::collections::BTreeMap::new();
    for task in tasks {
        for deal in task.await.expect("task")["data"].as_array().expect("data") {
            let id = deal["id"].as_str().expect("deal id").to_owned();
            expected.insert(id, deal.clone());
        }
    }
    assert_eq!(common::raw_by_id(&pool, "deals").await, expected);

    let deal_runs = common::runs_of(&pool, "deals").await;
    assert_eq!(deal_runs.len(), 2, "{deal_runs:?}");
    let (run1, run2) = (&deal_runs[0], &deal_runs[1]);
    assert_eq!(
        (run1.outcome.as_str(), run2.outcome.as_str()),
        ("interrupted", "succeeded")
    );
    // The interrupted run may have committed a window past its last checkpoint;
    // the resumed run restarts that window.
    assert!((done..=done + parallel).contains(&run1.pages), "{run1:?}");
    assert_eq!(run2.pages, CONTACTS as i64 - done, "only the parents left");
    assert_eq!(run1.created, deals_before);
    assert_eq!(run1.created + run2.created, expected.len() as i64);
    assert_eq!((run2.updated, run2.unchanged), (0, 0), "no page read twice");
}
