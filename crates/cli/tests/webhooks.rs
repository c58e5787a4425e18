//! `holdfast serve` receives webhooks signed by the vendors' official
//! libraries, queues each event once however often it is delivered, and
//! applies events by version: the newest wins whatever order they arrive
//! in, and a deleted record stays deleted. Forged, stale and malformed
//! requests are refused and counted; invalid events are dead-lettered.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};
use common::{
    JobRow, Sandbox, Serve, jobs, local_client, post, queue_json, sign_webhooks, unix_now,
    wait_drained,
};
use futures::StreamExt as _;
use serde_json::{Value, json};

/// A Standard Webhooks secret (`whsec_` + base64).
const CRM_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Another valid secret: signatures made with it must not verify.
const OTHER_SECRET: &str = "whsec_dGhpcyBpcyBub3QgdGhlIHJpZ2h0IGtleQ==";
const STRIPE_SECRET: &str = "whsec_stripe_e2e_secret";
const GH_SECRET: &str = "It's a Secret to Everybody";

const CONTACTS: i64 = 150;
const EVENTS: usize = 1000;
const CONCURRENCY: usize = 16;
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// The connector file: three webhooks, one per signing scheme, into three
/// streams (never synced; the connection is never called).
const CONFIG: &str = r#"
connections:
  crm: { base_url: "http://127.0.0.1:9" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    map: { email: "$.email" }
  invoices:
    connection: crm
    request: { path: /v2/invoices }
    records: "$.data[*]"
    primary_key: id
    map: { amount_due: { from: "$.amount_due", type: integer } }
  repos:
    connection: crm
    request: { path: /v2/repos }
    records: "$.data[*]"
    primary_key: id
    map: { full_name: "$.full_name" }
webhooks:
  crm_events:
    path: /hooks/crm
    verify: { scheme: standard_webhooks, secret: "{{ env.CRM_WEBHOOK_SECRET }}", tolerance: 5m }
    version: "$.data.updated_at"
    max_body: 4kb
    route:
      - when: "body.type is startingwith('contact.')"
        stream: contacts
        record: "$.data"
        delete_when: "body.type == 'contact.deleted'"
  billing:
    path: /hooks/stripe
    verify: { scheme: stripe, secret: "{{ env.STRIPE_SECRET }}" }
    route: [ { stream: invoices, record: "$.data.object" } ]
  gh:
    path: /hooks/github
    verify: { scheme: github, secret: "{{ env.GH_SECRET }}" }
    route: [ { stream: repos, record: "$.repository" } ]
"#;

fn env() -> [(&'static str, &'static str); 3] {
    [
        ("CRM_WEBHOOK_SECRET", CRM_SECRET),
        ("STRIPE_SECRET", STRIPE_SECRET),
        ("GH_SECRET", GH_SECRET),
    ]
}

fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_config(CONFIG);
    sandbox
}

/// A deterministic generator (splitmix64), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `percent`% of the time.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// What a contact event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Update,
    Delete,
    /// An update older than the contact's delete, delivered after it.
    LateUpdate,
}

/// One contact event.
#[derive(Debug, Clone)]
struct Event {
    id: String,
    contact: i64,
    kind: Kind,
    version: DateTime<Utc>,
    /// The record (`$.data`).
    data: Value,
    /// The request body as sent (and signed).
    body: String,
}

/// The version as the store keeps it: `t` + RFC 3339 UTC with nine fraction digits.
fn stored_version(t: DateTime<Utc>) -> String {
    format!("t{}", t.to_rfc3339_opts(SecondsFormat::Nanos, true))
}

