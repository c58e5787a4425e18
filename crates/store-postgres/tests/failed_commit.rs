//! A COMMIT that fails (here: a deferred constraint trigger that refuses
//! it, PostgreSQL's cheap way to fail at commit time) leaves the pool
//! usable: with one pooled connection, every write after the cause is gone
//! succeeds, without reopening the store.

mod support;

use chrono::{TimeZone, Utc};
use holdfast_store::prelude::*;

/// Commits refused, then commits expected to pass, on the one connection.
const ROUNDS: usize = 5;

#[tokio::test]
async fn issue_13_a_failed_commit_leaves_the_pool_usable() {
    let schema = support::schema_name();
    let _guard = support::SchemaGuard::new(schema.clone());
    let store = support::open_in(&schema, 1).await;
    sqlx::raw_sql(
        "CREATE TABLE refuse_commits (why TEXT NOT NULL);
         CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF EXISTS (SELECT 1 FROM refuse_commits) THEN
             RAISE EXCEPTION 'commit refused by the test';
           END IF;
           RETURN NULL;
         END $$;
         CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON _holdfast_leases
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit();
         INSERT INTO refuse_commits VALUES ('test');",
    )
    .execute(store.pool())
    .await
    .expect("set up the refusing trigger");
    let now = Utc.timestamp_opt(1_700_000_000, 0).single().expect("time");

    for round in 0..ROUNDS {
        let refused = store
            .check_writable(now)
            .await
            .expect_err("the commit is refused");
        let text = format!("{refused} {:?}", std::error::Error::source(&refused));
        assert!(
            text.contains("commit refused by the test") && text.contains("can be written"),
            "round {round}: the error says what failed: {text}"
        );
    }
    sqlx::query("DELETE FROM refuse_commits")
        .execute(store.pool())
        .await
        .expect("the one connection takes a new statement after failed commits");
    for round in 0..ROUNDS {
        store
            .check_writable(now)
            .await
            .unwrap_or_else(|e| panic!("round {round}: writable again: {e}"));
        let lease = format!("after-{round}");
        assert!(
            store
                .acquire_lease(&lease, "test", now, now)
                .await
                .unwrap_or_else(|e| panic!("round {round}: a lease after failed commits: {e}")),
        );
    }
    let names: Vec<String> = store
        .leases()
        .await
        .expect("leases")
        .into_iter()
        .map(|l| l.name)
        .collect();
    let expected: Vec<String> = (0..ROUNDS).map(|r| format!("after-{r}")).collect();
    assert_eq!(names, expected, "the write probe leaves nothing behind");
    store.close().await;
}
