//! The rendered errors users see, one snapshot per kind of mistake.

use std::collections::BTreeMap;
use std::path::Path;

use holdfast_spec::{Env, parse_str};

fn env() -> Env {
    Env::from_map(BTreeMap::from([
        (
            "CRM_URL".to_owned(),
            "https://crm.from-env.invalid".to_owned(),
        ),
        ("CRM_TOKEN".to_owned(), "do-not-print-me".to_owned()),
    ]))
}

/// The rendered errors for `yaml`; panics if it is valid.
fn errors(yaml: &str) -> String {
    match parse_str(yaml, Path::new("holdfast.yaml"), &env()) {
        Ok(spec) => panic!("expected errors, got {spec:#?}"),
        Err(e) => {
            let text = e.to_string();
            assert!(
                !text.contains("do-not-print-me"),
                "a secret leaked:\n{text}"
            );
            assert!(
                !text.contains("from-env.invalid"),
                "an env value leaked:\n{text}"
            );
            text
        }
    }
}

const CONNECTIONS: &str = r#"connections:
  crm:
    base_url: "{{ env.CRM_URL }}"
    auth: { type: bearer, token: "{{ env.CRM_TOKEN }}" }
"#;

fn with_streams(streams: &str) -> String {
    format!("{CONNECTIONS}streams:\n{streams}")
}

#[test]
fn typo_in_key() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    recrds: "$.data[*]"
    primary_key: id
"#
    )));
}

#[test]
fn typo_in_type_tag() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    paginate: { type: cursr, next: "$.next", param: cursor }
    records: "$.data[*]"
    primary_key: id
"#
    )));
}

#[test]
fn wrong_type() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: /v2/contacts
    records: "$.data[*]"
    primary_key: id
"#
    )));
}

#[test]
fn not_a_number() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    paginate: { type: offset, limit: lots }
    records: "$.data[*]"
    primary_key: id
"#
    )));
}

#[test]
fn yaml_syntax_error() {
    insta::assert_snapshot!(errors(
        "connections:\n  crm:\n    base_url: https://x\n   headers: {}\n"
    ));
}

#[test]
fn unknown_connection() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  deals:
    connection: crm2
    request: { path: /v2/deals }
    records: "$.data[*]"
    primary_key: id
"#
    )));
}

#[test]
fn bad_jsonpath() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*"
    primary_key: id
"#
    )));
}

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

#[test]
fn bad_duration() {
    insta::assert_snapshot!(errors(
        r#"connections:
  crm:
    base_url: https://crm.example.com
    timeout: 30
"#
    ));
}

#[test]
fn bad_table_name() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    into: _holdfast_jobs
  deal-items:
    connection: crm
    request: { path: /v2/items }
    records: "$.data[*]"
    primary_key: id
"#
    )));
}

#[test]
fn for_each_cycle() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    for_each: { stream: deals, as: deal }
    request: { path: "/v2/deals/{{ deal.id }}/contacts" }
    records: "$.data[*]"
    primary_key: id
  deals:
    connection: crm
    for_each: { stream: contacts, as: contact }
    request: { path: "/v2/contacts/{{ contact.id }}/deals" }
    records: "$.data[*]"
    primary_key: id
"#
    )));
}

#[test]
fn session_login_must_be_a_list() {
    insta::assert_snapshot!(errors(
        r#"connections:
  crm:
    base_url: https://crm.example.com
    auth:
      type: session
      login: /login
"#
    ));
}

#[test]
fn oauth2_unknown_grant() {
    insta::assert_snapshot!(errors(
        r#"connections:
  crm:
    base_url: https://crm.example.com
    auth:
      type: oauth2
      grant: client_credential
      token_url: /oauth/token
      client_id: "{{ secret.crm_client_id }}"
      client_secret: "{{ secret.crm_client_secret }}"
"#
    ));
}

#[test]
fn oauth2_missing_keys() {
    insta::assert_snapshot!(errors(
        r#"connections:
  crm:
    base_url: https://crm.example.com
    auth:
      type: oauth2
      grant: refresh_token
      token_url: /oauth/token
      client_id: "{{ secret.crm_client_id }}"
      client_auth: bdy
"#
    ));
}

