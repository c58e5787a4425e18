//! Streams read by a custom source (`source:`): what they take, what they
//! refuse, and the file order they keep among declarative streams.

use std::path::Path;

use holdfast_spec::{Env, parse_str};

const FILE: &str = r#"connections:
  crm: { base_url: "http://127.0.0.1:9" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    schedule: { every: 1h }
  contact_tags:
    source: legacy_erp
    schedule: { every: 15m, jitter: 1m }
  deals:
    connection: crm
    request: { path: /v2/deals }
    records: "$.data[*]"
    primary_key: id
  tag_details:
    connection: crm
    for_each: { stream: contact_tags, as: tag }
    request: { path: "/v2/tags/{{ tag.tag }}" }
    records: "$.data[*]"
    primary_key: id
webhooks:
  erp:
    path: /hooks/erp
    verify: { scheme: hmac_sha256, secret: "s3cret", header: X-Sig }
    event_id: "$.id"
    route:
      - { stream: contact_tags, record: "$.contact" }
alerts:
  - { rule: no_records, stream: contact_tags, for: 1h }
"#;

#[test]
fn a_custom_stream_keeps_its_place_schedule_and_location() {
    let spec = parse_str(FILE, Path::new("holdfast.yaml"), &Env::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.streams.len(), 3, "declarative streams only");
    let tags = spec.custom_stream("contact_tags").expect("custom stream");
    assert_eq!(tags.source, "legacy_erp");
    assert_eq!(tags.position, 1);
    assert_eq!(tags.at, Some((11, 13)), "where `source:`'s value is");
    assert_eq!(
        spec.stream_names(),
        ["contacts", "contact_tags", "deals", "tag_details"]
    );
    let scheduled: Vec<String> = spec
        .schedules()
        .into_iter()
        .map(|(name, s)| format!("{name}: {s}"))
        .collect();
    assert_eq!(
        scheduled,
        ["contacts: every 1h", "contact_tags: every 15m (jitter 1m)"]
    );
    assert_eq!(spec.webhooks[0].route[0].stream, "contact_tags");
    let problem = holdfast_spec::SpecErrors::new(
        &spec.origin,
        vec![tags.problem("no custom source `legacy_erp`", "build one")],
    );
    assert_eq!(
        problem.to_string(),
        "error: no custom source `legacy_erp`\n  --> holdfast.yaml:11:13 \
         (streams.contact_tags.source)\n   = help: build one\n\n\
         error: holdfast.yaml has 1 problem; nothing was run"
    );
}

#[test]
fn a_custom_stream_refuses_the_keys_of_a_declarative_one() {
    let yaml = r#"connections:
  crm: { base_url: "http://127.0.0.1:9" }
streams:
  contact_tags:
    source: legacy_erp
    connection: crm
    request: { path: /v2/tags }
    records: "$.data[*]"
    primary_key: [contact_id, tag]
    map: { tag: "$.tag" }
  empty_source:
    source: ""
"#;
    let errors = parse_str(yaml, Path::new("holdfast.yaml"), &Env::default())
        .expect_err("refused")
        .to_string();
    insta::assert_snapshot!(errors);
}
