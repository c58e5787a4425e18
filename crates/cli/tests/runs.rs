//! `holdfast runs`: every run with its counts and outcome, newest first.

mod common;

use common::{Sandbox, contacts_connector, runs};

#[tokio::test(flavor = "multi_thread")]
async fn two_syncs_are_listed_with_counts_and_outcomes() {
    let mock = common::start_mock(250).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&contacts_connector(
        &mock.url(),
        "{ path: /cursor/contacts, params: { limit: 100 } }",
        r#"{ type: cursor, next: "$.meta.next_cursor", param: cursor }"#,
    ));
    // no store yet: said so, and none is created by reading
    let none = sandbox.run(&["runs"]).await;
    none.expect_code(1);
    assert!(none.stderr.contains("no store at"), "{none}");
    assert!(!sandbox.db.exists(), "a read created the store");

    sandbox.run(&["sync"]).await.expect_code(0);
    sandbox.run(&["sync"]).await.expect_code(0);
    let out = sandbox.run(&["runs"]).await;
    out.expect_code(0);

    // run, stream, date, time, duration, pages, created, updated, unchanged, quar., outcome
    let lines: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines.len(), 2, "two runs:\n{out}");
    let listed: Vec<Vec<&str>> = lines
        .iter()
        .map(|f| {
            let mut kept = vec![f[0], f[1]];
            kept.extend(&f[5..]);
            kept
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            vec!["2", "contacts", "3", "0", "0", "250", "0", "succeeded"],
            vec!["1", "contacts", "3", "250", "0", "0", "0", "succeeded"],
        ],
        "newest first, with counts:\n{out}"
    );

    // The listing agrees with the store.
    let pool = sandbox.pool().await;
    let stored = runs(&pool).await;
    assert_eq!(stored.len(), 2);
    for (line, run) in lines.iter().rev().zip(&stored) {
        assert_eq!(line[0], run.id.to_string());
        assert_eq!(line[6], run.created.to_string());
        assert_eq!(line[8], run.unchanged.to_string());
        assert_eq!(line[10], run.outcome);
    }

    // --limit and --stream narrow the listing.
    let one = sandbox.run(&["runs", "--limit", "1"]).await;
    one.expect_code(0);
    assert_eq!(one.stdout.lines().count(), 2, "header + 1:\n{one}");
    let none = sandbox.run(&["runs", "--stream", "deals"]).await;
    none.expect_code(0);
    assert!(none.stdout.contains("no runs yet"), "{none}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_json_and_the_store_from_the_environment() {
    let mock = common::start_mock(250).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&contacts_connector(
        &mock.url(),
        "{ path: /offset/contacts }",
        "{ type: offset, limit: 100 }",
    ));
    let config = sandbox.config.display().to_string();
    let store = sandbox.store_url();
    let env = [("HOLDFAST_STORE", store.as_str())];

    // The store comes from HOLDFAST_STORE; --json prints one object.
    let out = sandbox
        .run_raw_env(&["sync", "--json", "--config", &config], &env)
        .await;
    out.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is one JSON object ({e}):\n{out}"));
    let stream = &report["streams"][0];
    assert_eq!(stream["stream"], "contacts", "{report}");
    assert_eq!(stream["outcome"], "succeeded", "{report}");
    assert_eq!(stream["resumed"], false, "{report}");
    // 100, 100, 50 and the empty page that ends an offset chain
    assert_eq!(stream["pages"], 4, "{report}");
    assert_eq!(stream["records"], 250, "{report}");
    assert_eq!(stream["created"], 250, "{report}");
    assert_eq!(stream["quarantined"], 0, "{report}");
    assert_eq!(report["streams"].as_array().map(Vec::len), Some(1));

    let pool = sandbox.pool().await;
    let stored = runs(&pool).await;
    assert_eq!(stored.len(), 1, "the run went to HOLDFAST_STORE");
    assert_eq!((stored[0].pages, stored[0].created), (4, 250));

    let listed = sandbox
        .run_raw_env(&["runs", "--config", &config], &env)
        .await;
    listed.expect_code(0);
    assert!(
        listed
            .stdout
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("succeeded")),
        "{listed}"
    );
}
