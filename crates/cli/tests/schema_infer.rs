//! `holdfast schema infer`: samples the live API and writes a starting JSON
//! Schema next to the connector file — types, `required` only for fields in
//! every sampled record, `null` for nullable ones, formats where every sample
//! fits — that the same API's records then pass; it never overwrites a file
//! without `--force`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{
    Sandbox, count, cursor_connector, mock_records, quarantine_entries, requests_to, runs,
};
use holdfast_mock::MockConfig;
use serde_json::{Value, json};

/// What the sampled records say about one top-level field, computed here.
#[derive(Debug, Default)]
struct Seen {
    types: BTreeSet<&'static str>,
    nullable: bool,
    present: usize,
}

fn json_type(v: &Value) -> Option<&'static str> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    })
}

fn survey(records: &[Value]) -> BTreeMap<String, Seen> {
    let mut fields: BTreeMap<String, Seen> = BTreeMap::new();
    for r in records {
        for (key, value) in r.as_object().expect("a record is an object") {
            let seen = fields.entry(key.clone()).or_default();
            seen.present += 1;
            match json_type(value) {
                Some(t) => {
                    seen.types.insert(t);
                }
                None => seen.nullable = true,
            }
        }
    }
    fields
}

/// A schema's `type` as a set of names.
fn types_of(schema: &Value) -> BTreeSet<String> {
    match &schema["type"] {
        Value::String(s) => BTreeSet::from([s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|t| t.as_str().expect("type name").to_owned())
            .collect(),
        other => panic!("no type: {other} in {schema}"),
    }
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("string").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts that the top level of `schema` matches what `records` show.
#[track_caller]
fn assert_fits(schema: &Value, records: &[Value]) {
    let fields = survey(records);
    let properties = schema["properties"].as_object().expect("properties");
    assert_eq!(
        properties.keys().cloned().collect::<BTreeSet<_>>(),
        fields.keys().cloned().collect::<BTreeSet<_>>(),
        "a property per field seen"
    );
    let required: BTreeSet<String> = fields
        .iter()
        .filter(|(_, s)| s.present == records.len())
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(
        strings(&schema["required"]),
        required,
        "required = present in every sampled record"
    );
    for (key, seen) in &fields {
        let mut want: BTreeSet<String> = seen.types.iter().map(|t| t.to_string()).collect();
        if seen.nullable {
            want.insert("null".into());
        }
        assert_eq!(types_of(&properties[key]), want, "type of {key}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn inferred_schema_fits_the_api_and_is_not_overwritten() {
    let mock = common::start_mock(300).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 50, ""));

    let out = sandbox
        .run(&["schema", "infer", "contacts", "--pages", "2"])
        .await;
    out.expect_code(0);
    assert_eq!(
        requests_to(&mock, "/cursor/contacts"),
        2,
        "two pages sampled"
    );
    assert!(out.stdout.contains("from 100 records in 2 pages"), "{out}");
    let path = sandbox.path().join("schemas/contacts.json");
    let text = std::fs::read_to_string(&path).expect("schemas/contacts.json next to the connector");
    let schema: Value = serde_json::from_str(&text).expect("JSON");

    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["type"], "object");
    let sampled: Vec<Value> = mock_records(&mock.url()).await[..100].to_vec();
    assert_fits(&schema, &sampled);
    let p = &schema["properties"];
    // Every field is in every good contact; nullability shows as "null".
    assert_eq!(strings(&schema["required"]).len(), 12);
    assert_eq!(
        types_of(&p["company"]),
        BTreeSet::from(["string".into(), "null".into()])
    );
    assert_eq!(types_of(&p["id"]), BTreeSet::from(["integer".into()]));
    assert_eq!(types_of(&p["tags"]), BTreeSet::from(["array".into()]));
    assert_eq!(p["tags"]["items"]["type"], "string");
    // Formats only where every sample fits one.
    assert_eq!(p["updated_at"]["format"], "date-time");
    assert_eq!(p["email"]["format"], "email");
    assert_eq!(p["properties"]["properties"]["email"]["format"], "email");
    for plain in ["created", "balance", "status"] {
        assert!(p[plain].get("format").is_none(), "{plain}: {}", p[plain]);
    }
    // Nested objects too.
    assert_eq!(
        strings(&p["name"]["required"]),
        BTreeSet::from(["first".into(), "last".into()])
    );
    assert_eq!(
        types_of(&p["properties"]["properties"]["phone"]),
        BTreeSet::from(["string".into(), "null".into()])
    );
    assert_eq!(p["amount"]["type"], "object");

    // Used as the stream's schema, the same API passes it: nothing quarantined.
    sandbox.write_config(&cursor_connector(
        &mock.url(),
        50,
        "    schema: schemas/contacts.json\n",
    ));
    let sync = sandbox.run(&["sync"]).await;
    sync.expect_code(0);
    let pool = sandbox.pool().await;
    let run = &runs(&pool).await[0];
    assert_eq!((run.created, run.quarantined), (300, 0), "{sync}");
    assert_eq!(count(&pool, "contacts").await, 300);
    assert!(quarantine_entries(&pool).await.is_empty());

    // Not overwritten without --force: a hand edit survives.
    let mut edited = schema.clone();
    edited["description"] = json!("edited by hand");
    let edited_text = serde_json::to_string_pretty(&edited).expect("json");
    std::fs::write(&path, &edited_text).expect("edit");
    let refused = sandbox
        .run(&["schema", "infer", "contacts", "--pages", "2"])
        .await;
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("exists") && refused.stderr.contains("--force"),
        "{refused}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), edited_text);

    let forced = sandbox
        .run(&["schema", "infer", "contacts", "--pages", "2", "--force"])
        .await;
    forced.expect_code(0);
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    assert_eq!(again, schema, "--force writes a fresh inference");
}

#[tokio::test(flavor = "multi_thread")]
async fn fields_missing_from_some_records_are_not_required() {
    // Every 10th contact is broken: no id, `e_mail` for `email`, null email,
    // a string version.
    let mock = common::start_mock_with(MockConfig {
        records: 200,
        bad_every: 10,
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 50, ""));
    let out = sandbox
        .run(&[
            "schema",
            "infer",
            "contacts",
            "--pages",
            "2",
            "--out",
            "sampled.json",
        ])
        .await;
    out.expect_code(0);
    assert!(
        !sandbox.path().join("schemas/contacts.json").exists(),
        "--out writes elsewhere"
    );
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(sandbox.path().join("sampled.json")).expect("--out file"),
    )
    .expect("JSON");
    let sampled: Vec<Value> = mock_records(&mock.url()).await[..100].to_vec();
    assert_fits(&schema, &sampled);
    let required = strings(&schema["required"]);
    for optional in ["id", "email", "e_mail"] {
        assert!(!required.contains(optional), "{optional} in {required:?}");
    }
    let p = &schema["properties"];
    assert_eq!(
        types_of(&p["email"]),
        BTreeSet::from(["string".into(), "null".into()])
    );
    assert_eq!(
        types_of(&p["version"]),
        BTreeSet::from(["string".into(), "integer".into()])
    );
    assert_eq!(
        p["created"].get("format"),
        None,
        "dd/mm/yyyy is no JSON Schema format"
    );
}