#[test]
fn several_errors_sorted_by_line() {
    insta::assert_snapshot!(errors(
        r#"store: "sqlite://{{ env.DATA_DIR }}/holdfast.db"
connections:
  crm:
    base_url: crm.example.com
    timeout: 30 seconds please
streams:
  deals:
    connection: crm
    for_each: { stream: contact, as: contact }
    request:
      method: PUT
      path: "/v2/contacts/{{ contact.id }}/deals"
    paginate: { type: page, size_param: per_page, max_pages: 0 }
    records: "data"
    primary_key: []
    incremental: { lookback: 5m }
    into: deals
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: [id, id]
    into: deals
"#
    ));
}

#[test]
fn typo_in_tagged_key() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    paginate:
      type: cursor
      nxt: "$.next"
      param: cursor
    records: "$.data[*]"
    primary_key: id
"#
    )));
}

#[test]
fn paginate_end_signal_mistakes() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    paginate:
      type: cursor
      next: "$.meta.next"
      param: cursor
      expect_more: has_more
      expect_total: "$.meta["
    records: "$.data[*]"
    primary_key: id
"#
    )));
}

#[test]
fn resilience_mistakes() {
    insta::assert_snapshot!(errors(
        r#"connections:
  crm:
    base_url: https://crm.example.com
    timeout: 10s
    connect_timeout: 30s
    rate_limit: { requests: 10, per: 0s }
    retry: { attemps: 8, initial: 2m }
    breaker: of
    errors:
      - when: "{{ status == 200 and body.success == false }}"
        action: retry
      - when: "stauts == 429"
        action: wait
    max_concurrency: 0
    concurrency: adaptve
"#
    ));
}

#[test]
fn a_typo_and_other_mistakes_are_reported_together() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm2
    request: { path: /v2/contacts }
    paginate: { type: cursor, next: "$.meta[", param: cursor }
    records: "$.data[*]"
    primry_key: id
  deals:
    connection: crm
    request: /v2/deals
    records: "$.data[*]"
    primary_key: id
    primary_key: [id]
"#
    )));
}

#[test]
fn map_mistakes() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    map:
      id: "$.id"
      _email: { from: "$.email", transform: lowercase }
      amount: { from: "$.amount", type: decimel, thousands: "," }
      cents: { from: "$.amount", type: integer, point: "," }
      created: { from: "$.created", type: timestamp, formats: ["%d/%m/%Y", rfc339] }
      price: { from: "$.price", type: decimal, thousands: "." }
      status: { map: { 1: active } }
      full_name: { expr: "recrd.first ~ ' ' ~ record.last" }
      Full_Name: created
"#
    )));
}

#[test]
fn schema_mistakes() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    schema: schemas/missing.json
    on_invalid: quarantien
    contract: frozen
  deals:
    connection: crm
    request: { path: /v2/deals }
    records: "$.data[*]"
    primary_key: id
    schema:
      type: object
      properties:
        amount: { type: number, minimum: lots }
  owners:
    connection: crm
    request: { path: /v2/owners }
    records: "$.data[*]"
    primary_key: id
    schema: { $ref: "https://schemas.example.com/owner.json" }
"#
    )));
}

#[test]
fn map_typos_are_reported_once() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    schema: [contact.json]
    map:
      phone: { frm: "$.phone" }
      vip: { from: "$.vip", required: yes }
      tags: 42
      email: { from: "$.email", transform: { lower: true } }
"#
    )));
}

