//! SIGKILL while webhook events pour in: every event that was answered 200
//! is applied after a restart, once; none is applied twice.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{JobRow, Sandbox, Serve, jobs, local_client, post, sign_webhooks, unix_now};
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SENDERS: i64 = 8;
/// Events each sender has ready: more than it can send before the kill.
const PER_SENDER: i64 = 1500;
/// Pour for this long (and until this many acks) before the kill.
const POUR_FOR: Duration = Duration::from_millis(1500);
const MIN_ACKS: u64 = 200;

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
webhooks:
  crm_events:
    path: /hooks/crm
    verify: { scheme: standard_webhooks, secret: "{{ env.CRM_WEBHOOK_SECRET }}", tolerance: 5m }
    version: "$.data.updated_at"
    route:
      - when: "body.type is startingwith('contact.')"
        stream: contacts
        record: "$.data"
"#;

/// One event: its id, contact and body.
struct Event {
    id: String,
    contact: i64,
    version: String,
    body: String,
}

fn event(sender: i64, k: i64) -> Event {
    let contact = sender * 100_000 + k;
    let updated = format!("2024-05-{:02}T12:00:{:02}Z", 1 + sender, k % 60);
    let body = json!({
        "type": "contact.updated",
        "data": { "id": contact, "email": format!("p{contact}@example.com"), "updated_at": updated },
    })
    .to_string();
    Event {
        id: format!("crash-{sender}-{k}"),
        contact,
        version: format!("t{}", updated.replace('Z', ".000000000Z")),
        body,
    }
}

/// An event ready to send: its id, body and signature headers.
type Signed = (String, String, Vec<(String, String)>);