fn contact_event(id: String, contact: i64, kind: Kind, version: DateTime<Utc>, n: u32) -> Event {
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
fn contact_events() -> BTreeMap<i64, Vec<Event>> {
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
struct Delivery {
    path: &'static str,
    event_id: String,
    body: String,
    headers: Vec<(String, String)>,
}

/// A request to `sign.py`.
fn sign_request(scheme: &str, secret: &str, id: &str, timestamp: i64, body: &str) -> Value {
    json!({ "scheme": scheme, "secret": secret, "id": id, "timestamp": timestamp, "body": body })
}

/// What one request was answered.
#[derive(Debug, Clone)]
struct Answer {
    event_id: String,
    status: u16,
    body: Value,
}

/// Sends every delivery, `CONCURRENCY` at a time; each must be answered.
async fn send_all(base: &str, deliveries: &[Delivery]) -> Vec<Answer> {
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
fn check_answers(answers: &[Answer]) {
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

/// One row of the `contacts` table.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ContactRow {
    id: i64,
    email: Option<String>,
    _raw: String,
    _version: Option<String>,
    _deleted_at: Option<String>,
    _last_change: i64,
}

async fn contact_rows(pool: &sqlx::SqlitePool) -> BTreeMap<i64, ContactRow> {
    let rows: Vec<ContactRow> = sqlx::query_as(
        "SELECT id, email, _raw, _version, _deleted_at, _last_change FROM contacts ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("read contacts");
    rows.into_iter().map(|r| (r.id, r)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn official_signers_out_of_order_and_duplicates() {
    let sandbox = sandbox();
    let mut rng = Rng(0x5eed_0f40_11df_a5e5);
    let per_contact = contact_events();

    // Per contact: updates and delete in version order, then ~10% of the
    // events swapped with their successor (a later version arrives first).
    // The late updates are held back for the second phase.
    let mut sequences: Vec<Vec<Event>> = Vec::new();
    let mut late: Vec<Event> = Vec::new();
    let mut out_of_order = 0;
    for events in per_contact.values() {
        let mut seq: Vec<Event> = Vec::new();
        for e in events {
            if e.kind == Kind::LateUpdate {
                late.push(e.clone());
            } else {
                seq.push(e.clone());
            }
        }
        let mut i = 0;
        while i + 1 < seq.len() {
            if rng.chance(11) {
                seq.swap(i, i + 1);
                out_of_order += 1;
                i += 2;
            } else {
                i += 1;
            }
        }
        sequences.push(seq);
    }
    assert!(
        (80..=140).contains(&out_of_order),
        "about 10% delivered out of order: {out_of_order}"
    );
    // Interleave the contacts round-robin.
    let mut phase1: Vec<Event> = Vec::new();
    let longest = sequences.iter().map(Vec::len).max().unwrap_or(0);
    for j in 0..longest {
        for seq in &sequences {
            if let Some(e) = seq.get(j) {
                phase1.push(e.clone());
            }
        }
    }

    // Sign everything in one Python process: each event once, 10% of them
    // (100) again for a redelivery (half re-signed with a later timestamp,
    // half resent with the very same headers), the late updates, and a few
    // Stripe and GitHub events.
    let now = unix_now();
    let mut sign: Vec<Value> = Vec::new();
    for e in phase1.iter().chain(&late) {
        sign.push(sign_request(
            "standard_webhooks",
            CRM_SECRET,
            &e.id,
            now,
            &e.body,
        ));
    }
    let mut redelivered: BTreeSet<usize> = BTreeSet::new();
    while redelivered.len() < EVENTS / 10 {
        redelivered.insert(rng.below(phase1.len()));
    }
    let resigned: Vec<usize> = redelivered.iter().copied().step_by(2).collect();
    for &i in &resigned {
        let e = &phase1[i];
        sign.push(sign_request(
            "standard_webhooks",
            CRM_SECRET,
            &e.id,
            now + 1,
            &e.body,
        ));
    }
    let invoices: Vec<(String, String)> = (1..=3)
        .map(|i| {
            let body = json!({
                "id": format!("evt_stripe_{i}"),
                "object": "event",
                "type": "invoice.paid",
                "data": { "object": { "id": format!("in_{i}"), "object": "invoice", "amount_due": 1000 * i } },
            });
            (format!("evt_stripe_{i}"), body.to_string())
        })
        .collect();
    for (id, body) in &invoices {
        sign.push(sign_request("stripe", STRIPE_SECRET, id, now, body));
    }
    let pushes: Vec<(String, String)> = (1..=2)
        .map(|i| {
            let body = json!({
                "action": "created",
                "repository": { "id": 4000 + i, "full_name": format!("octo/repo-{i}") },
            });
            (
                format!("72d3162e-cc78-11e3-81ab-4c9367dc095{i}"),
                body.to_string(),
            )
        })
        .collect();
    for (id, body) in &pushes {
        sign.push(sign_request("github", GH_SECRET, id, now, body));
    }
    let signed = sign_webhooks(&sign);
    let mut signed = signed.into_iter();
    let mut first_headers: Vec<Vec<(String, String)>> = Vec::new();
    for _ in 0..phase1.len() {
        first_headers.push(signed.next().expect("signed"));
    }
    let late_headers: Vec<Vec<(String, String)>> = (0..late.len())
        .map(|_| signed.next().expect("signed"))
        .collect();
    let resigned_headers: HashMap<usize, Vec<(String, String)>> = resigned
        .iter()
        .map(|&i| (i, signed.next().expect("signed")))
        .collect();
    let invoice_headers: Vec<_> = (0..invoices.len())
        .map(|_| signed.next().expect("signed"))
        .collect();
    let push_headers: Vec<_> = (0..pushes.len())
        .map(|_| signed.next().expect("signed"))
        .collect();
    assert!(signed.next().is_none());

    // Phase 1: the events in their (partly shuffled) order, each redelivery
    // placed somewhere after its first copy, plus Stripe (one delivered
    // twice) and GitHub events.
    let mut deliveries: Vec<Delivery> = phase1
        .iter()
        .zip(&first_headers)
        .map(|(e, h)| Delivery {
            path: "/hooks/crm",
            event_id: e.id.clone(),
            body: e.body.clone(),
            headers: h.clone(),
        })
        .collect();
    let mut redeliveries: Vec<(usize, Delivery)> = redelivered
        .iter()
        .map(|&i| {
            let headers = resigned_headers
                .get(&i)
                .cloned()
                .unwrap_or_else(|| first_headers[i].clone());
            let at = i + 1 + rng.below(phase1.len() - i);
            (
                at,
                Delivery {
                    path: "/hooks/crm",
                    event_id: phase1[i].id.clone(),
                    body: phase1[i].body.clone(),
                    headers,
                },
            )
        })
        .collect();
    // insert from the back so earlier positions stay valid
    redeliveries.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    for (at, d) in redeliveries {
        deliveries.insert(at.min(deliveries.len()), d);
    }
    for (((id, body), h), i) in invoices.iter().zip(&invoice_headers).zip(0..) {
        let d = Delivery {
            path: "/hooks/stripe",
            event_id: id.clone(),
            body: body.clone(),
            headers: h.clone(),
        };
        if i == 0 {
            deliveries.insert(deliveries.len() / 3, d.clone());
        }
        deliveries.insert(deliveries.len() / 2, d);
    }
    for ((id, body), h) in pushes.iter().zip(&push_headers) {
        deliveries.insert(
            deliveries.len() / 4,
            Delivery {
                path: "/hooks/github",
                event_id: id.clone(),
                body: body.clone(),
                headers: h.clone(),
            },
        );
    }
    assert_eq!(
        deliveries.len(),
        phase1.len() + EVENTS / 10 + invoices.len() + 1 + pushes.len()
    );

    let env = env();
    let serve = Serve::start(&sandbox, &["--workers", "2"], &env).await;
    let pool = sandbox.pool().await;
    let started = Instant::now();
    let mut answers = send_all(&serve.url, &deliveries).await;
    let sent_in = started.elapsed();
    check_answers(&answers);
    wait_drained(&pool, DRAIN_LIMIT).await;

    // Phase 2, once the tombstones are in: the late, older updates, and
    // redeliveries of a few deletes.
    let mut second: Vec<Delivery> = late
        .iter()
        .zip(&late_headers)
        .map(|(e, h)| Delivery {
            path: "/hooks/crm",
            event_id: e.id.clone(),
            body: e.body.clone(),
            headers: h.clone(),
        })
        .collect();
    for (i, e) in phase1.iter().enumerate() {
        if e.kind == Kind::Delete && e.contact % 15 == 0 {
            second.push(Delivery {
                path: "/hooks/crm",
                event_id: e.id.clone(),
                body: e.body.clone(),
                headers: first_headers[i].clone(),
            });
        }
    }
    let second_answers = send_all(&serve.url, &second).await;
    check_answers(&second_answers);
    for a in &second_answers {
        if a.event_id.ends_with("-del") {
            assert_eq!(
                a.body["status"], "duplicate",
                "a delete redelivered long after its first copy: {}",
                a.body
            );
        }
    }
    answers.extend(second_answers);
    wait_drained(&pool, DRAIN_LIMIT).await;
    let duplicates = answers
        .iter()
        .filter(|a| a.body["status"] == "duplicate")
        .count();
    eprintln!(
        "sent {} requests in {sent_in:?} ({duplicates} answered duplicate); all applied after {:?}",
        answers.len(),
        started.elapsed()
    );

    // Each event was answered `queued` at least once (its first copy).
    let mut queued: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &answers {
        let n = queued.entry(a.event_id.as_str()).or_default();
        if a.body["status"] == "queued" {
            *n += 1;
        }
    }
    let never_queued: Vec<&&str> = queued
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| k)
        .collect();
    assert!(
        never_queued.is_empty(),
        "never answered `queued`: {never_queued:?}"
    );

    // One job per distinct event id, every one done.
    let all_jobs = jobs(&pool).await;
    let mut expected_keys: BTreeSet<String> = per_contact
        .values()
        .flatten()
        .map(|e| format!("webhook:crm_events:{}", e.id))
        .collect();
    expected_keys.extend(
        invoices
            .iter()
            .map(|(id, _)| format!("webhook:billing:{id}")),
    );
    // GitHub's delivery id is not signed: its events are keyed by their signed body
    expected_keys.extend(pushes.iter().map(|(_, body)| {
        let digest = <sha2::Sha256 as sha2::Digest>::digest(body.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("webhook:gh:sha256:{hex}")
    }));
    let keys: Vec<String> = all_jobs
        .iter()
        .map(|j| {
            j.unique_key
                .clone()
                .expect("webhook jobs have a unique key")
        })
        .collect();
    assert_eq!(
        keys.len(),
        expected_keys.len(),
        "one job per distinct event id"
    );
    assert_eq!(
        keys.iter().cloned().collect::<BTreeSet<_>>(),
        expected_keys,
        "the jobs are the events sent"
    );
    let not_done: Vec<&JobRow> = all_jobs.iter().filter(|j| j.state != "done").collect();
    assert!(
        not_done.is_empty(),
        "every job done, none dead: {not_done:?}"
    );
    for j in &all_jobs {
        assert_eq!(j.kind, "webhook", "{j:?}");
        assert_eq!(j.attempts, 1, "applied at the first attempt: {j:?}");
    }
    // The events swapped in delivery really reached the store out of order:
    // the older of each pair came second and was found stale.
    let stale = all_jobs
        .iter()
        .filter(|j| j.result.as_deref() == Some("\"stale\""))
        .count();
    eprintln!("{out_of_order} pairs swapped; {stale} events stale");
    assert!(
        stale >= out_of_order + late.len() - 10,
        "{stale} stale events for {out_of_order} swapped pairs and {} late updates",
        late.len()
    );
    // The late updates reached a tombstone: stale, nothing written.
    let by_key: HashMap<&str, &JobRow> = all_jobs
        .iter()
        .map(|j| (j.unique_key.as_deref().unwrap_or_default(), j))
        .collect();
    for e in &late {
        let job = by_key[format!("webhook:crm_events:{}", e.id).as_str()];
        assert_eq!(job.result.as_deref(), Some("\"stale\""), "{job:?}");
    }

    // The table holds exactly the newest version of each contact.
    let rows = contact_rows(&pool).await;
    assert_eq!(rows.len() as i64, CONTACTS, "one row per contact");
    for (c, events) in &per_contact {
        let row = &rows[c];
        let newest = events.iter().max_by_key(|e| e.version).expect("events");
        let raw: Value = serde_json::from_str(&row._raw).expect("_raw is JSON");
        assert_eq!(
            row._version.as_deref(),
            Some(stored_version(newest.version).as_str()),
            "contact {c}: the newest version is stored ({row:?})"
        );
        match newest.kind {
            Kind::Delete => {
                assert!(
                    row._deleted_at.is_some(),
                    "contact {c} was deleted: {row:?}"
                );
                assert_eq!(row._last_change, 3, "contact {c}: {row:?}");
                assert!(
                    !row._raw.contains(".late@"),
                    "contact {c}: the late update did not resurrect it: {row:?}"
                );
                // a tombstone keeps the content it had (or the delete's own
                // record, had the delete come first)
                assert!(
                    events
                        .iter()
                        .any(|e| e.kind != Kind::LateUpdate && e.data == raw),
                    "contact {c}: {row:?}"
                );
            }
            _ => {
                assert_eq!(row._deleted_at, None, "contact {c}: {row:?}");
                assert_eq!(raw, newest.data, "contact {c}: the newest record");
                assert_eq!(
                    row.email.as_deref(),
                    newest.data["email"].as_str(),
                    "contact {c}: the mapped column follows"
                );
            }
        }
    }

    // Stripe- and GitHub-signed events landed in their tables.
    let invoice_rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT id, amount_due FROM invoices ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("invoices");
    assert_eq!(
        invoice_rows,
        vec![
            ("in_1".to_owned(), 1000),
            ("in_2".to_owned(), 2000),
            ("in_3".to_owned(), 3000)
        ]
    );
    let repo_rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, full_name FROM repos ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("repos");
    assert_eq!(
        repo_rows,
        vec![
            (4001, "octo/repo-1".to_owned()),
            (4002, "octo/repo-2".to_owned())
        ]
    );

    // `holdfast queue` agrees: only done jobs, nothing dead, nothing rejected.
    let q = queue_json(&sandbox).await;
    assert_eq!(q["dead"], json!([]), "{q}");
    assert_eq!(q["rejections"], json!([]), "{q}");
    assert_eq!(q["oldest_ready"], Value::Null, "{q}");
    let depth = q["depth"].as_array().expect("depth");
    assert_eq!(depth.len(), 1, "{q}");
    assert_eq!(depth[0]["kind"], "webhook");
    assert_eq!(depth[0]["state"], "done");
    assert_eq!(depth[0]["count"], json!(expected_keys.len()));
    drop(serve);
}

/// A request signed for `body` by the official Standard Webhooks library.
fn crm_sign(id: &str, secret: &str, timestamp: i64, body: &str) -> Value {
    sign_request("standard_webhooks", secret, id, timestamp, body)
}

/// A refused request: what it is, path, headers, body, the status and the
/// `reason` expected (`""`: none).
type Case<'a> = (
    &'a str,
    &'a str,
    Vec<(String, String)>,
    String,
    u16,
    &'a str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_tampered_wrong_secret_and_stale() {
    let sandbox = sandbox();
    let now = unix_now();
    let good = json!({ "type": "contact.updated", "data": { "id": 1, "email": "a@example.com", "updated_at": "2024-01-01T00:00:00Z" } }).to_string();
    let tampered = good.replace("a@example.com", "mallory@example.com");
    let big = json!({ "type": "contact.updated", "data": { "id": 2, "email": "b@example.com", "updated_at": "2024-01-01T00:00:00Z", "notes": "x".repeat(5000) } }).to_string();
    let not_json = "this is not JSON, although correctly signed";
    let stripe_old =
        json!({ "id": "evt_old", "type": "invoice.paid", "data": { "object": { "id": "in_8" } } })
            .to_string();
    let push = json!({ "action": "created", "repository": { "id": 9, "full_name": "octo/x" } })
        .to_string();
    let stripe_no_id =
        json!({ "type": "invoice.paid", "data": { "object": { "id": "in_9" } } }).to_string();
    let signed = sign_webhooks(&[
        crm_sign("msg_tampered", CRM_SECRET, now, &good),
        crm_sign("msg_other_secret", OTHER_SECRET, now, &good),
        crm_sign("msg_stale", CRM_SECRET, now - 600, &good),
        crm_sign("msg_future", CRM_SECRET, now + 600, &good),
        crm_sign("msg_missing", CRM_SECRET, now, &good),
        crm_sign("msg_malformed", CRM_SECRET, now, &good),
        crm_sign("msg_big", CRM_SECRET, now, &big),
        crm_sign("msg_not_json", CRM_SECRET, now, not_json),
        sign_request("stripe", STRIPE_SECRET, "", now, &stripe_no_id),
        sign_request("stripe", STRIPE_SECRET, "", now - 600, &stripe_old),
        sign_request("github", "not the GitHub secret", "gh-1", now, &push),
    ]);
    let without = |headers: &[(String, String)], name: &str| -> Vec<(String, String)> {
        headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(name))
            .cloned()
            .collect()
    };
    let with = |headers: &[(String, String)], name: &str, value: &str| {
        let mut h = without(headers, name);
        h.push((name.to_owned(), value.to_owned()));
        h
    };
    let cases: Vec<Case<'_>> = vec![
        (
            "tampered body",
            "/hooks/crm",
            signed[0].clone(),
            tampered.clone(),
            401,
            "bad_signature",
        ),
        (
            "another secret",
            "/hooks/crm",
            signed[1].clone(),
            good.clone(),
            401,
            "bad_signature",
        ),
        (
            "10 minutes old",
            "/hooks/crm",
            signed[2].clone(),
            good.clone(),
            401,
            "stale",
        ),
        (
            "10 minutes ahead",
            "/hooks/crm",
            signed[3].clone(),
            good.clone(),
            401,
            "future",
        ),
        (
            "no signature header",
            "/hooks/crm",
            without(&signed[4], "webhook-signature"),
            good.clone(),
            401,
            "missing_header",
        ),
        (
            "no headers at all",
            "/hooks/crm",
            Vec::new(),
            good.clone(),
            401,
            "missing_header",
        ),
        (
            "unreadable timestamp",
            "/hooks/crm",
            with(&signed[5], "webhook-timestamp", "yesterday"),
            good.clone(),
            401,
            "malformed",
        ),
        (
            "over max_body",
            "/hooks/crm",
            signed[6].clone(),
            big.clone(),
            413,
            "too_large",
        ),
        (
            "not JSON",
            "/hooks/crm",
            signed[7].clone(),
            not_json.to_owned(),
            400,
            "not_json",
        ),
        (
            "Stripe event without an id",
            "/hooks/stripe",
            signed[8].clone(),
            stripe_no_id.clone(),
            400,
            "no_event_id",
        ),
        (
            "Stripe event signed 10 minutes ago",
            "/hooks/stripe",
            signed[9].clone(),
            stripe_old.clone(),
            401,
            "stale",
        ),
        (
            "GitHub event signed with another secret",
            "/hooks/github",
            signed[10].clone(),
            push.clone(),
            401,
            "bad_signature",
        ),
    ];

    let env = env();
    let serve = Serve::start(&sandbox, &[], &env).await;
    let pool = sandbox.pool().await;
    let client = local_client();
    for (what, path, headers, body, status, reason) in &cases {
        let url = format!("{}{path}", serve.url);
        let (got, answer) = post(&client, &url, headers, body.clone())
            .await
            .unwrap_or_else(|e| panic!("{what}: POST {url}: {e}"));
        assert_eq!(got, *status, "{what}: {answer}");
        if !reason.is_empty() {
            assert_eq!(answer["reason"], json!(reason), "{what}: {answer}");
            assert!(
                answer["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{what}: an error message: {answer}"
            );
        }
    }
    // The untampered body with its own signature is still accepted: the
    // refusals above were about the requests, not the receiver.
    let (status, answer) = post(
        &client,
        &format!("{}/hooks/crm", serve.url),
        &signed[0],
        good.clone(),
    )
    .await
    .expect("POST");
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("queued")),
        "{answer}"
    );
    wait_drained(&pool, DRAIN_LIMIT).await;

    // Nothing refused was queued: only the one good event.
    let queued = jobs(&pool).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(
        queued[0].unique_key.as_deref(),
        Some("webhook:crm_events:msg_tampered")
    );
    let raw: Vec<String> = sqlx::query_scalar("SELECT _raw FROM contacts")
        .fetch_all(&pool)
        .await
        .expect("contacts");
    assert_eq!(raw.len(), 1);
    assert!(raw[0].contains("a@example.com") && !raw[0].contains("mallory"));

    // The refusals are counted per webhook and reason (flushed about every second).
    let expected: BTreeMap<(String, String), i64> = [
        ("crm_events", "bad_signature", 2),
        ("crm_events", "stale", 1),
        ("crm_events", "future", 1),
        ("crm_events", "missing_header", 2),
        ("crm_events", "malformed", 1),
        ("crm_events", "not_json", 1),
        ("crm_events", "too_large", 1),
        ("billing", "no_event_id", 1),
        ("billing", "stale", 1),
        ("gh", "bad_signature", 1),
    ]
    .into_iter()
    .map(|(w, r, n)| ((w.to_owned(), r.to_owned()), n))
    .collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    let counted = loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT webhook, reason, count FROM _holdfast_webhook_rejections")
                .fetch_all(&pool)
                .await
                .expect("rejections");
        let counted: BTreeMap<(String, String), i64> =
            rows.into_iter().map(|(w, r, n)| ((w, r), n)).collect();
        if expected.iter().all(|(k, n)| counted.get(k) == Some(n)) || Instant::now() > deadline {
            break counted;
        }
    };
    for (k, n) in &expected {
        assert_eq!(counted.get(k), Some(n), "{k:?} in {counted:?}");
    }
    let q = queue_json(&sandbox).await;
    let listed: BTreeMap<(String, String), i64> = q["rejections"]
        .as_array()
        .expect("rejections")
        .iter()
        .map(|r| {
            (
                (
                    r["webhook"].as_str().expect("webhook").to_owned(),
                    r["reason"].as_str().expect("reason").to_owned(),
                ),
                r["count"].as_i64().expect("count"),
            )
        })
        .collect();
    for (k, n) in &expected {
        assert_eq!(listed.get(k), Some(n), "{k:?} in {q}");
    }
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_event_is_dead_lettered_and_retryable() {
    let sandbox = sandbox();
    let now = unix_now();
    let no_key = json!({ "type": "contact.updated", "data": { "email": "nokey@example.com", "updated_at": "2024-01-01T00:00:00Z" } }).to_string();
    let no_version =
        json!({ "type": "contact.updated", "data": { "id": 8, "email": "nover@example.com" } })
            .to_string();
    let fine = json!({ "type": "contact.updated", "data": { "id": 7, "email": "fine@example.com", "updated_at": "2024-01-01T00:00:00Z" } }).to_string();
    let unrouted = json!({ "type": "invoice.created", "data": { "id": 9, "updated_at": "2024-01-01T00:00:00Z" } }).to_string();
    let signed = sign_webhooks(&[
        crm_sign("msg_no_key", CRM_SECRET, now, &no_key),
        crm_sign("msg_no_version", CRM_SECRET, now, &no_version),
        crm_sign("msg_fine", CRM_SECRET, now, &fine),
        crm_sign("msg_unrouted", CRM_SECRET, now, &unrouted),
    ]);

    let env = env();
    let mut serve = Serve::start(&sandbox, &[], &env).await;
    let pool = sandbox.pool().await;
    let client = local_client();
    let url = format!("{}/hooks/crm", serve.url);
    for (headers, body) in signed.iter().zip([&no_key, &no_version, &fine, &unrouted]) {
        let (status, answer) = post(&client, &url, headers, body.clone())
            .await
            .expect("POST");
        // valid signatures: acknowledged (the vendor must not retry forever)
        assert_eq!(
            (status, &answer["status"]),
            (200, &json!("queued")),
            "{answer}"
        );
    }
    wait_drained(&pool, DRAIN_LIMIT).await;

    let all = jobs(&pool).await;
    let by_key: BTreeMap<&str, &JobRow> = all
        .iter()
        .map(|j| (j.unique_key.as_deref().unwrap_or_default(), j))
        .collect();
    let no_key_job = by_key["webhook:crm_events:msg_no_key"];
    let no_version_job = by_key["webhook:crm_events:msg_no_version"];
    let fine_job = by_key["webhook:crm_events:msg_fine"];
    assert_eq!(fine_job.state, "done", "{fine_job:?}");
    // no route matches: acknowledged and ignored, not dead
    let unrouted_job = by_key["webhook:crm_events:msg_unrouted"];
    assert_eq!(
        (unrouted_job.state.as_str(), unrouted_job.result.as_deref()),
        ("done", Some("\"ignored\"")),
        "{unrouted_job:?}"
    );
    assert_eq!(no_key_job.state, "dead", "{no_key_job:?}");
    assert_eq!(no_version_job.state, "dead", "{no_version_job:?}");
    assert_eq!(no_key_job.attempts, 1, "not retried: {no_key_job:?}");
    let key_error = no_key_job.last_error.as_deref().unwrap_or_default();
    assert!(
        key_error.contains("contacts") && key_error.contains("id"),
        "the error names the stream and the missing key: {key_error}"
    );
    let version_error = no_version_job.last_error.as_deref().unwrap_or_default();
    assert!(
        version_error.contains("version") && version_error.contains("$.data.updated_at"),
        "the error names the missing version: {version_error}"
    );
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM contacts")
        .fetch_all(&pool)
        .await
        .expect("contacts");
    assert_eq!(ids, vec![7], "only the valid event was applied");

    // `holdfast status` sums the queue up, dead letters included.
    let status = sandbox.run_env(&["status"], &env).await;
    status.expect_code(0);
    assert!(
        status.stdout.contains("0 ready, 0 running, 2 done, 2 dead"),
        "{status}"
    );

    // `holdfast queue --json` lists both dead letters with their errors.
    let q = queue_json(&sandbox).await;
    let dead = q["dead"].as_array().expect("dead");
    assert_eq!(dead.len(), 2, "{q}");
    for d in dead {
        assert_eq!(d["kind"], "webhook", "{d}");
        assert_eq!(d["name"], "crm_events", "{d}");
        assert_eq!(d["attempts"], 1, "{d}");
    }
    let dead_errors: BTreeMap<i64, &str> = dead
        .iter()
        .map(|d| {
            (
                d["job"].as_i64().expect("job"),
                d["error"].as_str().expect("error"),
            )
        })
        .collect();
    assert_eq!(dead_errors.get(&no_key_job.id), Some(&key_error));
    assert_eq!(dead_errors.get(&no_version_job.id), Some(&version_error));

    // Retry with no serve running: both are ready again, from attempt 0.
    serve.kill().await;
    let out = sandbox.run(&["queue", "retry", "--dead"]).await;
    out.expect_code(0);
    assert!(
        out.stdout.contains("2 dead jobs are ready to run again"),
        "{out}"
    );
    for j in jobs(&pool).await {
        if j.id == fine_job.id || j.id == unrouted_job.id {
            assert_eq!(j.state, "done", "{j:?}");
        } else {
            assert_eq!((j.state.as_str(), j.attempts), ("ready", 0), "{j:?}");
        }
    }
    let q = queue_json(&sandbox).await;
    assert_eq!(q["dead"], json!([]), "{q}");
    assert!(
        q["depth"]
            .as_array()
            .expect("depth")
            .iter()
            .any(|d| d["state"] == "ready" && d["count"] == 2),
        "{q}"
    );
    assert!(q["oldest_ready"]["job"].is_i64(), "{q}");

    // A serve started again does them again: still invalid, dead again
    // (nothing applied twice, the valid event untouched).
    let serve = Serve::start(&sandbox, &[], &env).await;
    wait_drained(&pool, DRAIN_LIMIT).await;
    for j in jobs(&pool).await {
        if j.id == fine_job.id || j.id == unrouted_job.id {
            assert_eq!((j.state.as_str(), j.attempts), ("done", 1), "{j:?}");
        } else {
            assert_eq!((j.state.as_str(), j.attempts), ("dead", 1), "{j:?}");
        }
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rows, 1);
    drop(serve);
}

/// One event of a sequence: its id, body, the job's outcome, and after it
/// whether the row is deleted, its version (seconds past 12:00) and the
/// email in its `_raw`.
type Step<'a> = (&'a str, String, &'a str, bool, u32, Option<&'a str>);

/// Events for one contact, one at a time (each applied before the next is
/// sent): ties are stale, a tombstone outlives older updates and a newer
/// update brings the record back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_ties_and_tombstones_one_at_a_time() {
    let sandbox = sandbox();
    let at = |s: u32| format!("2024-06-01T12:00:{s:02}Z");
    let update = |s: u32, email: &str| {
        json!({ "type": "contact.updated", "data": { "id": 500, "email": email, "updated_at": at(s) } })
            .to_string()
    };
    let delete = |s: u32| {
        json!({ "type": "contact.deleted", "data": { "id": 500, "updated_at": at(s) } }).to_string()
    };
    let steps: Vec<Step<'_>> = vec![
        // a delete for a record never seen: a tombstone, so that…
        ("s1", delete(5), "deleted", true, 5, None),
        // …an older update delivered late does not create it
        ("s2", update(3, "old@example.com"), "stale", true, 5, None),
        // the same version as the delete: stale too
        ("s3", update(5, "tie@example.com"), "stale", true, 5, None),
        // a newer update brings it back
        (
            "s4",
            update(6, "new@example.com"),
            "updated",
            false,
            6,
            Some("new@example.com"),
        ),
        // the same version again with other content: the first one stays
        (
            "s5",
            update(6, "other@example.com"),
            "stale",
            false,
            6,
            Some("new@example.com"),
        ),
        // deleted again: the tombstone keeps the last content
        ("s6", delete(8), "deleted", true, 8, Some("new@example.com")),
        (
            "s7",
            update(7, "between@example.com"),
            "stale",
            true,
            8,
            Some("new@example.com"),
        ),
    ];
    let now = unix_now();
    let signed = sign_webhooks(
        &steps
            .iter()
            .map(|(id, body, ..)| crm_sign(id, CRM_SECRET, now, body))
            .collect::<Vec<_>>(),
    );
    let env = env();
    let serve = Serve::start(&sandbox, &[], &env).await;
    let pool = sandbox.pool().await;
    let client = local_client();
    let url = format!("{}/hooks/crm", serve.url);
    for ((id, body, outcome, deleted, version, email), headers) in steps.iter().zip(&signed) {
        let (status, answer) = post(&client, &url, headers, body.clone())
            .await
            .expect("POST");
        assert_eq!(
            (status, &answer["status"]),
            (200, &json!("queued")),
            "{id}: {answer}"
        );
        wait_drained(&pool, DRAIN_LIMIT).await;
        let job = jobs(&pool)
            .await
            .into_iter()
            .find(|j| j.unique_key.as_deref() == Some(&format!("webhook:crm_events:{id}")))
            .expect("job");
        assert_eq!(
            (job.state.as_str(), job.result.clone()),
            ("done", Some(format!("\"{outcome}\""))),
            "{id}: {job:?}"
        );
        let rows = contact_rows(&pool).await;
        assert_eq!(rows.len(), 1, "{id}: {rows:?}");
        let row = &rows[&500];
        assert_eq!(row._deleted_at.is_some(), *deleted, "{id}: {row:?}");
        let expected_version = stored_version(
            DateTime::parse_from_rfc3339(&at(*version))
                .expect("time")
                .with_timezone(&Utc),
        );
        assert_eq!(
            row._version.as_deref(),
            Some(expected_version.as_str()),
            "{id}: {row:?}"
        );
        let raw: Value = serde_json::from_str(&row._raw).expect("_raw");
        assert_eq!(raw["email"].as_str(), *email, "{id}: {row:?}");
        if *deleted {
            assert_eq!(row._last_change, 3, "{id}: {row:?}");
        } else {
            assert_eq!(row.email.as_deref(), *email, "{id}: {row:?}");
        }
        if *id == "s4" {
            assert_eq!(
                row._last_change, 2,
                "{id}: brought back is an update: {row:?}"
            );
        }
    }
    drop(serve);
}
