//! `holdfast check`: a valid file answers, a bad file gets located errors
//! with a fix and nothing runs, an unreachable API is named; `sync` of an
//! unknown stream names the known ones.

mod common;

use common::{Sandbox, contacts_connector};

const CURSOR: &str = r#"{ type: cursor, next: "$.meta.next_cursor", param: cursor }"#;

/// `text` with the sandbox path replaced by `[DIR]`, for snapshots.
fn normalize(sandbox: &Sandbox, text: &str) -> String {
    let dir = sandbox.path().display().to_string();
    text.replace(&dir, "[DIR]")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_valid_file_and_a_live_api() {
    let mock = common::start_mock(10).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&contacts_connector(
        &mock.url(),
        "{ path: /v2/contacts }",
        CURSOR,
    ));
    let out = sandbox.run(&["check"]).await;
    out.expect_code(0);
    assert!(
        out.stdout.contains("ok: connection `crm` answered"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("(1 connection, 1 stream, 0 webhooks, 0 actions)"),
        "{out}"
    );
    assert_eq!(mock.stats().requests, 1, "check reads one page to test crm");
    assert!(!sandbox.db.exists(), "check writes nothing to the store");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_mistake_is_located_with_a_fix() {
    let mock = common::start_mock(10).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  crm:
    base_url: "{}"
streams:
  contacts:
    connection: crm2
    request: {{ path: /v2/contacts }}
    paginate: {{ type: cursor, next: "$.meta[", param: cursor }}
    records: "$.data[*]"
    primary_key: id
    incremental: {{ cursor_field: updated_at, lookback: 5 parsecs }}
  deals:
    connection: crm
    for_each: {{ stream: contact, as: contact }}
    request: {{ path: "/v2/contacts/{{{{ contact.id }}}}/deals" }}
    records: "data"
    primary_key: id
"#,
        mock.url()
    ));
    let out = sandbox.run(&["check"]).await;
    out.expect_code(2);
    assert_eq!(out.stdout, "", "nothing is reported as ok");
    assert_eq!(mock.stats().requests, 0, "nothing was sent");
    let errors = out.stderr.matches("error: ").count();
    let helps = out.stderr.matches("   = help: ").count();
    assert!(errors >= 5, "four mistakes and a summary:\n{out}");
    assert_eq!(helps, errors - 1, "a help line for each mistake:\n{out}");
    insta::assert_snapshot!("several_mistakes", normalize(&sandbox, &out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_typo_in_a_key_suggests_the_right_one() {
    let mock = common::start_mock(10).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(
        &contacts_connector(&mock.url(), "{ path: /v2/contacts }", CURSOR)
            .replace("primary_key: id", "primry_key: id"),
    );
    let out = sandbox.run(&["check"]).await;
    out.expect_code(2);
    assert_eq!(mock.stats().requests, 0);
    assert!(out.stderr.contains("did you mean `primary_key`?"), "{out}");
    insta::assert_snapshot!("typo_key", normalize(&sandbox, &out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_typo_and_other_mistakes_are_reported_together() {
    let sandbox = Sandbox::new();
    sandbox.write_config(
        &contacts_connector("http://127.0.0.1:9", "{ path: /v2/contacts }", CURSOR)
            .replace(
                "connection: crm\n    request",
                "connection: crm2\n    request",
            )
            .replace("$.meta.next_cursor", "$.meta[")
            .replace("primary_key: id", "primry_key: id"),
    );
    let out = sandbox.run(&["check"]).await;
    out.expect_code(2);
    for (mistake, line) in [
        ("unknown connection `crm2`", "holdfast.yaml:6:"),
        ("invalid JSONPath `$.meta[`", "holdfast.yaml:8:"),
        ("unknown key `primry_key`", "holdfast.yaml:10:"),
    ] {
        assert!(
            out.stderr.contains(mistake) && out.stderr.contains(line),
            "{mistake} at {line}:\n{out}"
        );
    }
    assert!(out.stderr.contains("has 3 problems"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_refuses_a_bad_file_too() {
    let mock = common::start_mock(10).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(
        &contacts_connector(&mock.url(), "{ path: /v2/contacts }", CURSOR)
            .replace("connection: crm", "connection: crn"),
    );
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(2);
    assert!(
        out.stderr.contains("unknown connection `crn`")
            && out.stderr.contains("holdfast.yaml:6:")
            && out.stderr.contains("did you mean `crm`?"),
        "{out}"
    );
    assert_eq!(mock.stats().requests, 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_api_is_named() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let sandbox = Sandbox::new();
    sandbox.write_config(&contacts_connector(
        &format!("http://127.0.0.1:{port}"),
        "{ path: /v2/contacts }",
        CURSOR,
    ));
    let out = sandbox.run(&["check"]).await;
    out.expect_code(1);
    assert!(
        out.stdout.contains("is valid"),
        "the file itself is fine:\n{out}"
    );
    assert!(
        out.stderr.contains("connection `crm`") && out.stderr.contains("could not connect"),
        "stderr names the connection and the failure:\n{out}"
    );
    assert!(!out.stdout.contains("answered"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_of_an_unknown_stream_names_the_known_ones() {
    let mock = common::start_mock(10).await;
    let sandbox = Sandbox::new();
    let mut yaml = contacts_connector(&mock.url(), "{ path: /v2/contacts }", CURSOR);
    yaml.push_str(
        r#"  deals:
    connection: crm
    for_each: { stream: contacts, as: contact }
    request: { path: "/v2/contacts/{{ contact.id }}/deals" }
    records: "$.data[*]"
    primary_key: id
"#,
    );
    sandbox.write_config(&yaml);
    let out = sandbox.run(&["sync", "nosuchstream"]).await;
    out.expect_code(2);
    assert!(
        out.stderr.contains("no stream `nosuchstream`")
            && out.stderr.contains("streams are: contacts, deals"),
        "{out}"
    );
    assert_eq!(mock.stats().requests, 0, "nothing was synced");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unusable_webhook_secret_is_found_by_check() {
    let mock = common::start_mock(10).await;
    let sandbox = Sandbox::new();
    let mut file = contacts_connector(&mock.url(), "{ path: /v2/contacts }", CURSOR);
    file.push_str(
        "webhooks:\n  crm_events:\n    path: /hooks/crm\n    \
         verify: { scheme: standard_webhooks, secret: \"{{ env.HOOK_SECRET }}\" }\n    \
         route: [ { stream: contacts } ]\n",
    );
    sandbox.write_config(&file);
    let out = sandbox
        .run_env(&["check"], &[("HOOK_SECRET", "whsec_not*base64")])
        .await;
    out.expect_code(2);
    assert!(
        out.stderr.contains("webhook `crm_events`")
            && out.stderr.contains("webhooks.crm_events.verify.secret")
            && out.stderr.contains("base64"),
        "{out}"
    );
    assert!(
        !out.all_text().contains("not*base64"),
        "the secret is not printed: {out}"
    );
    assert_eq!(
        mock.stats().requests,
        0,
        "nothing is sent before the file is usable"
    );
}
