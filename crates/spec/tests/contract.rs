//! `tests:`: what `holdfast test` expects of a stream's replayed cassette —
//! the checked form, and located errors with a fix.

use std::path::Path;

use holdfast_spec::{Env, StreamTest, parse_str};
use serde_json::json;

fn parse(tests: &str) -> Result<Vec<StreamTest>, String> {
    let file = format!(
        r#"connections:
  crm:
    base_url: https://crm.example.com
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts }}
    records: "$.data[*]"
    primary_key: id
tests:
{tests}
"#
    );
    parse_str(
        &file,
        Path::new("holdfast.yaml"),
        &Env::from_map(Default::default()),
    )
    .map(|spec| spec.tests)
    .map_err(|e| e.to_string())
}

#[test]
fn counts_ranges_and_records_check() {
    let tests = parse(
        "  contacts:\n    cassette: fixtures/contacts.har\n    records: { min: 100 }\n    quarantined: 2\n    expect:\n      - { key: [17], fields: { email: a@b.c, /name/first: Ada } }\n",
    )
    .expect("checks");
    assert_eq!(tests.len(), 1);
    let t = &tests[0];
    assert_eq!(t.cassette.as_deref(), Some("fixtures/contacts.har"));
    assert_eq!(t.records, Some((Some(100), None)));
    assert_eq!(t.quarantined, 2);
    assert_eq!(t.expect[0].key, vec![json!(17)]);
    assert_eq!(t.expect[0].fields["/name/first"], json!("Ada"));
    let exact = parse("  contacts: { records: 120 }\n").expect("checks");
    assert_eq!(
        (exact[0].records, exact[0].quarantined),
        (Some((Some(120), Some(120))), 0)
    );
}

#[test]
fn mistakes_are_located_with_a_fix() {
    let cases = [
        (
            "  contcts: { records: 1 }\n",
            "`tests:` names `contcts`, which is not a stream of this file",
        ),
        (
            "  contacts: { records: { min: 5, max: 2 } }\n",
            "`min` (5) is above `max` (2)",
        ),
        (
            "  contacts: { records: lots }\n",
            "expected a number or a range, found `lots`",
        ),
        (
            "  contacts: { records: { least: 2 } }\n",
            "unknown key `least` in a records range",
        ),
        (
            "  contacts: { expect: [ { fields: { a: 1 } } ] }\n",
            "tests.contacts.expect[0]",
        ),
        (
            "  contacts: { expect: [ { key: 1, fields: [1] } ] }\n",
            "expected a mapping of field names",
        ),
        (
            "  contacts: { quarantined: -1 }\n",
            "expected a whole number",
        ),
    ];
    for (yaml, needle) in cases {
        let e = parse(yaml).expect_err(yaml);
        assert!(e.contains(needle), "{yaml}: lacks {needle:?}:\n{e}");
        assert!(e.contains("holdfast.yaml:"), "located: {e}");
    }
}
