//! Webhook event routing (the engine's `EventRouter`, no store needed):
//! `route:` conditions over the body and headers, the record and version
//! paths, the version's sortable form, the stream's schema and `map:`.
//!
//! Input: text up to the first blank line is the event's headers (`name:
//! value` per line, names lower-cased as the receiver stores them), the rest
//! the body as received (not UTF-8 is replaced, as the receiver does today).
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use holdfast_engine::events::{EventRouter, Routed};
use holdfast_engine::jobs::WebhookEvent;
use holdfast_spec::{Env, parse_str};
use libfuzzer_sys::fuzz_target;

const SPEC: &str = r#"
connections:
  crm: { base_url: "http://127.0.0.1:9" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    schema: { type: object, required: [id, email], properties: { email: { type: string } } }
    map:
      email: { from: "$.email", transform: lower }
      seen: { from: "$.seen", type: timestamp, formats: [rfc3339, epoch_millis] }
      amount: { from: "$.amount", type: decimal }
  deals:
    connection: crm
    request: { path: /v2/deals }
    records: "$.data[*]"
    primary_key: [account_id, id]
webhooks:
  crm:
    path: /hooks/crm
    verify: { scheme: standard_webhooks, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }
    version: "$.data.updated_at"
    route:
      - when: "body.type is startingwith('contact.') and headers['x-env'] != 'test'"
        stream: contacts
        record: "$.data"
        delete_when: "body.type == 'contact.deleted'"
      - when: "body.type in ['deal.created', 'deal.updated'] and body.data.id > 0"
        stream: deals
        record: "$.data"
        delete_when: "body.data.deleted | default(false)"
      - when: "headers['x-kind'] == 'deal'"
        stream: deals
        record: "$..deal"
"#;

fn router() -> &'static EventRouter {
    static ROUTER: OnceLock<EventRouter> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let spec = parse_str(SPEC, Path::new("fuzz.yaml"), &Env::default())
            .unwrap_or_else(|e| panic!("the fixture spec is valid: {e}"));
        EventRouter::new(Arc::new(spec)).expect("router")
    })
}

fuzz_target!(|data: &[u8]| {
    let split = data.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (&[][..], data),
    };
    let head = String::from_utf8_lossy(head);
    let headers: BTreeMap<String, String> = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let event = WebhookEvent {
        webhook: "crm".to_owned(),
        event_id: "fuzz".to_owned(),
        received_ms: 0,
        headers,
        body: String::from_utf8_lossy(body).into_owned(),
    };
    match router().route(&event) {
        Ok(Routed::Apply(write)) => {
            assert!(router().table(&write.stream).is_some());
            assert!(!write.row.key.is_empty());
        }
        Ok(Routed::Ignored) => {}
        Ok(Routed::Handle(custom)) => panic!(
            "no stream of the fuzz connector has a custom source, yet `{}` was handed to one",
            custom.stream
        ),
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
