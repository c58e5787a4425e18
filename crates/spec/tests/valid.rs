//! A complete, valid connector file becomes the expected `Spec`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use holdfast_spec::{
    AlertCondition, Auth, Breaker, Concurrency, Contract, Env, ErrorAction, EventId, KeyLocation,
    Method, Next, Notify, OnInvalid, RateLimit, Retry, SignatureEncoding, Spec, StopWhen, Strategy,
    Template, VerifyScheme, parse_str,
};
use serde_json::json;

/// DESIGN's example, with every key the sync engine and the HTTP stack
/// read, plus reserved keys (accepted and ignored). Its schema file is
/// written next to it by [`parse_example`].
const EXAMPLE: &str = r#"
store: sqlite://holdfast.db

connections:
  crm:
    base_url: "{{ env.CRM_URL }}"
    headers: { Api-Version: "2024-06-01" }
    timeout: 10s
    connect_timeout: 5s
    auth: { type: bearer, token: "{{ env.CRM_TOKEN }}" }
    rate_limit: { requests: 10, per: 1s, burst: 20 }
    retry: { attempts: 8, initial: 500ms, max: 30s, max_wait: 10m }
    breaker: { failures: 10, cool_down: 2m }
    errors:
      - when: "status == 200 and body.success == false"
        action: retry
      - when: "status == 404 and headers['x-reason'] == 'gone'"
        action: skip
      - when: "body.error is defined"
        action: fail
    max_concurrency: 8
    concurrency: adaptive
  billing:
    base_url: https://billing.example.com/api
    timeout: 5s
    auth: { type: api_key, name: key, value: "{{ env.BILLING_KEY }}", in: query }
    rate_limit: { requests: 100, per: 1m }
    retry: { attempts: 1 }
    breaker: off

streams:
  contacts:
    connection: crm
    request:
      path: /v2/contacts
      params: { updated_since: "{{ cursor }}", limit: 100, archived: false }
    paginate: { type: cursor, next: "$.meta.next_cursor", param: cursor, max_pages: 1000 }
    records: "$.data[*]"
    primary_key: id
    incremental: { cursor_field: updated_at, lookback: 5m }
    schema: schemas/contact.json
    on_invalid: quarantine
    map:
      email: { from: "$.properties.email", transform: lower }
      amount: { from: "$.amount.value", type: decimal }
      created: { from: "$.created", type: timestamp, formats: ["%d/%m/%Y", rfc3339] }
      status: { from: "$.status", map: { A: active, I: inactive }, default: unknown }
    into: contacts
    schedule: { every: 15m, jitter: 2m }
    reconcile: { every: 24h, missing: soft_delete }

  deals:
    connection: crm
    for_each: { stream: contacts, as: contact }
    request: { path: "/v2/contacts/{{ contact.id }}/deals" }
    records: "$.data[*]"
    primary_key: id
    into: deals

  invoices:
    connection: billing
    request: { method: POST, path: /invoices/search, headers: { X-Trace: holdfast } }
    paginate: { type: page, start: 0, size_param: per_page, size: 50, stop_when: "records == 0" }
    records: "$.items[*]"
    primary_key: [account_id, number]

webhooks:
  crm_events:
    path: /hooks/crm
    verify: { scheme: standard_webhooks, secret: "{{ env.CRM_WEBHOOK_SECRET }}", tolerance: 5m }
    event_id: "$.id"
    version: "$.data.updated_at"
    route:
      - when: "body.type is startingwith('contact.')"
        stream: contacts
        record: "$.data"
        delete_when: "body.type == 'contact.deleted'"
  billing_events:
    path: /hooks/billing
    verify: { scheme: hmac_sha256, secret: ["{{ env.CRM_WEBHOOK_SECRET }}", old], header: X-Signature, encoding: base64, prefix: "sha256=" }
    event_id: "header:X-Event-Id"
    max_body: 64kb
    route: [ { stream: invoices } ]
actions:
  create_note:
    connection: crm
    request: { method: POST, path: /v2/notes, json: "{{ input }}" }
    idempotency_key: "{{ input.external_id }}"
  update_contact:
    connection: crm
    request:
      method: patch
      path: "/v2/contacts/{{ input.id }}"
      json: { email: "{{ input.email | lower }}", score: "{{ input.score }}", source: holdfast }
    max_attempts: 3
