//! `holdfast bench webhooks`: webhook ingest measured against a baseline
//! doing the same I/O in the same run, plus the queue's drain rate.
//!
//! Both servers run as child processes on loopback and receive the same
//! pre-signed Standard Webhooks requests from a load generator in this
//! process:
//! - **holdfast**: `holdfast serve` (verify, durably queue with group
//!   commit, answer; its worker applies events to the stream table meanwhile);
//! - **baseline**: a plain axum handler that verifies the same signature and
//!   inserts each event into SQLite in its own transaction before answering
//!   (the straightforward way to "ack only after it is durable").
//!
//! Two phases per server: **throughput** (a closed loop of `concurrency`
//! senders, events acknowledged per second) and **latency** (an open loop
//! offering `rate` events/s; each latency is measured from the request's
//! scheduled send time, so a stalled server cannot hide its queueing).
//! Then **queue**: jobs already queued, claimed, applied and completed by
//! one worker, in jobs per second.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use chrono::Utc;
use hmac::{Hmac, KeyInit as _, Mac as _};
use holdfast_engine::DeclarativeSource;
use holdfast_engine::jobs::WebhookEvent;
use holdfast_engine::worker::{Worker, WorkerConfig};
use holdfast_spec::Env;
use holdfast_store::NewJob;
use holdfast_store::prelude::*;
use holdfast_store_sqlite::SqliteStore;
use holdfast_webhook::{Scheme, Verifier};
use sha2::Sha256;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use super::bench::median;
use crate::cli::{WebhookBaselineArgs, WebhookBenchArgs};

/// The signing secret both servers verify with (a Standard Webhooks test key).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET_ENV: &str = "HOLDFAST_BENCH_WEBHOOK_SECRET";

const CONNECTOR: &str = r#"connections:
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
    verify: { scheme: standard_webhooks, secret: "{{ env.HOLDFAST_BENCH_WEBHOOK_SECRET }}" }
    version: "$.data.updated_at"
    route:
      - stream: contacts
        record: "$.data"
        delete_when: "body.type == 'contact.deleted'"
"#;

/// One signed request.
struct Signed {
    id: String,
    timestamp: String,
    signature: String,
    body: Bytes,
}

/// What one phase measured.
struct Phase {
    acked: usize,
    failed: usize,
    seconds: f64,
    latencies_ms: Vec<f64>,
}

pub(crate) async fn run(args: &WebhookBenchArgs) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("holdfast-bench-webhooks-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("holdfast.yaml");
    std::fs::write(&config, CONNECTOR)?;
    let latency_events = (args.rate as f64 * args.seconds) as usize;
    outln!(
        "bench webhooks: {} events closed-loop ({} senders), then {} events/s offered for {}s; {} runs each",
        args.events,
        args.concurrency,
        args.rate,
        args.seconds,
        args.runs
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency.max(256))
        .build()?;
    let mut results: [Vec<(Phase, Phase)>; 2] = [Vec::new(), Vec::new()];
    let mut serial = 0usize;
    for run in 0..args.runs {
        for k in 0..2 {
            // alternate who goes first, so neither always gets the warm disk
            let who = (run + k) % 2;
            serial += 1;
            let db = dir.join(format!("{}-{serial}.db", ["holdfast", "baseline"][who]));
            let mut server = if who == 0 {
                spawn(&[
                    "serve",
                    "--listen",
                    "127.0.0.1:0",
                    "--config",
                    &config.display().to_string(),
                    "--store",
                    &format!("sqlite://{}", db.display()),
                ])?
            } else {
                spawn(&["bench-webhook-baseline", "--db", &db.display().to_string()])?
            };
            let addr = listening_on(&mut server.1).await?;
            let url = if who == 0 {
                format!("http://{addr}/hooks/crm")
            } else {
                format!("http://{addr}/hooks")
            };
            let warm = sign_events(200, &format!("w{serial}-"));
            closed_loop(&client, &url, warm, 16).await?;
            let events = sign_events(args.events, &format!("t{serial}-"));
            let throughput = closed_loop(&client, &url, events, args.concurrency).await?;
            let events = sign_events(latency_events, &format!("l{serial}-"));
            let latency = open_loop(&client, &url, events, args.rate).await?;
            let _ = server.0.start_kill();
            let _ = server.0.wait().await;
            for p in [&throughput, &latency] {
                if p.failed > 0 {
                    bail!(
                        "{} requests failed against {}",
                        p.failed,
                        ["holdfast", "baseline"][who]
                    );
                }
            }
            results[who].push((throughput, latency));
        }
    }
    outln!(
        "\n{:<10} {:>16} {:>12} {:>12} {:>12}",
        "",
        "acked events/s",
        "p50 ms",
        "p99 ms",
        "max ms"
    );
    let mut summary = Vec::new();
    for (who, name) in ["holdfast", "baseline"].iter().enumerate() {
        let rates: Vec<f64> = results[who]
            .iter()
            .map(|(t, _)| t.acked as f64 / t.seconds)
            .collect();
        let p50 = median(
            results[who]
                .iter()
                .map(|(_, l)| percentile(&l.latencies_ms, 0.50))
                .collect(),
        );
        let p99 = median(
            results[who]
                .iter()
                .map(|(_, l)| percentile(&l.latencies_ms, 0.99))
                .collect(),
        );
        let max = median(
            results[who]
                .iter()
                .map(|(_, l)| percentile(&l.latencies_ms, 1.0))
                .collect(),
        );
        let rate = median(rates.clone());
        outln!(
            "{name:<10} {rate:>16.0} {p50:>12.2} {p99:>12.2} {max:>12.2}   (runs: {})",
            rates
                .iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        summary.push(rate);
    }
    outln!(
        "\nholdfast acknowledges durably at {:.2}x the baseline's rate (latency at {} events/s offered)",
        summary[0] / summary[1],
        args.rate
    );
    let (jobs, seconds) = queue_drain(&dir, args.queue_jobs).await?;
    outln!(
        "queue: {jobs} queued events claimed, applied and completed by one worker in {seconds:.2}s = {:.0} jobs/s",
        jobs as f64 / seconds
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}

/// `bench-webhook-baseline`: verify, insert in its own transaction, answer.
pub(crate) async fn baseline(args: &WebhookBaselineArgs) -> anyhow::Result<ExitCode> {
    let options = SqliteConnectOptions::new()
        .filename(&args.db)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&pool)
        .await?;
    let verifier = Arc::new(Verifier::new(
        Scheme::StandardWebhooks,
        vec![SECRET.to_owned()],
        Duration::from_secs(300),
    )?);
    let app = axum::Router::new()
        .route(
            "/hooks",
            axum::routing::post(
                |State((pool, verifier)): State<(sqlx::SqlitePool, Arc<Verifier>)>,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let Ok(v) = verifier.verify(&headers, &body, SystemTime::now()) else {
                        return StatusCode::UNAUTHORIZED;
                    };
                    let inserted =
                        sqlx::query("INSERT OR IGNORE INTO events (id, body) VALUES (?, ?)")
                            .bind(v.event_id.unwrap_or_default())
                            .bind(String::from_utf8_lossy(&body).into_owned())
                            .execute(&pool)
                            .await;
                    match inserted {
                        Ok(_) => StatusCode::OK,
                        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
                    }
                },
            ),
        )
        .with_state((pool, verifier));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    outln!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(ExitCode::SUCCESS)
}

