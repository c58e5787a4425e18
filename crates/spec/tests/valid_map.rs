//! `schema:`, `on_invalid:`, `contract:` and every `map:` setting become
//! the expected `Stream` fields.

use holdfast_spec::{
    Contract, Env, FieldKind, FieldMap, FieldSource, OnInvalid, Spec, Template, Transform,
};
use serde_json::json;

/// A contact as `schemas/contact.json` describes it.
const CONTACT_SCHEMA: &str =
    r#"{ "type": "object", "required": ["id"], "properties": { "id": { "type": "string" } } }"#;

/// Writes `yaml` as `holdfast.yaml` in a temp dir, with `schemas/contact.json`
/// beside it, and loads it from there (the dir lives as long as the result).
fn load_in_dir(yaml: &str) -> (tempfile::TempDir, Spec) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("schemas")).expect("schemas dir");
    std::fs::write(dir.path().join("schemas/contact.json"), CONTACT_SCHEMA).expect("schema");
    let origin = dir.path().join("holdfast.yaml");
    std::fs::write(&origin, yaml).expect("connector file");
    let spec = holdfast_spec::load(&origin, &Env::default()).unwrap_or_else(|e| panic!("{e}"));
    (dir, spec)
}

/// Every `map:` setting, an inline schema, `on_invalid` and `contract`.
const MAPPED: &str = r#"
connections:
  crm: { base_url: "https://crm.example.com" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    schema: schemas/contact.json
    on_invalid: fail
    contract: freeze
    map:
      ext_id: "$.external.id"
      email: { from: "$.properties.email", transform: lower }
      name: { from: "$.name", transform: [trim, upper], type: string }
      cents: { from: "$.amount", transform: "value * 100", type: integer }
      amount: { from: "$.amount.value", type: decimal, thousands: "," }
      amount_eu: { from: "$.amount.eu", type: decimal, thousands: ".", point: "," }
      created: { from: "$.created", type: timestamp, formats: ["%d/%m/%Y", rfc3339, epoch_seconds, epoch_millis] }
      seen: { from: "$.seen", type: timestamp }
      birthday: { from: "$.dob", type: date, formats: ["%d.%m.%Y"] }
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
    schema:
      type: object
      required: [id]
      properties:
        id: { type: integer, minimum: 1 }
        stage: { enum: [open, won, lost] }
      $defs:
        money: { type: string, pattern: "^[0-9]+[.][0-9]{2}$" }
    map:
      stage: { from: "$.stage", map: { "1": open, "2": won } }
"#;

fn path(source: &str) -> FieldSource {
    FieldSource::Path(holdfast_spec::Path::parse(source).unwrap_or_else(|e| panic!("{e}")))
}

fn column(name: &str, source: FieldSource, kind: FieldKind) -> FieldMap {
    FieldMap {
        column: name.to_owned(),
        source,
        kind,
        transform: vec![],
        values: None,
        default: None,
        required: false,
    }
}

#[test]
fn schema_and_map_parse() {
    let (dir, spec) = load_in_dir(MAPPED);
    let contacts = spec.stream("contacts").expect("contacts");
    let schema = contacts.schema.as_ref().expect("schema");
    assert_eq!(
        (schema.origin.as_str(), schema.path.clone()),
        (
            "schemas/contact.json",
            Some(dir.path().join("schemas/contact.json"))
        )
    );
    assert_eq!(
        schema.document,
        serde_json::from_str::<serde_json::Value>(CONTACT_SCHEMA).expect("json")
    );
    assert_eq!(contacts.on_invalid, OnInvalid::Fail);
    assert_eq!(contacts.contract, Contract::Freeze);
    let timestamp = |formats: &[&str]| FieldKind::Timestamp {
        formats: formats.iter().map(|f| (*f).to_owned()).collect(),
    };
    let expected = [
        column("ext_id", path("$.external.id"), FieldKind::Any),
        FieldMap {
            transform: vec![Transform::Lower],
            ..column("email", path("$.properties.email"), FieldKind::Any)
        },
        FieldMap {
            transform: vec![Transform::Trim, Transform::Upper],
            ..column("name", path("$.name"), FieldKind::String)
        },
        FieldMap {
            transform: vec![Transform::Expr(Template::new("value * 100"))],
            ..column("cents", path("$.amount"), FieldKind::Integer)
        },
        column(
            "amount",
            path("$.amount.value"),
            FieldKind::Decimal {
                thousands: Some(','),
                point: '.',
            },
        ),
        column(
            "amount_eu",
            path("$.amount.eu"),
            FieldKind::Decimal {
                thousands: Some('.'),
                point: ',',
            },
        ),
        column(
            "created",
            path("$.created"),
            timestamp(&["%d/%m/%Y", "rfc3339", "epoch_seconds", "epoch_millis"]),
        ),
        column("seen", path("$.seen"), timestamp(&[])),
        column(
            "birthday",
            path("$.dob"),
            FieldKind::Date {
                formats: vec!["%d.%m.%Y".to_owned()],
            },
        ),
        FieldMap {
            values: Some(vec![
                ("A".to_owned(), json!("active")),
                ("I".to_owned(), json!("inactive")),
            ]),
            default: Some(json!("unknown")),
            ..column("status", path("$.status"), FieldKind::Any)
        },
        FieldMap {
            required: true,
            ..column("vip", path("$.tags"), FieldKind::Boolean)
        },
        FieldMap {
            default: Some(json!({"value": 0, "source": "none"})),
            ..column("score", path("$.score"), FieldKind::Any)
        },
        column(
            "full_name",
            FieldSource::Expr(Template::new("record.name.first ~ ' ' ~ record.name.last")),
            FieldKind::Any,
        ),
        column("raw", path("$"), FieldKind::Any),
    ];
    assert_eq!(contacts.map, expected);

    let deals = spec.stream("deals").expect("deals");
    let schema = deals.schema.as_ref().expect("inline schema");
    assert_eq!(
        (schema.origin.as_str(), schema.path.as_ref()),
        ("inline", None)
    );
    assert_eq!(
        schema.document,
        json!({
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": { "type": "integer", "minimum": 1 },
                "stage": { "enum": ["open", "won", "lost"] }
            },
            "$defs": { "money": { "type": "string", "pattern": "^[0-9]+[.][0-9]{2}$" } }
        })
    );
    assert_eq!(
        deals.map[0].values,
        Some(vec![
            ("1".to_owned(), json!("open")),
            ("2".to_owned(), json!("won"))
        ])
    );
    assert_eq!(
        (deals.on_invalid, deals.contract),
        (OnInvalid::Quarantine, Contract::Evolve)
    );
}
