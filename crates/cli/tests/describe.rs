//! `holdfast describe`: the runbook of the example connector without a
//! store (a snapshot of its static part), after a real sync through
//! injected faults (the failure modes named with the request log's counts
//! and what to do), one stream, an unknown name, `--out`, and a secret that
//! never shows.

mod common;

use std::collections::BTreeMap;

use common::{
    Sandbox, cursor_connector, drift_entries, quarantine_entries, request_log, set_secret,
};
use holdfast_mock::{FaultProfile, MockAuth, MockConfig, ShapeVersion};

/// The example connector, as shipped.
const EXAMPLE: &str = include_str!("../../../examples/holdfast.yaml");

/// A richer file: OAuth2 and a portal login, limits, rules, a schedule,
/// reconciliation, a deletions stream, a webhook, an action and alerts.
const RICH: &str = include_str!("support/describe_rich.yaml");

/// `text` with the sandbox's path replaced by `[DIR]`.
fn normalize(sandbox: &Sandbox, text: &str) -> String {
    text.replace(&sandbox.path().display().to_string(), "[DIR]")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_connector_without_a_store() {
    let sandbox = Sandbox::new();
    sandbox.write_config(EXAMPLE);
    let out = sandbox
        .run_env(&["describe"], &[("CRM_URL", "http://127.0.0.1:9")])
        .await;
    out.expect_code(0);
    assert!(!sandbox.db.exists(), "describe created no store");
    let text = normalize(&sandbox, &out.stdout);
    assert!(
        text.contains("No runs recorded yet (store [DIR]/store.db not found; named by --store)"),
        "{out}"
    );
    insta::assert_snapshot!("example_without_store", text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rich_connector_without_a_store() {
    let sandbox = Sandbox::new();
    sandbox.write_config(RICH);
    let out = sandbox
        .run_env(&["describe"], &[("CRM_URL", "http://127.0.0.1:9")])
        .await;
    out.expect_code(0);
    let text = normalize(&sandbox, &out.stdout);
    for part in [
        "OAuth2, grant `refresh_token`",
        "renewed 5m before it expires",
        "`holdfast secrets set crm_refresh_token`",
        "1. `GET /login`; takes `csrf` from attribute `value` of `input[name=csrf_token]`",
        "`contacts_deleted` deletes → `contacts`",
        "webhook `crm_events` (`POST /hooks/crm`) → `contacts`",
        "`reconcile_refused` (implied by `reconcile:`)",
    ] {
        assert!(text.contains(part), "missing {part:?}:\n{text}");
    }
    assert!(
        !text.contains("literal-sekrit"),
        "a literal credential shows:\n{text}"
    );
    insta::assert_snapshot!("rich_without_store", text);
}

#[tokio::test(flavor = "multi_thread")]
async fn failure_modes_after_a_sync_through_faults() {
    let mock = common::start_mock_with(MockConfig {
        records: 400,
        seed: 7,
        faults: FaultProfile::parse("429=15%,500=15%,retry_after=0s").expect("fault spec"),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  crm:
    base_url: "{}"
    retry: {{ attempts: 10, initial: 5ms, max: 50ms, max_wait: 1m }}
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: 10 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
"#,
        mock.url()
    ));
    sandbox.run(&["sync"]).await.expect_code(0);
    let stats = mock.stats();
    assert!(
        stats.faults.get("429").copied().unwrap_or(0) > 0
            && stats.faults.get("500").copied().unwrap_or(0) > 0,
        "both faults were injected: {stats:?}"
    );
    let mut classes: BTreeMap<String, u64> = BTreeMap::new();
    for row in request_log(&sandbox.pool().await).await {
        if let Some(class) = row.error {
            *classes.entry(class).or_default() += 1;
        }
    }
    assert_eq!(
        classes.keys().collect::<Vec<_>>(),
        ["status_429", "status_5xx"]
    );

    let out = sandbox.run(&["describe", "contacts"]).await;
    out.expect_code(0);
    let text = &out.stdout;
    let failures = section(text, "### Failure modes seen (last 7d)");
    for (class, count) in &classes {
        let row = format!("| `{class}` | {count} | ");
        assert!(failures.contains(&row), "no row {row:?}:\n{failures}");
    }
    assert!(
        failures.contains("set or lower the connection's `rate_limit:`")
            && failures.contains("The remote failed (500/502/503/504)"),
        "advice per class:\n{failures}"
    );
    assert!(
        failures.contains("answered 429") && failures.contains("answered 500"),
        "the last message of each class:\n{failures}"
    );
    let health = section(text, "### Recent health");
    assert!(
        health.contains("| succeeded | 400 (400 created, 0 updated, 0 unchanged) | 0 |"),
        "{health}"
    );
    let attempts = stats.requests;
    assert!(
        health.contains(&format!("| `GET /v2/contacts` | {attempts} | ")),
        "every attempt counted:\n{health}"
    );
    assert!(text.contains("History from the store `sqlite://"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_and_quarantine_with_what_to_do() {
    let mock = common::start_mock_with(MockConfig {
        records: 200,
        bad_every: 5,
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 50, ""));
    sandbox.run(&["sync"]).await.expect_code(0);
    mock.set_shape(ShapeVersion::Drifted);
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    let drift = drift_entries(&pool).await;
    let held = quarantine_entries(&pool)
        .await
        .into_iter()
        .filter(|q| q.resolved_at.is_none())
        .count();
    assert!(!drift.is_empty() && held > 0, "{drift:?} {held}");

    let out = sandbox.run(&["describe", "contacts"]).await;
    out.expect_code(0);
    let history = section(&out.stdout, "### Drift history");
    for d in drift.iter().rev().take(10) {
        let change = format!("{} → {}", d.before, d.after).replace('|', "\\|");
        let row = format!("| `{}` | `{}` | {change} |", d.kind, d.path);
        assert!(history.contains(&row), "no row {row:?}:\n{history}");
    }
    for (kind, advice) in [
        ("type_changed", "A field changed type."),
        ("field_removed", "A field every record had is gone."),
    ] {
        assert!(
            history.contains(&format!("- `{kind}`: {advice}")),
            "advice for {kind}:\n{history}"
        );
    }
    let quarantine = section(&out.stdout, "### Quarantine");
    assert!(
        quarantine.contains(&format!("{held} records held out of the table."))
            && quarantine.contains("`holdfast quarantine retry contacts`"),
        "{quarantine}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_stream_an_unknown_name_and_out() {
    let sandbox = Sandbox::new();
    sandbox.write_config(EXAMPLE);
    let env = [("CRM_URL", "http://127.0.0.1:9")];

    let deals = sandbox.run_env(&["describe", "deals"], &env).await;
    deals.expect_code(0);
    assert!(
        deals.stdout.starts_with("# Runbook: stream `deals`"),
        "{deals}"
    );
    assert!(deals.stdout.contains("## Stream `deals`"), "{deals}");
    assert!(!deals.stdout.contains("## Stream `contacts`"), "{deals}");
    assert!(
        deals.stdout.contains("## Connection `crm`"),
        "its connection: {deals}"
    );
    assert!(
        deals
            .stdout
            .contains("- `contacts` → `deals`: one request chain per `contacts` record"),
        "{deals}"
    );

    let crm = sandbox.run_env(&["describe", "crm"], &env).await;
    crm.expect_code(0);
    assert!(
        crm.stdout.starts_with("# Runbook: connection `crm`"),
        "{crm}"
    );

    let typo = sandbox.run_env(&["describe", "contcts"], &env).await;
    typo.expect_code(2);
    assert_eq!(typo.stdout, "");
    assert!(
        typo.stderr
            .contains("error: no stream or connection `contcts`; did you mean `contacts`?"),
        "{typo}"
    );
    let far = sandbox.run_env(&["describe", "zzzzzz"], &env).await;
    far.expect_code(2);
    assert!(
        far.stderr
            .contains("the connector file has: contacts, deals, crm"),
        "{far}"
    );

    let file = sandbox.path().join("runbook.md");
    let written = sandbox
        .run_env(&["describe", "--out", &file.display().to_string()], &env)
        .await;
    written.expect_code(0);
    assert_eq!(written.stdout, "", "--out prints nothing on stdout");
    assert!(written.stderr.contains("wrote the runbook to"), "{written}");
    let printed = sandbox.run_env(&["describe"], &env).await;
    assert_eq!(
        std::fs::read_to_string(&file).expect("runbook written"),
        printed.stdout
    );

    let nowhere = sandbox.path().join("no/such/folder/runbook.md");
    let refused = sandbox
        .run_env(&["describe", "--out", &nowhere.display().to_string()], &env)
        .await;
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("writing the runbook to")
            && refused.stderr.contains("check that its folder exists"),
        "{refused}"
    );
    assert!(!sandbox.db.exists(), "describe created no store");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_value_never_shows() {
    const TOKEN: &str = "tok-describe-4c1d9e7a0b2f";
    const LITERAL: &str = "literal-key-77e1b0c3";
    let mock = common::start_mock_with(MockConfig {
        records: 30,
        auth: Some(MockAuth::Bearer(TOKEN.to_owned())),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  crm:
    base_url: "{}"
    headers: {{ X-Extra-Key: "{LITERAL}" }}
    auth: {{ type: bearer, token: "{{{{ secret.crm_token }}}}" }}
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: 10, api_key: "{LITERAL}" }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
"#,
        mock.url()
    ));
    set_secret(&sandbox, "crm_token", TOKEN, &[])
        .await
        .expect_code(0);
    sandbox.run(&["sync"]).await.expect_code(0);
    let out = sandbox.run(&["describe"]).await;
    out.expect_code(0);
    assert!(!out.all_text().contains(TOKEN), "the secret shows:\n{out}");
    assert!(
        !out.all_text().contains(LITERAL),
        "a literal credential shows:\n{out}"
    );
    assert!(
        out.stdout
            .contains("`Authorization: Bearer …` with the token from secret `crm_token`.")
            && out
                .stdout
                .contains("Rotate with `holdfast secrets set crm_token`")
            && out.stdout.contains("secrets: `crm_token`"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("`X-Extra-Key` = a literal in the connector file (not shown"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_login_and_its_failure_modes() {
    const PASSWORD: &str = "pw-describe-0d4c2a91";
    let mock = common::start_mock_with(MockConfig {
        records: 20,
        auth: Some(MockAuth::Session {
            username: "ada".into(),
            password: PASSWORD.into(),
            requests_per_session: 3,
        }),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  portal:
    base_url: "{}"
    auth:
      type: session
      login:
        - method: GET
          path: /login
          extract:
            csrf: {{ css: "input[name=csrf_token]", attr: value }}
        - method: POST
          path: /login
          form:
            username: "{{{{ secret.portal_user }}}}"
            password: "{{{{ secret.portal_password }}}}"
            csrf_token: "{{{{ session.csrf }}}}"
streams:
  contacts:
    connection: portal
    request: {{ path: /cursor/contacts, params: {{ limit: 4 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
"#,
        mock.url()
    ));
    set_secret(&sandbox, "portal_user", "ada", &[])
        .await
        .expect_code(0);
    set_secret(&sandbox, "portal_password", PASSWORD, &[])
        .await
        .expect_code(0);
    sandbox.run(&["sync"]).await.expect_code(0);
    let mut classes: BTreeMap<String, u64> = BTreeMap::new();
    for row in request_log(&sandbox.pool().await).await {
        if let (Some(class), Some("contacts")) = (row.error, row.stream.as_deref()) {
            *classes.entry(class).or_default() += 1;
        }
    }
    // A session expiring is answered by a new login and one retry: not a failure.
    assert_eq!(classes, BTreeMap::new());

    let out = sandbox.run(&["describe", "portal"]).await;
    out.expect_code(0);
    assert!(
        !out.all_text().contains(PASSWORD),
        "the password shows:\n{out}"
    );
    let text = &out.stdout;
    assert!(
        text.contains("2. `POST /login`, form fields `username`, `password`, `csrf_token`")
            && text.contains("secrets: `portal_password`, `portal_user`"),
        "{out}"
    );
    let state = section(text, "### Credential state (from the store)");
    assert!(
        state.contains("- **Last login**: ok at ") && state.contains("- **Failures in a row**: 0"),
        "{state}"
    );
    let failures = section(text, "### Failure modes seen (last 7d)");
    assert!(
        failures.contains("None: no failed attempt in the request log."),
        "{failures}"
    );
}

/// The part of `text` from `heading` to the next heading of any level.
fn section<'t>(text: &'t str, heading: &str) -> &'t str {
    let Some(start) = text.find(heading) else {
        panic!("no {heading:?} in:\n{text}");
    };
    let rest = &text[start + heading.len()..];
    let end = rest.find("\n#").unwrap_or(rest.len());
    &rest[..end]
}
