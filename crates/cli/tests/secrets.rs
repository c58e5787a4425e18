//! Secrets at rest: `holdfast secrets set` reads a value from stdin and
//! keeps it encrypted in the store; `{{ secret.NAME }}` resolves it for
//! connections and webhooks. The value never appears in the store file, the
//! output, the logs or the request log; a wrong key or an unknown name stops
//! everything before a request is sent.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use common::{
    Output, Sandbox, Serve, contains_bytes, ids, local_client, post, request_log, runs, set_secret,
};
use holdfast_mock::{MockAuth, MockConfig};

const RECORDS: u64 = 120;
/// The token the mock demands.
const TOKEN: &str = "tok-secret-8f3a61c2d9e4b7";
/// A token the mock refuses.
const WRONG_TOKEN: &str = "tok-wrong-5b2e90d1a7c3f6";
/// Another valid key (base64 of 32 bytes), not the one the secrets were set with.
const OTHER_KEY: &str = "q83vEjRWeJqrze8SNFZ4mqvN7xI0VniaUYWKGn+3tSs=";

fn connector(base_url: &str, token_template: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
    auth: {{ type: bearer, token: "{token_template}" }}
streams:
  contacts:
    connection: crm
    request: {{ path: /next_url/contacts, params: {{ limit: 50 }} }}
    paginate: {{ type: next_url, next: "$.links.next" }}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

fn key_file(sandbox: &Sandbox) -> PathBuf {
    sandbox.path().join(".holdfast/secret.key")
}

async fn mock() -> holdfast_mock::MockServer {
    common::start_mock_with(MockConfig {
        records: RECORDS,
        auth: Some(MockAuth::Bearer(TOKEN.to_owned())),
        ..MockConfig::default()
    })
    .await
}

/// Asserts no `secret` in `outputs`, the store file or the request log.
async fn assert_hidden(sandbox: &Sandbox, outputs: &[&Output], secret: &str) {
    for out in outputs {
        assert!(
            !out.all_text().contains(secret),
            "the secret is in the output:\n{out}"
        );
    }
    let pool = sandbox.pool().await;
    for row in request_log(&pool).await {
        let text = format!("{row:?}");
        assert!(
            !text.contains(secret),
            "the secret is in the request log: {text}"
        );
    }
    let errors: Vec<Option<String>> = runs(&pool).await.into_iter().map(|r| r.error).collect();
    assert!(!format!("{errors:?}").contains(secret), "in a run's error");
    pool.close().await;
    assert!(
        !contains_bytes(&sandbox.db_bytes(), secret.as_bytes()),
        "the secret is in the SQLite file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_set_on_stdin_authenticates_and_stays_encrypted() {
    let mock = mock().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), "{{ secret.crm_token }}"));

    // First a value the API refuses: a clear 401, and the value is hidden.
    let first = set_secret(&sandbox, "crm_token", &format!("{WRONG_TOKEN}\n"), &[]).await;
    first.expect_code(0);
    assert!(
        first
            .stderr
            .contains("created the secret key file .holdfast/secret.key"),
        "{first}"
    );
    assert!(first.stdout.contains("secret `crm_token` saved"), "{first}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(key_file(&sandbox))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let refused = sandbox
        .run_env(&["sync"], &[("HOLDFAST_LOG", "trace")])
        .await;
    refused.expect_code(1);
    assert!(refused.stderr.contains("401"), "{refused}");
    assert_hidden(&sandbox, &[&first, &refused], WRONG_TOKEN).await;

    // Set again (replaced, same key): the sync succeeds.
    let second = set_secret(&sandbox, "crm_token", &format!("{TOKEN}\n"), &[]).await;
    second.expect_code(0);
    assert!(
        !second.stderr.contains("created"),
        "the key is reused:\n{second}"
    );
    let check = sandbox.run(&["check"]).await;
    check.expect_code(0);
    assert!(
        check.stdout.contains("secrets decrypted: crm_token")
            && check.stdout.contains("connection `crm` answered"),
        "{check}"
    );
    let synced = sandbox
        .run_env(&["sync"], &[("HOLDFAST_LOG", "trace")])
        .await;
    synced.expect_code(0);
    assert!(synced.stderr.contains("DEBUG"), "trace logs were written");
    let pool = sandbox.pool().await;
    assert_eq!(
        ids(&pool, "contacts").await,
        (1..=RECORDS as i64).collect::<Vec<_>>()
    );
    pool.close().await;
    let last = mock.requests().last().cloned().expect("requests");
    assert_eq!(
        last.headers.get("authorization").map(String::as_str),
        Some(format!("Bearer {TOKEN}").as_str()),
        "the secret is sent as the bearer token"
    );

    let list = sandbox.run(&["secrets", "list"]).await;
    list.expect_code(0);
    assert!(list.stdout.contains("crm_token"), "{list}");
    assert_hidden(&sandbox, &[&second, &check, &synced, &list], TOKEN).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_or_missing_key_stops_before_any_request() {
    let mock = mock().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), "{{ secret.crm_token }}"));
    set_secret(&sandbox, "crm_token", TOKEN, &[])
        .await
        .expect_code(0);

    let wrong = sandbox
        .run_env(&["sync"], &[("HOLDFAST_SECRET_KEY", OTHER_KEY)])
        .await;
    wrong.expect_code(2);
    assert!(
        wrong
            .stderr
            .contains("secret `crm_token` cannot be decrypted")
            && wrong
                .stderr
                .contains("with the key from HOLDFAST_SECRET_KEY"),
        "{wrong}"
    );
    let bad = sandbox
        .run_env(&["sync"], &[("HOLDFAST_SECRET_KEY", "c2hvcnQ=")])
        .await;
    bad.expect_code(2);
    assert!(bad.stderr.contains("5 bytes long, not 32"), "{bad}");

    // Setting another secret with the wrong key is refused too: one store, one key.
    let mixed = set_secret(
        &sandbox,
        "other",
        "v-123456",
        &[("HOLDFAST_SECRET_KEY", OTHER_KEY)],
    )
    .await;
    mixed.expect_code(1);
    assert!(
        mixed
            .stderr
            .contains("does not open the secrets already in"),
        "{mixed}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let perms = std::fs::Permissions::from_mode(0o644);
        std::fs::set_permissions(key_file(&sandbox), perms).expect("chmod");
        let open = sandbox.run(&["sync"]).await;
        open.expect_code(2);
        assert!(open.stderr.contains("chmod 600"), "{open}");
    }

    std::fs::remove_file(key_file(&sandbox)).expect("remove key file");
    let missing = sandbox.run(&["sync"]).await;
    missing.expect_code(2);
    assert!(
        missing.stderr.contains("no secret key")
            && missing.stderr.contains("holds 1 secret(s) (crm_token)"),
        "{missing}"
    );

    assert_eq!(mock.stats().requests, 0, "nothing was sent");
    let pool = sandbox.pool().await;
    assert!(runs(&pool).await.is_empty(), "nothing ran");
    pool.close().await;
    assert_hidden(&sandbox, &[&wrong, &bad, &mixed, &missing], TOKEN).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_secret_is_a_located_error_with_the_fix() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector("http://127.0.0.1:9", "{{ secret.crm_tokn }}"));
    // No store yet: every name is unknown, and no store file is made.
    let none = sandbox.run(&["check"]).await;
    none.expect_code(2);
    assert!(
        none.stderr.contains("error: secret `crm_tokn` is not set")
            && none.stderr.contains("run `holdfast secrets set crm_tokn`"),
        "{none}"
    );
    assert!(!sandbox.db.exists(), "check made no store");

    set_secret(&sandbox, "crm_token", TOKEN, &[])
        .await
        .expect_code(0);
    let typo = sandbox.run(&["sync"]).await;
    typo.expect_code(2);
    assert!(
        typo.stderr.contains("error: secret `crm_tokn` is not set")
            && typo.stderr.contains("holdfast.yaml:4:")
            && typo.stderr.contains("(connections.crm.auth.token)")
            && typo.stderr.contains("run `holdfast secrets set crm_tokn`")
            && typo.stderr.contains("did you mean `crm_token`?"),
        "{typo}"
    );
    assert_hidden(&sandbox, &[&none, &typo], TOKEN).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_names_only_and_delete_removes() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector("http://127.0.0.1:9", "{{ secret.crm_token }}"));
    let empty = sandbox.run(&["secrets", "list"]).await;
    empty.expect_code(0);
    assert!(empty.stdout.contains("no secrets"), "{empty}");

    set_secret(&sandbox, "crm_token", "value-one-1111\r\n", &[])
        .await
        .expect_code(0);
    set_secret(&sandbox, "billing_key", "value-two-2222", &[])
        .await
        .expect_code(0);
    let list = sandbox.run(&["secrets", "list"]).await;
    list.expect_code(0);
    let names: Vec<&str> = list
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["billing_key", "crm_token"], "{list}");
    assert!(!list.stdout.contains("value-"), "{list}");

    let nothing = set_secret(&sandbox, "blank", "\n", &[]).await;
    nothing.expect_code(2);
    assert!(
        nothing
            .stderr
            .contains("no value for secret `blank` on stdin"),
        "{nothing}"
    );
    let bad_name = set_secret(&sandbox, "crm-token", "x", &[]).await;
    bad_name.expect_code(2);
    assert!(
        bad_name.stderr.contains("cannot be a secret name"),
        "{bad_name}"
    );
    let on_argv = sandbox
        .run(&["secrets", "set", "crm_token", "on-the-command-line"])
        .await;
    on_argv.expect_code(2);

    sandbox
        .run(&["secrets", "delete", "crm_token"])
        .await
        .expect_code(0);
    let gone = sandbox.run(&["secrets", "delete", "crm_token"]).await;
    gone.expect_code(1);
    assert!(gone.stderr.contains("no secret `crm_token`"), "{gone}");
    let list = sandbox.run(&["secrets", "list"]).await;
    assert!(
        list.stdout.contains("billing_key") && !list.stdout.contains("crm_token"),
        "{list}"
    );
    assert_hidden(&sandbox, &[&list], "value-one-1111").await;
    assert_hidden(&sandbox, &[&list], "value-two-2222").await;
}

