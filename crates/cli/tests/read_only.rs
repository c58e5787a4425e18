//! Commands that only read (`runs`, `status`, `quarantine`, `drift`,
//! `explain`, `alerts`, `queue`) find the store the file names without the
//! connections' variables, never create a store, and say which path they
//! looked for and why when there is none.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{Output, Sandbox};

/// A connector whose store is `store` and whose connection reads
/// `CRM_TOKEN`, unset unless given.
fn connector(store: &str, base_url: &str) -> String {
    format!(
        "store: \"{store}\"\nconnections:\n  crm:\n    base_url: \"{base_url}\"\n    \
         auth: {{ type: bearer, token: \"{{{{ env.CRM_TOKEN }}}}\" }}\nstreams:\n  contacts:\n    \
         connection: crm\n    request: {{ path: /cursor/contacts, params: {{ limit: 10 }} }}\n    \
         paginate: {{ type: cursor, next: \"$.meta.next_cursor\", param: cursor }}\n    \
         records: \"$.data[*]\"\n    primary_key: id\n"
    )
}

/// Every file name in `dir`.
fn files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// `holdfast ARGS --config FILE` in the sandbox, nothing else (no `--store`).
async fn run(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut all: Vec<&str> = args.to_vec();
    let config = sandbox.config.display().to_string();
    all.extend(["--config", config.as_str()]);
    sandbox.run_raw_env(&all, env).await
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_reads_the_files_store_without_the_connections_variables() {
    let mock = common::start_mock(25).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&sandbox.store_url(), &mock.url()));
    let token = [("CRM_TOKEN", "t0k3n")];
    run(&sandbox, &["sync"], &token).await.expect_code(0);
    run(&sandbox, &["sync"], &token).await.expect_code(0);
    let before = files(sandbox.path());

    // CRM_TOKEN is unset now: the store is still the one `store:` names
    let out = run(&sandbox, &["runs"], &[]).await;
    out.expect_code(0);
    assert!(!out.stdout.contains("no runs yet"), "{out}");
    assert_eq!(out.stdout.matches("succeeded").count(), 2, "{out}");
    assert_eq!(files(sandbox.path()), before, "no store created: {out}");
    assert!(!sandbox.path().join("holdfast.db").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_store_is_an_error_naming_the_path_and_where_it_came_from() {
    let sandbox = Sandbox::new();
    let missing = sandbox.path().join("missing.db");
    sandbox.write_config(&connector(
        &format!("sqlite://{}", missing.display()),
        "http://127.0.0.1:9",
    ));
    let before = files(sandbox.path());
    for command in ["runs", "drift", "quarantine", "queue", "status", "alerts"] {
        let out = run(&sandbox, &[command], &[]).await;
        out.expect_code(1);
        assert!(
            out.stderr
                .contains(&format!("no store at {}", missing.display())),
            "{command}: {out}"
        );
        assert!(
            out.stderr
                .contains(&format!("`store:` in {}", sandbox.config.display())),
            "{command}: {out}"
        );
        assert_eq!(files(sandbox.path()), before, "{command} created a file");
    }

    // nothing names a store: the default, said so
    let empty = tempfile::tempdir().expect("temp dir");
    let out = common::raw_command(empty.path(), &["runs".to_owned()], &[])
        .output()
        .await
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("holdfast.db (named by the default"),
        "{stderr}"
    );
    assert!(files(empty.path()).is_empty(), "nothing created: {stderr}");

    // --store and HOLDFAST_STORE are named as such
    let flag = format!("sqlite://{}", sandbox.path().join("flag.db").display());
    let out = sandbox.run_raw(&["runs", "--store", &flag]).await;
    out.expect_code(1);
    assert!(out.stderr.contains("named by --store"), "{out}");
    let out = sandbox
        .run_raw_env(&["runs"], &[("HOLDFAST_STORE", flag.as_str())])
        .await;
    out.expect_code(1);
    assert!(out.stderr.contains("named by HOLDFAST_STORE"), "{out}");
    assert_eq!(files(sandbox.path()), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_that_reads_an_unset_variable_is_named_not_guessed() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        "sqlite://{{ env.HF_STORE_DIR }}/store.db",
        "http://127.0.0.1:9",
    ));
    let out = run(&sandbox, &["runs"], &[]).await;
    out.expect_code(1);
    assert!(out.stderr.contains("HF_STORE_DIR"), "{out}");
    assert!(
        out.stderr.contains("cannot tell which store to read"),
        "{out}"
    );
    assert!(files(sandbox.path()).len() == 1, "only the connector file");
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_commands_leave_the_directory_as_it_was() {
    let mock = common::start_mock(25).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "{}alerts:\n  - {{ rule: no_records, stream: contacts, for: 1h }}\n",
        connector(&sandbox.store_url(), &mock.url())
    ));
    run(&sandbox, &["sync"], &[("CRM_TOKEN", "t")])
        .await
        .expect_code(0);
    let before = files(sandbox.path());
    let bytes = sandbox.db_bytes();
    let commands: [&[&str]; 8] = [
        &["runs"],
        &["status"],
        &["quarantine"],
        &["drift"],
        &["explain", "contacts", "3"],
        &["alerts"],
        &["queue"],
        &["describe"],
    ];
    for args in commands {
        let out = run(&sandbox, args, &[("CRM_TOKEN", "t")]).await;
        out.expect_code(0);
        assert_eq!(files(sandbox.path()), before, "{args:?} left a file: {out}");
    }
    assert!(sandbox.db_bytes() == bytes, "the store is unchanged");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_of_an_older_schema_says_what_to_run() {
    let mock = common::start_mock(5).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&sandbox.store_url(), &mock.url()));
    run(&sandbox, &["sync"], &[("CRM_TOKEN", "t")])
        .await
        .expect_code(0);
    {
        let pool = sandbox.pool().await;
        sqlx::query(
            "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
        )
        .execute(&pool)
        .await
        .expect("forget the newest migration");
        pool.close().await;
    }
    let out = run(&sandbox, &["runs"], &[]).await;
    out.expect_code(1);
    assert!(out.stderr.contains("older than this holdfast"), "{out}");
    assert!(out.stderr.contains("`holdfast sync`"), "{out}");
}

/// `quarantine` with a connection variable unset still lists the store's
/// entries; where the file cannot be read to find the primary key, the line
/// says so instead of claiming the stream is unknown.
#[tokio::test(flavor = "multi_thread")]
async fn quarantine_without_the_connections_variables_says_why_keys_are_missing() {
    let mock = common::start_mock_with(holdfast_mock::MockConfig {
        records: 20,
        bad_every: 5,
        ..holdfast_mock::MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    // `"version": "lots"` (a bad record with its id) fails the integer column
    let yaml = connector(&sandbox.store_url(), &mock.url())
        + "    map:\n      version: { from: \"$.version\", type: integer }\n";
    sandbox.write_config(&yaml);
    run(&sandbox, &["sync"], &[("CRM_TOKEN", "t0k3n")])
        .await
        .expect_code(0);

    let with = run(&sandbox, &["quarantine"], &[("CRM_TOKEN", "t0k3n")]).await;
    with.expect_code(0);
    assert!(with.stdout.contains("contacts id="), "{with}");

    let without = run(&sandbox, &["quarantine"], &[]).await;
    without.expect_code(0);
    assert!(
        without.stdout.contains(
            "(key unknown: the connector file could not be read; `holdfast check` says why)"
        ),
        "{without}"
    );
    assert!(!without.stdout.contains("has no such stream"), "{without}");
}
