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

/// Installs the process-wide recorder (once) and keeps it tidy; the handle renders a scrape.
pub(crate) fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("_seconds".to_owned()),
            holdfast_http::telemetry::DURATION_BUCKETS,
        )
        .map_err(|e| anyhow::anyhow!("cannot set the metrics buckets: {e}"))?
        .install_recorder()
        .map_err(|e| anyhow::anyhow!("cannot install the metrics recorder: {e}"))?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
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
pub(crate) const QUEUE_JOBS: &str = "holdfast_queue_jobs";
/// How long the oldest claimable job has waited (0 when none waits).
pub(crate) const QUEUE_OLDEST_READY: &str = "holdfast_queue_oldest_ready_age_seconds";

/// Samples the queue's depth every `every` into gauges (the queue is
/// shared, so every process of a cluster reports the same numbers).
pub(crate) fn sample_queue(queue: Arc<dyn JobQueue>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        let mut seen: HashSet<(String, &'static str)> = HashSet::new();
        loop {
            tick.tick().await;
            let now = Utc::now();
            let stats = match queue.queue_stats(now).await {
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
        }
    });
}
