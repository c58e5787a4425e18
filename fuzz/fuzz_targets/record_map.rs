//! What happens to each record an upstream sends: `map:` (every transform
//! and type, with its parsers for decimals, timestamps and dates), primary
//! keys, incremental cursors (comparison and lookback) and the shape drift
//! detection observes.
//!
//! Input, as text: the first line is a cursor lookback in seconds (not a
//! number: 300), the rest a JSON body whose `$.data[*]` (or, if that selects
//! nothing, the body itself) are the records.
#![no_main]

use std::path::Path as FilePath;
use std::sync::OnceLock;
use std::time::Duration;

use holdfast_records::{
    Mapper, Shape, cursor_max, cursor_minus, infer_schema, primary_key, select_records,
};
use holdfast_spec::{CursorFormat, Env, Path, Spec, parse_str};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Every `map:` setting (as in crates/spec/tests/valid_map.rs), inline schema.
const SPEC: &str = r#"
connections:
  crm: { base_url: "https://crm.example.com" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    incremental: { cursor_field: updated_at, lookback: 5m }
    map:
      ext_id: "$.external.id"
      email: { from: "$.properties.email", transform: lower }
      name: { from: "$.name", transform: [trim, upper], type: string }
      cents: { from: "$.amount", transform: "value * 100", type: integer }
      amount: { from: "$.amount.value", type: decimal, thousands: "," }
      amount_eu: { from: "$.amount.eu", type: decimal, thousands: ".", point: "," }
      created: { from: "$.created", type: timestamp, formats: ["%d/%m/%Y", rfc3339, epoch_seconds, epoch_millis] }
      seen: { from: "$.seen", type: timestamp }
      local: { from: "$.local", type: timestamp, formats: ["%Y-%m-%d %H:%M:%S", "%s"] }
      birthday: { from: "$.dob", type: date, formats: ["%d.%m.%Y"] }
      day: { from: "$.day", type: date }
      status: { from: "$.status", map: { A: active, I: inactive }, default: unknown }
      vip: { from: "$.tags", type: boolean, required: true }
      score: { from: "$.score", default: { value: 0, source: none } }
      full_name: { expr: "record.name.first ~ ' ' ~ record.name.last" }
      raw: { from: "$", type: any }
  deals:
    connection: crm
    request: { path: /v2/deals }
    records: "$.data[*]"
    primary_key: [account_id, id]
    map:
      stage: { from: "$.stage", map: { "1": open, "2": won } }
      cents: { from: "$.cents", type: integer }
      when: { from: "$.when", type: timestamp, formats: [epoch_millis] }
"#;

struct Fixture {
    spec: Spec,
    mappers: Vec<Mapper>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let spec = parse_str(SPEC, FilePath::new("fuzz.yaml"), &Env::default())
            .unwrap_or_else(|e| panic!("the fixture spec is valid: {e}"));
        let mappers = spec
            .streams
            .iter()
            .map(|s| Mapper::new(&s.map).unwrap_or_else(|e| panic!("mapper: {e}")))
            .collect();
        Fixture { spec, mappers }
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (first, body_text) = text.split_once('\n').unwrap_or(("", &text));
    let Ok(body) = serde_json::from_str::<Value>(body_text) else {
        return;
    };
    let lookback = Duration::from_secs(first.trim().parse().unwrap_or(300));
    let f = fixture();
    let data_path = Path::parse("$.data[*]").expect("path");
    let mut records = select_records(body.clone(), &data_path);
    if records.is_empty() {
        records.push(body);
    }
    let mut shape = Shape::default();
    let mut cursor: Option<Value> = None;
    for record in &records {
        for (stream, mapper) in f.spec.streams.iter().zip(&f.mappers) {
            match mapper.apply(record) {
                Ok(values) => assert_eq!(values.len(), mapper.columns().len()),
                Err(violations) => assert!(!violations.is_empty()),
            }
            let _ = mapper.trace(record);
            let _ = primary_key(record, &stream.primary_key);
        }
        if let Some(candidate) = record.get("updated_at") {
            cursor = cursor_max(&CursorFormat::Auto, cursor.as_ref(), candidate);
        }
        shape.observe(record);
    }
    if let Some(c) = &cursor {
        let _ = cursor_minus(&CursorFormat::Auto, c, lookback);
    }
    let mut known = Shape::default();
    if let Some(first) = records.first() {
        known.observe(first);
    }
    for drift in shape.drift_from(&known) {
        let _ = drift.to_string();
    }
    let _ = infer_schema(&shape, "fuzz");
    let mut merged = known.clone();
    merged.merge(&shape);
    assert_eq!(merged.records, known.records + shape.records);
});