alerts:
  - { rule: no_records, stream: contacts, for: 1h }
  - { rule: error_rate, connection: crm, above: 5%, for: 10m }
  - { rule: queue_depth, above: 10000 }
notify: [ { webhook: "{{ env.ALERT_URL }}" } ]
"#;

fn env() -> Env {
    Env::from_map(BTreeMap::from([
        ("CRM_URL".to_owned(), "https://crm.example.com".to_owned()),
        ("CRM_TOKEN".to_owned(), "t0k3n".to_owned()),
        ("BILLING_KEY".to_owned(), "k3y".to_owned()),
        (
            "ALERT_URL".to_owned(),
            "https://hooks.example.com/holdfast".to_owned(),
        ),
        (
            "CRM_WEBHOOK_SECRET".to_owned(),
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
        ),
    ]))
}

/// A contact as `schemas/contact.json` describes it.
const CONTACT_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["id", "updated_at"],
  "properties": { "id": { "type": "string" }, "email": { "type": ["string", "null"] } }
}"#;

/// Writes `yaml` as `holdfast.yaml` in a temp dir, with `schemas/contact.json`
/// beside it, and parses it from there (the dir lives as long as the result).
fn parse_in_dir(yaml: &str) -> (tempfile::TempDir, Spec) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("schemas")).expect("schemas dir");
    std::fs::write(dir.path().join("schemas/contact.json"), CONTACT_SCHEMA).expect("schema");
    let origin = dir.path().join("holdfast.yaml");
    std::fs::write(&origin, yaml).expect("connector file");
    let spec = holdfast_spec::load(&origin, &env()).unwrap_or_else(|e| panic!("{e}"));
    (dir, spec)
}

#[test]
fn webhooks_and_actions_parse() {
    let (_dir, spec) = parse_in_dir(EXAMPLE);
    let crm = spec.webhook("crm_events").expect("crm_events");
    assert_eq!(crm.path, "/hooks/crm");
    assert_eq!(crm.verify.scheme, VerifyScheme::StandardWebhooks);
    assert_eq!(crm.verify.tolerance, Duration::from_secs(300));
    assert!(matches!(&crm.event_id, EventId::Path(p) if p.source == "$.id"));
    assert_eq!(
        crm.version.as_ref().map(|p| p.source.as_str()),
        Some("$.data.updated_at")
    );
    assert_eq!(crm.route[0].stream, "contacts");
    assert_eq!(crm.route[0].record.source, "$.data");
    assert!(crm.route[0].delete_when.is_some());
    assert_eq!(crm.max_body, 1 << 20);

    let billing = spec.webhook("billing_events").expect("billing_events");
    assert_eq!(
        billing.verify.scheme,
        VerifyScheme::HmacSha256 {
            header: "X-Signature".into(),
            encoding: SignatureEncoding::Base64,
            prefix: "sha256=".into()
        }
    );
    assert_eq!(billing.verify.secrets.len(), 2);
    assert!(matches!(&billing.event_id, EventId::Header(h) if h == "X-Event-Id"));
    assert_eq!(billing.max_body, 64 * 1024);
    assert_eq!(billing.route[0].record.source, "$");

    let note = spec.action("create_note").expect("create_note");
    assert_eq!(note.connection, "crm");
    assert_eq!(note.request.method, Method::Post);
    assert_eq!(note.request.json, Some(serde_json::json!("{{ input }}")));
    assert_eq!(note.max_attempts, 5);
    let update = spec.action("update_contact").expect("update_contact");
    assert_eq!(update.request.method, Method::Patch);
    assert_eq!(
        update.request.json.as_ref().and_then(|j| j.get("source")),
        Some(&serde_json::json!("holdfast"))
    );
    assert_eq!(update.max_attempts, 3);
}

