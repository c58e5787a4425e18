//! Both servers measured in turn, then the queue's drain rate.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail};
use chrono::Utc;
use holdfast_engine::DeclarativeSource;
use holdfast_engine::jobs::WebhookEvent;
use holdfast_engine::worker::{Worker, WorkerConfig};
use holdfast_spec::Env;
use holdfast_store::NewJob;
use holdfast_store::prelude::*;
use holdfast_store_sqlite::SqliteStore;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use super::load::{Phase, SECRET, SECRET_ENV, closed_loop, open_loop, sign_events};
use crate::args::WebhookBenchArgs;
use crate::report::Report;
use crate::stats::{median, percentile};

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

/// `holdfast bench webhooks`: both servers, run by run, then the queue drain.
///
/// # Errors
/// A server that does not start, or requests that fail.
pub(crate) async fn run(args: &WebhookBenchArgs, report: Report) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("holdfast-bench-webhooks-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("holdfast.yaml");
    std::fs::write(&config, CONNECTOR)?;
    let latency_events = (args.rate as f64 * args.seconds) as usize;
    say!(
        report,
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
    say!(
        report,
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
        say!(
            report,
            "{name:<10} {rate:>16.0} {p50:>12.2} {p99:>12.2} {max:>12.2}   (runs: {})",
            rates
                .iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        summary.push(rate);
    }
    say!(
        report,
        "\nholdfast acknowledges durably at {:.2}x the baseline's rate (latency at {} events/s offered)",
        summary[0] / summary[1],
        args.rate
    );
    let (jobs, seconds) = queue_drain(&dir, args.queue_jobs).await?;
    say!(
        report,
        "queue: {jobs} queued events claimed, applied and completed by one worker in {seconds:.2}s = {:.0} jobs/s",
        jobs as f64 / seconds
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}

/// Starts this binary with `args` and the signing secret in its environment.
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
