//! 1,000 contact events for the webhook load test: versions in order per
//! contact with deletes and late updates, a deterministic generator to
//! shuffle and pick them, and sending them concurrently.
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};
use futures::StreamExt as _;
use serde_json::{Value, json};

use crate::common::{local_client, post};

pub const CONTACTS: i64 = 150;
pub const EVENTS: usize = 1000;
pub const CONCURRENCY: usize = 16;

/// A deterministic generator (splitmix64), so a failure can be replayed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `percent`% of the time.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// What a contact event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Update,
    Delete,
    /// An update older than the contact's delete, delivered after it.
    LateUpdate,
}

/// One contact event.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub contact: i64,
    pub kind: Kind,
    pub version: DateTime<Utc>,
    /// The record (`$.data`).
    pub data: Value,
    /// The request body as sent (and signed).
    pub body: String,
}

pub fn contact_event(
    id: String,
    contact: i64,
    kind: Kind,
    version: DateTime<Utc>,
    n: u32,
) -> Event {
    // Some versions are written with a +02:00 offset: order is by instant, not text.
    let stamp = if n.is_multiple_of(3) {
        version
            .with_timezone(&FixedOffset::east_opt(2 * 3600).expect("offset"))
            .to_rfc3339_opts(SecondsFormat::Millis, false)
    } else {
        version.to_rfc3339_opts(SecondsFormat::Millis, true)
    };
    let (kind_name, data) = match kind {
        Kind::Delete => (
            "contact.deleted",
            json!({ "id": contact, "updated_at": stamp }),
        ),
        Kind::Update | Kind::LateUpdate => {
            let label = if kind == Kind::LateUpdate {
                "late".to_owned()
            } else {
                format!("v{n}")
            };
            (
                "contact.updated",
                json!({
                    "id": contact,
                    "email": format!("c{contact}.{label}@example.com"),
                    "name": { "first": "Contact", "last": format!("No. {contact}") },
                    "updated_at": stamp,
                }),
            )
        }
    };
    let body = json!({ "type": kind_name, "data": data }).to_string();
    Event {
        id,
        contact,
        kind,
        version,
        data,
        body,
    }
}

/// Every contact's events in version order: 6 or 7 updates, and for every
/// fifth contact a delete (the highest version) and a late update older
/// than the delete. 1,000 events in all.
pub fn contact_events() -> BTreeMap<i64, Vec<Event>> {
    let mut out = BTreeMap::new();
    for c in 1..=CONTACTS {
        let base = Utc
            .with_ymd_and_hms(2024, 3, 1, 0, 0, 0)
            .single()
            .expect("time")
            + chrono::Duration::hours(c);
        let updates = if c <= 40 { 7 } else { 6 };
        let mut list = Vec::new();
        for v in 1..=updates {
            let at = base
                + chrono::Duration::seconds(i64::from(v) * 10)
                + chrono::Duration::milliseconds(i64::from(v * 37 % 1000));
            list.push(contact_event(
                format!("evt-{c}-{v}"),
                c,
                Kind::Update,
                at,
                v,
            ));
        }
        if c % 5 == 0 {
            let at = base + chrono::Duration::seconds(i64::from(updates + 1) * 10);
            list.push(contact_event(
                format!("evt-{c}-del"),
                c,
                Kind::Delete,
                at,
                updates + 1,
            ));
            // between the 2nd and 3rd update, so older than the delete
            let late = base + chrono::Duration::milliseconds(25_500);
            list.push(contact_event(
                format!("evt-{c}-late"),
                c,
                Kind::LateUpdate,
                late,
                1,
            ));
        }
        out.insert(c, list);
    }
    let total: usize = out.values().map(Vec::len).sum();
    assert_eq!(total, EVENTS);
    out
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub path: &'static str,
    pub event_id: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

/// What one request was answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub event_id: String,
    pub status: u16,
    pub body: Value,
}

/// Sends every delivery, `CONCURRENCY` at a time; each must be answered.
pub async fn send_all(base: &str, deliveries: &[Delivery]) -> Vec<Answer> {
    let client = local_client();
    futures::stream::iter(deliveries.iter().cloned())
        .map(|d| {
            let client = client.clone();
            let url = format!("{base}{}", d.path);
            async move {
                let (status, body) = post(&client, &url, &d.headers, d.body.clone())
                    .await
                    .unwrap_or_else(|e| panic!("POST {url} (event {}): {e}", d.event_id));
                Answer {
                    event_id: d.event_id,
                    status,
                    body,
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await
}

/// Every answer is a 200 queued/duplicate naming its event.
#[track_caller]
pub fn check_answers(answers: &[Answer]) {
    for a in answers {
        assert_eq!(a.status, 200, "event {}: {}", a.event_id, a.body);
        let status = a.body["status"].as_str().unwrap_or_default();
        assert!(
            status == "queued" || status == "duplicate",
            "event {}: {}",
            a.event_id,
            a.body
        );
        assert_eq!(a.body["event_id"], json!(a.event_id), "{}", a.body);
    }
}
