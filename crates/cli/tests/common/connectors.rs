//! Connector files over the mock, for tests that differ only in a few lines.

/// A connector file with one connection `crm` at `base_url` and one stream
/// `contacts` with the given request/paginate lines (YAML flow mappings).
pub fn contacts_connector(base_url: &str, request: &str, paginate: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
streams:
  contacts:
    connection: crm
    request: {request}
    paginate: {paginate}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

/// A connector with one stream `contacts` over the mock's cursor listing
/// (`limit` records a page), full refresh every run, and `extra` appended
/// to the stream (indented by four spaces already).
pub fn cursor_connector(base_url: &str, limit: u64, extra: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
streams:
  contacts:
    connection: crm
    request: {{ path: /cursor/contacts, params: {{ limit: {limit} }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
{extra}"#
    )
}