#[test]
fn full_example_parses() {
    let (dir, spec) = parse_in_dir(EXAMPLE);
    assert_eq!(spec.origin, dir.path().join("holdfast.yaml"));
    assert_eq!(spec.store, Some(Template::new("sqlite://holdfast.db")));
    assert_eq!(
        spec.alerts
            .iter()
            .map(|a| a.condition.clone())
            .collect::<Vec<_>>(),
        vec![
            AlertCondition::NoRecords {
                stream: "contacts".into(),
                window: Duration::from_secs(3600),
            },
            AlertCondition::ErrorRate {
                connection: Some("crm".into()),
                above: 0.05,
                window: Duration::from_secs(600),
            },
            AlertCondition::QueueDepth { above: 10000 },
        ]
    );
    assert_eq!(spec.alerts[1].place, "alerts[1]");
    assert_eq!(
        spec.notify,
        vec![Notify::Webhook(Template::new("{{ env.ALERT_URL }}"))]
    );

    let crm = &spec.connections["crm"];
    assert_eq!(crm.base_url, Template::new("{{ env.CRM_URL }}"));
    assert_eq!(
        crm.headers,
        [("Api-Version".to_owned(), Template::new("2024-06-01"))]
    );
    assert_eq!(crm.timeout, Duration::from_secs(10));
    assert_eq!(
        crm.auth,
        Auth::Bearer {
            token: Template::new("{{ env.CRM_TOKEN }}")
        }
    );
    assert_eq!(crm.connect_timeout, Duration::from_secs(5));
    assert_eq!(
        crm.rate_limit,
        Some(RateLimit {
            requests: 10,
            per: Duration::from_secs(1),
            burst: 20
        })
    );
    assert_eq!(
        crm.retry,
        Retry {
            attempts: 8,
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            max_wait: Duration::from_secs(600)
        }
    );
    assert_eq!(
        crm.breaker,
        Some(Breaker {
            failures: 10,
            cool_down: Duration::from_secs(120)
        })
    );
    let rules: Vec<(&str, ErrorAction)> = crm
        .errors
        .iter()
        .map(|r| (r.when.source.as_str(), r.action))
        .collect();
    assert_eq!(
        rules,
        [
            (
                "status == 200 and body.success == false",
                ErrorAction::Retry
            ),
            (
                "status == 404 and headers['x-reason'] == 'gone'",
                ErrorAction::Skip
            ),
            ("body.error is defined", ErrorAction::Fail),
        ],
        "file order"
    );
    assert_eq!(crm.concurrency, Concurrency::Adaptive { max: 8 });

    let billing = &spec.connections["billing"];
    assert_eq!(billing.timeout, Duration::from_secs(5));
    assert_eq!(
        billing.connect_timeout,
        Duration::from_secs(5),
        "the default is capped at `timeout`"
    );
    assert_eq!(
        billing.rate_limit,
        Some(RateLimit {
            requests: 100,
            per: Duration::from_secs(60),
            burst: 100
        }),
        "`burst` defaults to `requests`"
    );
    assert_eq!(
        billing.retry,
        Retry {
            attempts: 1,
            ..Retry::default()
        }
    );
    assert_eq!(billing.breaker, None, "`breaker: off`");
    assert!(billing.errors.is_empty());
    assert_eq!(billing.concurrency, Concurrency::Fixed(4));
    assert_eq!(
        billing.auth,
        Auth::ApiKey {
            name: "key".into(),
            value: Template::new("{{ env.BILLING_KEY }}"),
            location: KeyLocation::Query
        }
    );

    let names: Vec<&str> = spec.streams.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["contacts", "deals", "invoices"], "file order");

    let contacts = spec.stream("contacts").expect("contacts");
    assert_eq!(contacts.connection, "crm");
    assert_eq!(contacts.request.method, Method::Get);
    assert_eq!(contacts.request.path, Template::new("/v2/contacts"));
    let params: Vec<(&str, &str)> = contacts
        .request
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.source.as_str()))
        .collect();
    assert_eq!(
        params,
        [
            ("updated_since", "{{ cursor }}"),
            ("limit", "100"),
            ("archived", "false")
        ]
    );
    match &contacts.paginate.strategy {
        Strategy::Cursor {
            next: Next::Body(next),
            param,
        } => {
            assert_eq!(next.source, "$.meta.next_cursor");
            assert_eq!(param.query(), Some("cursor"));
        }
        other => panic!("expected cursor, got {other:?}"),
    }
    assert_eq!(contacts.paginate.max_pages, Some(1000));
    assert!(contacts.paginate.stop_when.is_none());
    assert_eq!(contacts.records.source, "$.data[*]");
    assert_eq!(contacts.primary_key, ["id"]);
    let inc = contacts.incremental.as_ref().expect("incremental");
    assert_eq!(
        (inc.cursor_field.as_str(), inc.lookback),
        ("updated_at", Duration::from_secs(300))
    );
    assert!(contacts.for_each.is_none());
    assert_eq!(contacts.into, "contacts");
    let schema = contacts.schema.as_ref().expect("schema");
    assert_eq!(schema.origin, "schemas/contact.json");
    assert_eq!(
        schema.path.as_deref(),
        Some(dir.path().join("schemas/contact.json").as_path()),
        "resolved next to the connector file"
    );
    assert_eq!(schema.document["required"], json!(["id", "updated_at"]));
    assert_eq!(contacts.on_invalid, OnInvalid::Quarantine);
    assert_eq!(contacts.contract, Contract::Evolve);
    let columns: Vec<&str> = contacts.map.iter().map(|c| c.column.as_str()).collect();
    assert_eq!(
        columns,
        ["email", "amount", "created", "status"],
        "file order"
    );

    let deals = spec.stream("deals").expect("deals");
    let parent = deals.for_each.as_ref().expect("for_each");
    assert_eq!(
        (parent.stream.as_str(), parent.alias.as_str()),
        ("contacts", "contact")
    );
    assert!(matches!(deals.paginate.strategy, Strategy::None));
    assert!(deals.incremental.is_none());
    assert!(deals.schema.is_none() && deals.map.is_empty());
    assert_eq!(
        (deals.on_invalid, deals.contract),
        (OnInvalid::Quarantine, Contract::Evolve),
        "defaults"
    );

    let invoices = spec.stream("invoices").expect("invoices");
    assert_eq!(invoices.request.method, Method::Post);
    assert_eq!(
        invoices.request.headers,
        [("X-Trace".to_owned(), Template::new("holdfast"))]
    );
    assert!(matches!(
        &invoices.paginate.strategy,
        Strategy::Page { param, start: 0, size_param: Some(sp), size: Some(50) } if param.query() == Some("page") && sp.query() == Some("per_page")
    ));
    assert!(
        matches!(&invoices.paginate.stop_when, Some(StopWhen::Condition(t)) if t.source == "records == 0")
    );
    assert_eq!(invoices.primary_key, ["account_id", "number"]);
    assert_eq!(invoices.into, "invoices");
}

