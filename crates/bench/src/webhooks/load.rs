//! The load generator: signed Standard Webhooks requests, sent closed-loop
//! (throughput) or open-loop (latency at an offered rate).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use base64::Engine as _;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

/// The signing secret both servers verify with (a Standard Webhooks test key).
pub(super) const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub(super) const SECRET_ENV: &str = "HOLDFAST_BENCH_WEBHOOK_SECRET";

/// One signed request.
pub(super) struct Signed {
    pub(super) id: String,
    pub(super) timestamp: String,
    pub(super) signature: String,
    pub(super) body: Bytes,
}

/// What one phase measured.
pub(super) struct Phase {
    pub(super) acked: usize,
    pub(super) failed: usize,
    pub(super) seconds: f64,
    pub(super) latencies_ms: Vec<f64>,
}

/// `n` events, each a new version of one of 1000 contacts, signed now.
pub(super) fn sign_events(n: usize, prefix: &str) -> Vec<Signed> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap_or_default();
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        .to_string();
    (0..n)
        .map(|i| {
            let id = format!("{prefix}{i}");
            let body = format!(
                r#"{{"type":"contact.updated","data":{{"id":{},"email":"user{i}@example.com","updated_at":"2024-06-01T00:00:00.{:06}Z"}}}}"#,
                i % 1000,
                i
            );
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
            mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
            let signature = format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
            );
            Signed {
                id,
                timestamp: timestamp.clone(),
                signature,
                body: Bytes::from(body),
            }
        })
        .collect()
}

/// Sends one signed event: whether it was acknowledged.
async fn send(client: &reqwest::Client, url: &str, e: &Signed) -> bool {
    client
        .post(url)
        .header("webhook-id", &e.id)
        .header("webhook-timestamp", &e.timestamp)
        .header("webhook-signature", &e.signature)
        .header("content-type", "application/json")
        .body(e.body.clone())
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// `events` sent by `concurrency` senders, each sending its next as soon as
/// the last is answered.
pub(super) async fn closed_loop(
    client: &reqwest::Client,
    url: &str,
    events: Vec<Signed>,
    concurrency: usize,
) -> anyhow::Result<Phase> {
    let events = Arc::new(events);
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (events, next, failed, client, url) = (
            events.clone(),
            next.clone(),
            failed.clone(),
            client.clone(),
            url.to_owned(),
        );
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(e) = events.get(i) else { return };
                if !send(&client, &url, e).await {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let failed = failed.load(Ordering::Relaxed);
    Ok(Phase {
        acked: events.len() - failed,
        failed,
        seconds: started.elapsed().as_secs_f64(),
        latencies_ms: Vec::new(),
    })
}

/// `events` offered at `rate` per second whatever the answers; each latency
/// counts from the event's scheduled send time.
pub(super) async fn open_loop(
    client: &reqwest::Client,
    url: &str,
    events: Vec<Signed>,
    rate: u64,
) -> anyhow::Result<Phase> {
    let started = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, e) in events.into_iter().enumerate() {
        let due = started + Duration::from_secs_f64(i as f64 / rate as f64);
        tokio::time::sleep_until(due).await;
        let (client, url) = (client.clone(), url.to_owned());
        tasks.spawn(async move {
            let ok = send(&client, &url, &e).await;
            (ok, due.elapsed().as_secs_f64() * 1000.0)
        });
    }
    let mut phase = Phase {
        acked: 0,
        failed: 0,
        seconds: 0.0,
        latencies_ms: Vec::new(),
    };
    while let Some(done) = tasks.join_next().await {
        let (ok, ms) = done?;
        if ok {
            phase.acked += 1;
            phase.latencies_ms.push(ms);
        } else {
            phase.failed += 1;
        }
    }
    phase.seconds = started.elapsed().as_secs_f64();
    Ok(phase)
}