/// `holdfast secrets set` with only `--config` (the store comes from the
/// file's `store:`), in the sandbox, `stdin` piped in.
async fn set_secret_by_file(sandbox: &Sandbox, name: &str, stdin: &str) -> Output {
    let mut cmd = tokio::process::Command::new(common::BIN);
    cmd.args(["secrets", "set", name, "--config"])
        .arg(&sandbox.config)
        .current_dir(sandbox.path())
        .env_remove("HOLDFAST_STORE")
        .env_remove("HOLDFAST_SECRET_KEY")
        .env_remove("HOLDFAST_SECRET_KEY_FILE")
        .env("STORE_FILE", "from-env.db")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    common::piped(cmd, stdin).await
}

/// The first secret is set before the file that reads it checks (it names
/// a secret not set yet, an unset variable): only `store:` is read.
#[tokio::test(flavor = "multi_thread")]
async fn set_finds_the_store_of_a_file_that_does_not_check_yet() {
    let sandbox = Sandbox::new();
    let file = connector("{{ env.UNSET_CRM_URL }}", "{{ secret.crm_token }}");
    sandbox.write_config(&format!(
        "store: \"sqlite://{{{{ env.STORE_FILE }}}}\"\n{file}"
    ));
    let out = set_secret_by_file(&sandbox, "crm_token", "value-3333").await;
    out.expect_code(0);
    assert!(out.stdout.contains("in sqlite://from-env.db"), "{out}");
    assert!(sandbox.path().join("from-env.db").exists());
    assert!(!sandbox.db.exists(), "not the default store");

    sandbox.write_config(&format!("store: \"sqlite://{{{{ env.NOPE }}}}\"\n{file}"));
    let out = set_secret_by_file(&sandbox, "crm_token", "value-3333").await;
    out.expect_code(2);
    assert!(
        out.stderr
            .contains("environment variable `NOPE` is not set")
            && out
                .stderr
                .contains("cannot tell which store holds the secrets"),
        "{out}"
    );
}

