//! `holdfast serve`: the long-running process. It receives webhooks
//! (verified, then durably queued before the 2xx), accepts actions on the
//! admin API, and runs workers that apply queued events and perform queued
//! actions. SIGINT/SIGTERM stop it gracefully; a SIGKILL loses nothing that
//! was acknowledged (the queue is in the store). `/metrics` serves the
//! process's numbers in the Prometheus text format. Slow and greedy clients
//! are bounded (header and request timeouts, a connection limit, body
//! limits: see `crate::listen`).

use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use holdfast_engine::Sources;
use holdfast_engine::jobs::ActionCall;
use holdfast_engine::worker::{Worker, WorkerConfig};
use holdfast_spec::{Env, Spec};
use holdfast_store::{Enqueued, JobQueue};
use holdfast_webhook::Ingest;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::cli::{Cli, ServeArgs};
use crate::context::{self, load_spec, open_store};
use crate::listen::Limits;

use crate::admin::{ADMIN_TOKEN, problem};

pub(crate) async fn run(cli: &Cli, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let metrics = crate::metrics::install()?;
    let mut env = Env::from_process();
    let Some(spec) = load_spec(cli, &mut env).await else {
        return Ok(ExitCode::from(2));
    };
    let store = open_store(cli, Some(&spec), &env).await?;
    let queue: Arc<dyn JobQueue> = store.queue();
    crate::metrics::sample_queue(queue.clone(), std::time::Duration::from_secs(5));
    let source = Arc::new(context::source(cli, spec.clone(), &env, &store)?);
    // one waker for all workers: each enqueue wakes one idle worker
    let wake = Arc::new(tokio::sync::Notify::new());
    let acks = Arc::new(holdfast_engine::worker::AckClock::default());
    let mut workers = Vec::new();
    for i in 0..args.workers.max(1) {
        let config = WorkerConfig {
            id: holdfast_engine::worker::worker_id(i),
            ..WorkerConfig::default()
        };
        let worker = Worker::new(queue.clone(), source.clone(), config)?
            .with_waker(wake.clone())
            .with_ack_clock(acks.clone());
        workers.push(worker);
    }
    if let Some(first) = workers.first() {
        first.prepare().await?;
    }
    // a previous serve on this host killed mid-batch: its jobs go again now
    let released = holdfast_engine::worker::release_dead_claims(&*queue).await?;
    if released > 0 {
        errln!(
            "holdfast serve: released {} claimed by a holdfast process that is gone",
            crate::plural::count(released, "job")
        );
    }
    let ingest = Ingest::start_with_clock(queue.clone(), wake.clone(), acks);
    let (hooks, _rejections) =
        holdfast_webhook::router(&spec, &env, ingest.clone(), queue.clone())?;
    let token = context::admin_token(&env, &store).await?;
    let api = crate::admin::router(Arc::new(crate::admin::Admin {
        spec: spec.clone(),
        queue: queue.clone(),
        token: token.clone(),
    }));
    let admin = Arc::new(Admin {
        spec: spec.clone(),
        source: source.clone(),
        ingest,
        token,
    });
    let limits = Limits::from_args(args);
    let routes = Router::new()
        .merge(api)
        .route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move { crate::metrics::scrape(&metrics) }
            }),
        )
        .route(
            "/api/actions/{name}",
            post(enqueue_action).with_state(admin),
        );
    // webhooks keep their own `max_body`; everything else gets `--max-api-body`
    let app = limits.bound_time(limits.bound_bodies(routes).merge(hooks));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {}: {e} (is another process using it? try --listen 127.0.0.1:0)",
                args.listen
            )
        })?;
    let bound = listener.local_addr()?;
    outln!("holdfast serve: listening on http://{bound}");
    for w in &spec.webhooks {
        outln!("  webhook {:<20} POST http://{bound}{}", w.name, w.path);
    }
    if !spec.actions.is_empty() {
        outln!(
            "  actions              POST http://{bound}/api/actions/NAME (bearer {ADMIN_TOKEN})"
        );
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let pruning = queue.clone();
    let keep = chrono::Duration::from_std(args.keep_done).unwrap_or(chrono::Duration::days(7));
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match pruning.prune_done(Utc::now() - keep).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "pruned finished jobs"),
                Err(e) => tracing::warn!(error = %e, "could not prune finished jobs"),
            }
        }
    });
    // Keep-alive: idle OAuth2 credentials are renewed every
    // `refresh_at_least_every` (and ahead of expiry) even with no sync running.
    let credentials = source.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            credentials.keep_credentials_alive().await;
        }
    });
    let mut tasks = tokio::task::JoinSet::new();
    // `--workers 0`: this process receives, schedules, serves the API and
    // evaluates alerts; other processes on the store work the queue
    for worker in workers.into_iter().take(args.workers) {
        let mut stop = stop_rx.clone();
        tasks.spawn(async move {
            worker
                .run(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
        });
    }
    // Schedules (#7): each slot's sync is one queued job across processes;
    // sync workers run them under the stream's lease, apart from webhook work.
    spawn_schedules(
        &spec,
        &queue,
        &source,
        args.workers.max(1),
        args.workers > 0,
        &stop_rx,
        &mut tasks,
    )?;
    crate::alerting::spawn(
        spec.clone(),
        &env,
        queue.clone(),
        args.alerts_every,
        format!("{}:alerts", holdfast_engine::worker::worker_id(0)),
        stop_rx.clone(),
    )?;
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    crate::listen::serve(listener, app, limits, stop_rx.clone()).await;
    while tasks.join_next().await.is_some() {}
    holdfast_engine::Source::disconnect(&*source).await;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Starts the scheduler and, when `run_syncs`, one sync worker per
/// scheduled stream (at least one, for syncs queued by hand; at most 8), printing each schedule. A stop
/// on `stop` lets a running sync commit its current page, put its job back
/// and give its stream lease up.
fn spawn_schedules(
    spec: &Spec,
    queue: &Arc<dyn JobQueue>,
    source: &Arc<Sources>,
    first_id: usize,
    run_syncs: bool,
    stop: &watch::Receiver<bool>,
    tasks: &mut tokio::task::JoinSet<()>,
) -> anyhow::Result<()> {
    use holdfast_engine::schedule::{CancellationToken, Scheduler, SyncWorker, SyncWorkerConfig};
    let scheduler = Scheduler::from_spec(queue.clone(), spec).map_err(anyhow::Error::msg)?;
    for s in scheduler.streams() {
        outln!("  schedule {:<20} {}", s.name, s.slots);
    }
    let token = CancellationToken::new();
    let (cancel, mut stop) = (token.clone(), stop.clone());
    tokio::spawn(async move {
        let _ = stop.wait_for(|s| *s).await;
        cancel.cancel();
    });
    let wake = Arc::new(tokio::sync::Notify::new());
    let source: Arc<dyn holdfast_engine::Source> = source.clone();
    let sync_workers = if run_syncs {
        scheduler.streams().count().clamp(1, 8)
    } else {
        0
    };
    for i in 0..sync_workers {
        let config = SyncWorkerConfig {
            id: holdfast_engine::worker::worker_id(first_id + i),
            ..SyncWorkerConfig::default()
        };
        let worker =
            SyncWorker::new(queue.clone(), source.clone(), config).with_waker(wake.clone());
        let token = token.clone();
        tasks.spawn(async move { worker.run(token).await });
    }
    tasks.spawn(scheduler.with_waker(wake).run(token));
    Ok(())
}

struct Admin {
    spec: Arc<Spec>,
    source: Arc<Sources>,
    ingest: Ingest,
    token: Option<String>,
}

/// `POST /api/actions/{name}` with the input as the JSON body: queues the
/// action (202); the same idempotency key twice is one job.
async fn enqueue_action(
    State(admin): State<Arc<Admin>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = crate::admin::authorize(admin.token.as_deref(), &headers) {
        return refused;
    }
    let Some(action) = admin.spec.action(&name) else {
        return problem(
            StatusCode::NOT_FOUND,
            format!("no action `{name}` in the connector file"),
        );
    };
    let input: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                format!("the body must be the action's input as JSON: {e}"),
            );
        }
    };
    let key = match admin.source.idempotency_key(&name, &input) {
        Ok(k) => k,
        Err(e) => return problem(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    let call = ActionCall {
        action: name,
        input,
        idempotency_key: key.clone(),
    };
    match admin
        .ingest
        .enqueue(call.to_job(action.max_attempts, Utc::now()))
        .await
    {
        Ok(Enqueued::Created(id)) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({ "job": id.0, "status": "queued", "idempotency_key": key })),
        )
            .into_response(),
        Ok(Enqueued::Duplicate(id)) => (
            StatusCode::OK,
            axum::Json(json!({ "job": id.0, "status": "duplicate", "idempotency_key": key })),
        )
            .into_response(),
        Err(e) => problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
