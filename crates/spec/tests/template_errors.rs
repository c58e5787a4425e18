//! The rendered errors of mistakes in templates: syntax, variables,
//! environment variables, secrets and the closed sandbox.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use holdfast_spec::parse_str;

use common::{CONNECTIONS, env, errors, with_streams};

#[test]
fn template_syntax_error() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: "/v2/contacts/{{ cursor }" }
    records: "$.data[*]"
    primary_key: id
"#
    )));
}

#[test]
fn unknown_template_variable() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request:
      path: /v2/contacts
      params: { updated_since: "{{ curser }}" }
    records: "$.data[*]"
    primary_key: id
"#
    )));
}

#[test]
fn unset_env_var() {
    insta::assert_snapshot!(errors(
        r#"connections:
  billing:
    base_url: "{{ env.BILLING_URL }}"
    headers: { Authorization: "Bearer {{ env.CRM_TOKEN }}" }
"#
    ));
}

/// Secrets: an unknown name (once secrets are loaded) gets the command that
/// sets it and a did-you-mean; `store:` cannot read secrets; no value is shown.
#[test]
fn secret_mistakes() {
    let yaml = r#"store: "sqlite://{{ secret.db_path }}"
connections:
  crm:
    base_url: "{{ env.CRM_URL }}"
    auth: { type: bearer, token: "{{ secret.crm_tokne }}" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts, headers: { X-All: "{{ secret }}" } }
    records: "$.data[*]"
    primary_key: id
"#;
    let secrets = BTreeMap::from([
        ("crm_token".to_owned(), "do-not-print-me".to_owned()),
        ("crm_webhook".to_owned(), "do-not-print-me".to_owned()),
    ]);
    let loaded = env().with_secrets(secrets);
    let text = match parse_str(yaml, Path::new("holdfast.yaml"), &loaded) {
        Ok(spec) => panic!("expected errors, got {spec:#?}"),
        Err(e) => e.to_string(),
    };
    assert!(
        !text.contains("do-not-print-me"),
        "a secret leaked:\n{text}"
    );
    insta::assert_snapshot!(text);
}

/// Before secrets are loaded, `secret.NAME` is accepted whatever the name,
/// and the names read are listed in the spec.
#[test]
fn secret_names_are_checked_only_once_loaded() {
    let yaml = format!(
        "{CONNECTIONS}    headers: {{ X-Extra: \"{{{{ secret.extra }}}}\" }}\n{}",
        r#"streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts, params: { k: "{{ secret.param_key }}" } }
    records: "$.data[*]"
    primary_key: id
"#
    );
    let spec = parse_str(&yaml, Path::new("holdfast.yaml"), &env()).expect("not loaded: accepted");
    let names: Vec<&str> = spec.secrets.iter().map(String::as_str).collect();
    assert_eq!(names, ["extra", "param_key"]);
    let loaded = env().with_secrets(BTreeMap::from([
        ("extra".to_owned(), "v1".to_owned()),
        ("param_key".to_owned(), "v2".to_owned()),
    ]));
    parse_str(&yaml, Path::new("holdfast.yaml"), &loaded).expect("loaded and set");
    let partial = env().with_secrets(BTreeMap::from([("extra".to_owned(), "v1".to_owned())]));
    let e = parse_str(&yaml, Path::new("holdfast.yaml"), &partial).expect_err("one unset");
    assert!(
        e.to_string().contains("secret `param_key` is not set"),
        "{e}"
    );
}

/// The template sandbox is closed: functions, unknown filters and tests,
/// blocks other than `if`, and `env`/`secret` read whole are refused with
/// what is allowed and a did-you-mean.
#[test]
fn issue_13_closed_template_sandbox() {
    insta::assert_snapshot!(errors(
        r#"connections:
  crm:
    base_url: "{{ env.CRM_URL }}"
    headers:
      X-Debug: "{{ debug() }}"
      X-Env: "{{ env }}"
      X-Keys: "{{ env | join(',') }}"
      X-Item: "{{ env[cursor] }}"
      X-Lower: "{{ env.CRM_URL | lowr }}"
      X-Loop: "{% for i in range(3) %}{{ i }}{% endfor %}"
      X-Set: "{% set t = env.CRM_TOKEN %}{{ t }}"
      X-Ns: "{{ namespace(a=1) }}"
      X-Method: "{{ env.CRM_URL.upper() }}"
      X-Call: "{{ lower(env.CRM_URL) }}"
      X-Include: "{% include 'x' %}"
streams:
  contacts:
    connection: crm
    request:
      path: /v2/contacts
      params: { since: "{{ cursor | pprint }}", ok: "{{ cursor | default('') | trim }}" }
    paginate: { type: cursor, next: "$.next", param: c, stop_when: "records is lenght(0)" }
    records: "$.data[*]"
    primary_key: id
"#
    ));
}
