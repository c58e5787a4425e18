//! The rendered errors users see, one snapshot per kind of mistake: the
//! file's syntax and keys, connections, webhooks and actions.

mod common;

use common::{errors, with_streams};

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
