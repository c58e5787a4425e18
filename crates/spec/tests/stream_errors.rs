//! The rendered errors of mistakes in streams: paths, tables, pagination,
//! `map:`, schemas and cursors.

mod common;

use common::{errors, with_streams};

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

#[test]
fn format_mistakes() {
    insta::assert_snapshot!(errors(&with_streams(
        r#"  contacts:
    connection: crm
    request: { path: /v2/contacts.csv }
    format: { type: csv, delimiter: ";;", columns: [id, email] }
    primary_key: id
  orders:
    connection: crm
    request: { path: /v2/orders }
    format: { type: xml, records: "$.Envelope.Body", delimiter: "," }
    primary_key: id
  events:
    connection: crm
    request: { path: /v2/events }
    format: jsonlines
    primary_key: id
  customers:
    connection: crm
    request: { path: /soap }
    format: { type: xml, recrods: Envelope/Body/Customer }
    records: "$.Envelope"
    primary_key: id
"#
    )));
}