fn spawn(args: &[&str]) -> anyhow::Result<(Child, tokio::process::ChildStdout)> {
    let exe = std::env::current_exe().context("finding the holdfast binary")?;
    let mut child = Command::new(exe)
        .args(args)
        .env(SECRET_ENV, SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().context("child stdout")?;
    Ok((child, stdout))
}

/// Reads the child's first stdout line: `… listening on http://ADDR`.
async fn listening_on(stdout: &mut tokio::process::ChildStdout) -> anyhow::Result<SocketAddr> {
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await?;
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .and_then(|a| a.parse().ok())
        .with_context(|| format!("the server did not say where it listens: {line:?}"))?;
    Ok(addr)
}

/// `n` events, each a new version of one of 1000 contacts, signed now.
fn sign_events(n: usize, prefix: &str) -> Vec<Signed> {
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

async fn closed_loop(
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

async fn open_loop(
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

/// Queues `n` events straight into a store, then times one worker draining them.
async fn queue_drain(dir: &Path, n: usize) -> anyhow::Result<(usize, f64)> {
    let db = dir.join("queue.db");
    let store = Arc::new(SqliteStore::open(&format!("sqlite://{}", db.display())).await?);
    let shared: Arc<dyn Store> = store.clone();
    let env = Env::from_map([(SECRET_ENV.to_owned(), SECRET.to_owned())].into());
    let spec = Arc::new(holdfast_spec::parse_str(
        CONNECTOR,
        Path::new("bench.yaml"),
        &env,
    )?);
    let source = Arc::new(DeclarativeSource::new(spec, &env)?);
    let worker = Worker::new(shared.clone(), source, WorkerConfig::default())?;
    worker.prepare().await?;
    let now = Utc::now();
    let jobs: Vec<NewJob> = sign_events(n, "q-")
        .into_iter()
        .map(|e| {
            WebhookEvent {
                webhook: "crm_events".into(),
                event_id: e.id,
                received_ms: now.timestamp_millis(),
                headers: Default::default(),
                body: String::from_utf8_lossy(&e.body).into_owned(),
            }
            .to_job()
        })
        .collect();
    for chunk in jobs.chunks(1000) {
        shared.enqueue(chunk, now).await?;
    }
    let started = Instant::now();
    let done = worker.drain().await?;
    let seconds = started.elapsed().as_secs_f64();
    store.close().await;
    if done.claimed as usize != n || done.dead > 0 {
        bail!(
            "the worker claimed {} of {n} jobs ({} dead)",
            done.claimed,
            done.dead
        );
    }
    Ok((n, seconds))
}

fn percentile(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i.min(v.len() - 1)]
}
