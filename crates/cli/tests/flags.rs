//! Issue 14, item 10: flags a command ignores are not offered, `demo
//! --store` is honoured, an unknown stream gets a did-you-mean, and counts
//! of one read "1 page", "1 record".

mod common;

use common::{Sandbox, cursor_connector, ids, open_pool, start_mock};

#[tokio::test(flavor = "multi_thread")]
async fn demo_writes_the_store_it_is_given() {
    let sandbox = Sandbox::new();
    let db = sandbox.path().join("mine.db");
    let url = format!("sqlite://{}", db.display());
    let out = sandbox
        .run_raw(&["demo", "--store", &url, "--records", "40"])
        .await;
    out.expect_code(0);
    assert!(out.stdout.contains("40 contacts"), "{out}");
    assert_eq!(
        ids(&open_pool(&db).await, "contacts").await,
        (1..=40).collect::<Vec<i64>>()
    );
    assert!(
        !sandbox.path().join("holdfast-demo.db").exists(),
        "no holdfast-demo.db besides the store asked for"
    );
    let out = sandbox
        .run_raw(&["demo", "--store", "postgres://127.0.0.1/test"])
        .await;
    out.expect_code(2);
    assert!(out.stderr.contains("sqlite://FILE"), "{out}");
}

#[tokio::test]
async fn commands_offer_only_the_flags_they_use() {
    let sandbox = Sandbox::new();
    for command in [&["mock"][..], &["bench"], &["demo"], &["store", "migrate"]] {
        let mut args = command.to_vec();
        args.push("--help");
        let out = sandbox.run_raw(&args).await;
        out.expect_code(0);
        assert!(!out.stdout.contains("--config"), "{command:?}: {out}");
        assert!(
            !out.stdout.contains("HOLDFAST_STORE"),
            "{command:?} lists no global --store: {out}"
        );
    }
    for command in ["sync", "runs", "check", "quarantine", "serve"] {
        let out = sandbox.run_raw(&[command, "--help"]).await;
        out.expect_code(0);
        assert!(
            out.stdout.contains("--config") && out.stdout.contains("--store"),
            "{command}: {out}"
        );
    }
    // given anyway, they are refused, not ignored
    let out = sandbox
        .run_raw(&["mock", "--config", "x.yaml", "--port", "0"])
        .await;
    out.expect_code(2);
    assert!(
        out.stderr.contains("unexpected argument '--config'"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_stream_gets_a_did_you_mean() {
    let mock = start_mock(5).await;
    let sandbox = Sandbox::new();
    let yaml = cursor_connector(&mock.url(), 10, "");
    let people = yaml
        .split("streams:\n")
        .nth(1)
        .expect("streams")
        .replace("  contacts:", "  people:");
    sandbox.write_config(&format!("{yaml}{people}"));
    let out = sandbox.run(&["sync", "peple"]).await;
    out.expect_code(2);
    assert!(
        out.stderr
            .contains("no stream `peple` in the connector file; did you mean `people`?"),
        "{out}"
    );
    let out = sandbox.run(&["explain", "contacs", "1"]).await;
    out.expect_code(2);
    assert!(out.stderr.contains("did you mean `contacts`?"), "{out}");
    let out = sandbox.run(&["sync", "zzz"]).await;
    out.expect_code(2);
    assert!(
        out.stderr.contains("streams are: contacts, people"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_count_of_one_reads_in_the_singular() {
    let mock = start_mock(1).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 10, ""));
    let out = sandbox.run(&["check"]).await;
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("(1 connection, 1 stream, 0 webhooks, 0 actions)"),
        "{out}"
    );
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    assert!(
        out.stderr.contains(
            "sync contacts: 1 record (1 created, 0 updated, 0 unchanged, 0 quarantined) in 1 page,"
        ),
        "{out}"
    );
    let out = sandbox.run(&["status"]).await;
    out.expect_code(0);
    assert!(out.stdout.contains("(1 page, 1 created"), "{out}");
    assert!(out.stdout.contains("1 attempt "), "{out}");
}