#[test]
fn minimal_file_gets_defaults() {
    let yaml = "connections:\n  api: { base_url: 'https://api.test' }\nstreams:\n  items:\n    connection: api\n    request: { path: /items }\n    paginate: { type: offset }\n    records: $.items[*]\n    primary_key: id\n";
    let spec =
        parse_str(yaml, Path::new("x.yaml"), &Env::default()).unwrap_or_else(|e| panic!("{e}"));
    let items = &spec.streams[0];
    assert!(spec.store.is_none());
    let api = &spec.connections["api"];
    assert_eq!(api.auth, Auth::None);
    assert_eq!(
        (api.timeout, api.connect_timeout),
        (Duration::from_secs(30), Duration::from_secs(10))
    );
    assert_eq!(api.rate_limit, None);
    assert_eq!(api.retry, Retry::default());
    assert_eq!(
        api.retry,
        Retry {
            attempts: 5,
            initial: Duration::from_millis(250),
            max: Duration::from_secs(60),
            max_wait: Duration::from_secs(300)
        }
    );
    assert_eq!(
        api.breaker,
        Some(Breaker {
            failures: 20,
            cool_down: Duration::from_secs(60)
        })
    );
    assert!(api.errors.is_empty());
    assert_eq!(api.concurrency, Concurrency::Fixed(4));
    assert!(matches!(
        &items.paginate.strategy,
        Strategy::Offset { param, limit_param, limit: 100 } if param.query() == Some("offset") && limit_param.query() == Some("limit")
    ));
}

#[test]
fn load_reports_a_missing_file() {
    let path = Path::new("/nonexistent/holdfast.yaml");
    let err = holdfast_spec::load(path, &Env::default()).expect_err("missing file");
    assert_eq!(err.diagnostics.len(), 1);
    assert!(
        err.to_string()
            .starts_with("error: cannot read the connector file"),
        "{err}"
    );
}