/// What became of one request.
#[derive(Debug, Clone)]
enum Sent {
    /// 200, `queued` or `duplicate`.
    Acked,
    /// The connection failed (the server died).
    Failed(String),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_while_events_pour_in() {
    let sandbox = Sandbox::new();
    sandbox.write_config(CONFIG);
    let env = [("CRM_WEBHOOK_SECRET", SECRET)];

    let events: Vec<Vec<Event>> = (0..SENDERS)
        .map(|s| (0..PER_SENDER).map(|k| event(s, k)).collect())
        .collect();
    let now = unix_now();
    let requests: Vec<Value> = events
        .iter()
        .flatten()
        .map(|e| {
            json!({ "scheme": "standard_webhooks", "secret": SECRET, "id": e.id, "timestamp": now, "body": e.body })
        })
        .collect();
    let mut signed = sign_webhooks(&requests).into_iter();
    let batches: Vec<Vec<Signed>> = events
        .iter()
        .map(|list| {
            list.iter()
                .map(|e| (e.id.clone(), e.body.clone(), signed.next().expect("signed")))
                .collect()
        })
        .collect();

    let mut serve = Serve::start(&sandbox, &["--workers", "2"], &env).await;
    let pool = sandbox.pool().await;
    let url = format!("{}/hooks/crm", serve.url);
    let acks = Arc::new(AtomicU64::new(0));
    let client = local_client();
    let mut senders = tokio::task::JoinSet::new();
    for batch in batches {
        let (client, url, acks) = (client.clone(), url.clone(), acks.clone());
        senders.spawn(async move {
            let mut outcomes: Vec<(String, Sent)> = Vec::new();
            for (id, body, headers) in batch {
                match post(&client, &url, &headers, body).await {
                    Ok((200, answer)) => {
                        assert_eq!(answer["event_id"], json!(id), "{answer}");
                        assert!(
                            answer["status"] == "queued" || answer["status"] == "duplicate",
                            "{answer}"
                        );
                        acks.fetch_add(1, Ordering::Relaxed);
                        outcomes.push((id, Sent::Acked));
                    }
                    Ok((status, answer)) => {
                        panic!("event {id}: unexpected answer {status} {answer}")
                    }
                    Err(e) => {
                        // the server is gone: this sender stops here
                        outcomes.push((id, Sent::Failed(e.to_string())));
                        break;
                    }
                }
            }
            outcomes
        });
    }

    // Let them pour, then SIGKILL mid-stream.
    let started = Instant::now();
    // (a fast machine stops early, while every sender still has events left)
    let half = (SENDERS * PER_SENDER / 2) as u64;
    loop {
        let n = acks.load(Ordering::Relaxed);
        if n >= half || (n >= MIN_ACKS && started.elapsed() >= POUR_FOR) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "only {} events acknowledged in 20 s\n{}",
            acks.load(Ordering::Relaxed),
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    serve.child.start_kill().expect("SIGKILL");
    let status = serve.child.wait().await.expect("reap");
    assert_eq!(status.code(), None, "killed by a signal: {status}");
    let killed_after = started.elapsed();

    let mut acked: BTreeSet<String> = BTreeSet::new();
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let mut cut_short = 0;
    let mut why: Option<String> = None;
    while let Some(done) = senders.join_next().await {
        let outcomes = done.expect("sender task");
        if matches!(outcomes.last(), Some((_, Sent::Failed(_)))) {
            cut_short += 1;
        }
        for (id, sent) in outcomes {
            match sent {
                Sent::Acked => acked.insert(id),
                Sent::Failed(e) => {
                    why.get_or_insert(e);
                    failed.insert(id)
                }
            };
        }
    }
    assert_eq!(
        cut_short, SENDERS,
        "a sender ran out of events before serve was killed (not mid-stream); make PER_SENDER larger"
    );
    eprintln!(
        "killed after {killed_after:?}: {} acknowledged, {} failed in flight ({})",
        acked.len(),
        failed.len(),
        why.unwrap_or_default()
    );

    // What the killed process left: queued jobs, some possibly claimed
    // (`running` under its 60 s lease). The restarted serve sees that the
    // claimant's process is gone and releases them at once.
    let before: Vec<JobRow> = jobs(&pool).await;
    let running = before.iter().filter(|j| j.state == "running").count();
    let pending = before
        .iter()
        .filter(|j| j.state == "ready" || j.state == "running")
        .count();
    eprintln!(
        "at the kill: {} jobs, {pending} not yet applied ({running} claimed)",
        before.len()
    );
    // Every acknowledged event is in the queue already, before the restart.
    let queued_keys: BTreeSet<String> =
        before.iter().filter_map(|j| j.unique_key.clone()).collect();
    for id in &acked {
        assert!(
            queued_keys.contains(&format!("webhook:crm_events:{id}")),
            "event {id} was acknowledged but is not in the queue"
        );
    }

    let serve = Serve::start(&sandbox, &["--workers", "2"], &env).await;
    common::wait_drained(&pool, Duration::from_secs(30)).await;

    let after = jobs(&pool).await;
    let mut per_key: BTreeMap<String, Vec<&JobRow>> = BTreeMap::new();
    for j in &after {
        per_key
            .entry(j.unique_key.clone().expect("unique key"))
            .or_default()
            .push(j);
    }
    assert_eq!(per_key.len(), after.len(), "one job per unique key");
    let not_done: Vec<&JobRow> = after.iter().filter(|j| j.state != "done").collect();
    assert!(
        not_done.is_empty(),
        "every queued event applied: {not_done:?}"
    );
    for j in &after {
        assert_eq!(
            j.result.as_deref(),
            Some("\"created\""),
            "each event creates its own contact, once: {j:?}"
        );
    }

    let rows: Vec<(i64, String, String, i64)> =
        sqlx::query_as("SELECT id, _version, email, _last_change FROM contacts")
            .fetch_all(&pool)
            .await
            .expect("contacts");
    let rows: BTreeMap<i64, (String, String, i64)> = rows
        .into_iter()
        .map(|(id, v, e, c)| (id, (v, e, c)))
        .collect();
    assert_eq!(
        rows.len(),
        after.len(),
        "one row per applied event, no event applied twice"
    );
    let by_id: BTreeMap<&str, &Event> = events
        .iter()
        .flatten()
        .map(|e| (e.id.as_str(), e))
        .collect();
    for id in &acked {
        let e = by_id[id.as_str()];
        let row = rows
            .get(&e.contact)
            .unwrap_or_else(|| panic!("acknowledged event {id} was not applied"));
        assert_eq!(row.0, e.version, "event {id}");
        assert_eq!(row.1, format!("p{}@example.com", e.contact), "event {id}");
        assert_eq!(row.2, 1, "created once: event {id}");
        assert_eq!(
            per_key[&format!("webhook:crm_events:{id}")].len(),
            1,
            "event {id}: one job"
        );
    }
    // Rows beyond the acknowledged ones can only be events whose answer was
    // lost in the kill.
    for j in &after {
        let id = j
            .unique_key
            .as_deref()
            .and_then(|k| k.strip_prefix("webhook:crm_events:"))
            .expect("an event key");
        assert!(
            acked.contains(id) || failed.contains(id),
            "job {j:?} is neither acknowledged nor in flight at the kill"
        );
    }
    drop(serve);
}
