//! `holdfast demo`: the whole loop with no set-up.

mod common;

use common::{Sandbox, ids, open_pool, runs_of};

#[tokio::test(flavor = "multi_thread")]
async fn demo_fills_a_fresh_database() {
    let sandbox = Sandbox::new();
    let db = sandbox.path().join("d.db");
    let db_arg = db.display().to_string();
    let out = sandbox
        .run_raw(&["demo", "--db", &db_arg, "--records", "300"])
        .await;
    out.expect_code(0);
    assert!(out.stdout.contains("300 contacts"), "{out}");

    let pool = open_pool(&db).await;
    assert_eq!(
        ids(&pool, "contacts").await,
        (1..=300).collect::<Vec<i64>>(),
        "the db holds the 300 contacts, once each"
    );
    let contact_runs = runs_of(&pool, "contacts").await;
    assert!(!contact_runs.is_empty());
    assert!(
        contact_runs.iter().all(|r| r.outcome == "succeeded"),
        "{contact_runs:?}"
    );
    assert_eq!(contact_runs[0].created, 300);
}
