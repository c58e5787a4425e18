//! `/metrics`: every number the engine reports (see
//! `holdfast_http::telemetry` for the names), in the Prometheus text format.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::http::header;
use axum::response::IntoResponse;
use chrono::Utc;
use holdfast_store::prelude::*;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;

use crate::error::ServerError;

/// Installs the process-wide recorder (once per process); the handle
/// renders a scrape, and [`upkeep`] keeps it tidy.
pub(crate) fn install() -> Result<PrometheusHandle, ServerError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("_seconds".to_owned()),
            holdfast_http::telemetry::DURATION_BUCKETS,
        )
        .map_err(|e| ServerError::Metrics(format!("cannot set the metrics buckets: {e}")))?
        .install_recorder()
        .map_err(|e| ServerError::Metrics(format!("cannot install the metrics recorder: {e}")))
}

/// Runs the recorder's upkeep every 5 s until `stop`.
pub(crate) async fn upkeep(handle: PrometheusHandle, stop: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = every.tick() => handle.run_upkeep(),
            () = stop.cancelled() => return,
        }
    }
}

/// The `GET /metrics` answer.
pub(crate) fn scrape(handle: &PrometheusHandle) -> impl IntoResponse + use<> {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}

/// Jobs per kind and state.
pub const QUEUE_JOBS: &str = "holdfast_queue_jobs";
/// How long the oldest claimable job has waited (0 when none waits).
pub const QUEUE_OLDEST_READY: &str = "holdfast_queue_oldest_ready_age_seconds";

/// Samples the queue's depth every `every` into gauges (the queue is
/// shared, so every process of a cluster reports the same numbers), until
/// `stop`.
pub(crate) async fn sample_queue(store: Arc<dyn Store>, every: Duration, stop: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    let mut seen: HashSet<(String, &'static str)> = HashSet::new();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.cancelled() => return,
        }
        let now = Utc::now();
        let stats = match store.queue_stats(now).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "could not sample the queue for /metrics");
                continue;
            }
        };
        let mut current = HashSet::new();
        for d in &stats.depth {
            let key = (d.kind.clone(), d.state.as_str());
            metrics::gauge!(QUEUE_JOBS, "kind" => key.0.clone(), "state" => key.1)
                .set(d.count as f64);
            current.insert(key);
        }
        // A kind and state that emptied reads 0, not its last count.
        for (kind, state) in seen.difference(&current) {
            metrics::gauge!(QUEUE_JOBS, "kind" => kind.clone(), "state" => *state).set(0.0);
        }
        seen.extend(current);
        let age = stats
            .oldest_ready
            .map(|o| (now - o.run_at).num_milliseconds().max(0) as f64 / 1000.0)
            .unwrap_or(0.0);
        metrics::gauge!(QUEUE_OLDEST_READY).set(age);
        sample_reconciliations(&*store).await;
    }
}

/// Sets each stream's reconciliation gauges from its last reconciliation
/// in the store, so one run by `holdfast reconcile` or another process shows too.
async fn sample_reconciliations(store: &dyn Store) {
    let recent = match store.reconciliations(None, 1000).await {
        Ok(recent) => recent,
        Err(e) => {
            tracing::warn!(error = %e, "could not read reconciliations for /metrics");
            return;
        }
    };
    let mut seen = HashSet::new();
    for r in recent.iter().filter(|r| seen.insert(r.stream.clone())) {
        holdfast_engine::telemetry::reconciled(r);
    }
}