#[test]
fn webhook_and_action_mistakes() {
    let yaml = format!(
        "{}{}",
        with_streams(
            r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
"#
        ),
        r#"webhooks:
  crm_events:
    path: hooks/crm
    verify: { scheme: standard_webhook, secret: "{{ env.NOPE }}", header: X-Sig }
    version: "data.updated_at"
    route:
      - when: "{{ body.type == 'x' }}"
        stream: contacs
  generic:
    path: /api/hooks
    verify: { scheme: hmac_sha256, secret: s, encoding: hexx }
    route: []
actions:
  create_note:
    connection: crn
    request: { method: GET, path: /v2/notes, json: { text: "{{ inptu.text }}" } }
    max_attempts: 0
"#
    );
    insta::assert_snapshot!(errors(&yaml));
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

/// Issue 14: names a store keeps for itself, and names longer than
/// PostgreSQL keeps, fail at `check`, not at the first sync.
#[test]
fn reserved_and_long_table_names() {
    let long = "a".repeat(5_000_000);
    let text = errors(&with_streams(&format!(
        r#"  contacts:
    connection: crm
    request: {{ path: /v2/contacts }}
    records: "$.data[*]"
    primary_key: id
    into: sqlite_master
  deals:
    connection: crm
    request: {{ path: /v2/deals }}
    records: "$.data[*]"
    primary_key: id
    into: pg_class
  notes:
    connection: crm
    request: {{ path: /v2/notes }}
    records: "$.data[*]"
    primary_key: id
    into: {long}
  companies:
    connection: crm
    request: {{ path: /v2/companies }}
    records: "$.data[*]"
    primary_key: id
    into: Sqlite_Sequence
"#
    )));
    assert!(
        text.len() < 4000,
        "a huge name is not repeated: {} bytes",
        text.len()
    );
    insta::assert_snapshot!(text);
}

/// A stream without `into:` writes the table named like the stream: the
/// same rules apply to the stream's name (and a huge one is not repeated).
#[test]
fn long_stream_name_as_table_name() {
    let huge = "s".repeat(5_000_000);
    let text = errors(&with_streams(&format!(
        "  {huge}:\n    connection: crm\n    request: {{ path: /x }}\n    records: \"$.data[*]\"\n    primary_key: id\n"
    )));
    assert!(text.len() < 2000, "{} bytes", text.len());
    let name = "s".repeat(64);
    insta::assert_snapshot!(errors(&with_streams(&format!(
        r#"  {name}:
    connection: crm
    request: {{ path: /v2/contacts }}
    records: "$.data[*]"
    primary_key: id
"#
    ))));
}

/// Issue 14: an unclosed `{` on line 8 is reported on line 8, where it
/// opens, not on line 9 where the parser gave up.
#[test]
fn unclosed_flow_mapping_is_reported_where_it_opens() {
    let text = with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts
    records: "$.data[*]"
    primary_key: id
"#,
    );
    assert_eq!(
        text.lines().nth(7),
        Some("    request: { path: /v2/contacts")
    );
    let rendered = errors(&text);
    assert!(rendered.contains("holdfast.yaml:8:14"), "{rendered}");
    insta::assert_snapshot!(rendered);
}

/// An unclosed `[` and an unclosed quote, likewise.
#[test]
fn unclosed_list_and_quote() {
    let list = errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: [id, email
    into: people
"#,
    ));
    let quote = errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: "/v2/contacts }
    records: x
    primary_key: id
"#,
    ));
    insta::assert_snapshot!(format!("{list}\n---\n{quote}"));
}

/// Issue 14: a tab in the indentation is named as a tab.
#[test]
fn tab_in_indentation() {
    let text = "connections:\n  crm:\n    base_url: \"https://crm.example.com\"\nstreams:\n  contacts:\n\tconnection: crm\n";
    let rendered = errors(text);
    assert!(
        rendered.contains("line 6 is indented with a tab"),
        "{rendered}"
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn cursor_format_and_parse_mistakes() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    incremental: { cursor_field: updated_at, lookback: 5m, cursor_format: "%H:%M" }
    map:
      details: { from: "$.details", parse: jsn }
  deals:
    connection: crm
    request: { path: /v2/deals }
    records: "$.data[*]"
    primary_key: id
    incremental: { cursor_field: changed, cursor_format: epoch_milis }
  notes:
    connection: crm
    request: { path: /v2/notes }
    records: "$.data[*]"
    primary_key: id
    incremental: { cursor_field: changed, cursor_format: "%Y-%m-%d %Q" }
"#
    )));
}