/// GitHub's `X-Hub-Signature-256` for `body` under `secret`.
fn github_signature(secret: &str, body: &str) -> String {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_verifies_with_a_stored_secret() {
    const HOOK_SECRET: &str = "gh-hook-secret-7d41c09e";
    let sandbox = Sandbox::new();
    sandbox.write_config(
        r#"connections:
  gh: { base_url: "http://127.0.0.1:9" }
streams:
  repos:
    connection: gh
    request: { path: /repos }
    records: "$.data[*]"
    primary_key: id
webhooks:
  gh:
    path: /hooks/github
    verify: { scheme: github, secret: "{{ secret.hook }}" }
    route: [ { stream: repos, record: "$.repository" } ]
"#,
    );
    set_secret(&sandbox, "hook", HOOK_SECRET, &[])
        .await
        .expect_code(0);
    let mut serve = Serve::start(&sandbox, &[], &[]).await;
    let client = local_client();
    let url = format!("{}/hooks/github", serve.url);
    let body = r#"{"action":"created","repository":{"id":7,"full_name":"octo/x"}}"#;
    let signed = |secret: &str, id: &str| {
        vec![
            (
                "X-Hub-Signature-256".to_owned(),
                github_signature(secret, body),
            ),
            ("X-GitHub-Delivery".to_owned(), id.to_owned()),
            ("X-GitHub-Event".to_owned(), "repository".to_owned()),
        ]
    };
    let (status, answer) = post(&client, &url, &signed(HOOK_SECRET, "d-1"), body)
        .await
        .expect("post");
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = post(&client, &url, &signed("not-the-secret", "d-2"), body)
        .await
        .expect("post");
    assert_eq!(status, 401, "{answer}");
    let stderr = serve.stderr();
    serve.kill().await;
    assert!(!stderr.contains(HOOK_SECRET), "{stderr}");
    assert!(
        !contains_bytes(&sandbox.db_bytes(), HOOK_SECRET.as_bytes()),
        "the webhook secret is in the SQLite file"
    );
}
