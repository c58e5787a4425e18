//! Issue 13: a store that cannot be written never fails a sync silently. The
//! store's own error is printed with the stream and the store, the run is
//! marked failed when the store takes that write, and when it cannot even
//! record that, the message says so with both errors.
//!
//! Tests run as root in CI, where file modes do not stop writes; the stores
//! here refuse writes in ways that hold for root too: opened read-only
//! (`?mode=ro`), or with SQLite triggers that fail the writes as a full disk
//! does (`RAISE(ABORT, 'database or disk is full')`).

mod common;

use common::{Sandbox, runs_of};
use sqlx::SqlitePool;

async fn exec(pool: &SqlitePool, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A sandbox whose store exists (one successful sync of 30 contacts), and
/// the mock it read from.
async fn synced_once() -> (Sandbox, holdfast_mock::MockServer) {
    let mock = common::start_mock(30).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&common::contacts_connector(
        &mock.url(),
        "{ path: /cursor/contacts, params: { limit: 10 } }",
        "{ type: cursor, next: \"$.meta.next_cursor\", param: cursor }",
    ));
    sandbox.run(&["sync"]).await.expect_code(0);
    (sandbox, mock)
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_a_read_only_store_fails_the_sync_with_its_error() {
    let (sandbox, _mock) = synced_once().await;
    let read_only = format!("{}?mode=ro", sandbox.store_url());
    let out = sandbox
        .run_raw(&[
            "sync",
            "--full-refresh",
            "--config",
            &sandbox.config.display().to_string(),
            "--store",
            &read_only,
        ])
        .await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("sync contacts: failed:")
            && out.stderr.contains(&format!("the store `{read_only}`"))
            && out.stderr.contains("readonly database"),
        "{out}"
    );
    let pool = sandbox.pool().await;
    let runs = runs_of(&pool, "contacts").await;
    assert_eq!(runs.len(), 1, "no run was started: {runs:?}");
    assert_eq!(runs[0].outcome, "succeeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_a_page_the_store_refuses_fails_the_run_with_that_error() {
    let (sandbox, mock) = synced_once().await;
    mock.touch(5);
    let pool = sandbox.pool().await;
    exec(
        &pool,
        "CREATE TRIGGER full_disk BEFORE UPDATE ON contacts \
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    )
    .await;
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(1);
    let store = sandbox.store_url();
    assert!(
        out.stderr
            .contains("sync contacts: failed: stream `contacts`:")
            && out.stderr.contains("database or disk is full")
            && out.stderr.contains(&format!("(store `{store}`)")),
        "{out}"
    );
    let runs = runs_of(&pool, "contacts").await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[1].outcome, "failed", "{runs:?}");
    let error = runs[1].error.clone().unwrap_or_default();
    assert!(error.contains("database or disk is full"), "{error}");
    let listed = sandbox.run(&["runs"]).await;
    listed.expect_code(0);
    assert!(listed.stdout.contains("failed"), "{listed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_when_the_failure_cannot_be_recorded_both_errors_are_printed() {
    let (sandbox, mock) = synced_once().await;
    mock.touch(5);
    let pool = sandbox.pool().await;
    exec(
        &pool,
        "CREATE TRIGGER full_disk BEFORE UPDATE ON contacts \
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    )
    .await;
    exec(
        &pool,
        "CREATE TRIGGER full_runs BEFORE UPDATE OF outcome ON _holdfast_runs \
         BEGIN SELECT RAISE(ABORT, 'disk full while recording'); END",
    )
    .await;
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("sync contacts: failed: stream `contacts`:")
            && out.stderr.contains("database or disk is full")
            && out
                .stderr
                .contains("besides, the run could not be marked failed in the store")
            && out.stderr.contains("disk full while recording"),
        "{out}"
    );
    let runs = runs_of(&pool, "contacts").await;
    assert_eq!(runs[1].outcome, "running", "{runs:?}");

    // The store can be written again: the next sync says what became of it.
    exec(&pool, "DROP TRIGGER full_disk").await;
    exec(&pool, "DROP TRIGGER full_runs").await;
    sandbox.run(&["sync"]).await.expect_code(0);
    let runs = runs_of(&pool, "contacts").await;
    let outcomes: Vec<&str> = runs.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["succeeded", "interrupted", "succeeded"],
        "{runs:?}"
    );
}
