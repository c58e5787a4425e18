//! `GET /api/charts`: the dashboard's charts over the last 24 hours, records
//! per hour per stream (from runs) and p95 latency per endpoint per hour
//! (from the request logs of the latest runs), with bounded reads.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::{Value, json};

use super::auth::store_error;
use super::state::ApiState;
use super::views::time;

/// Hours the charts cover.
const HOURS: usize = 24;
/// The most runs read for the charts.
const MAX_RUNS: u32 = 1000;
/// The most runs whose request log is read for latency.
const MAX_LOGGED_RUNS: usize = 100;
/// The most requests read per run.
const MAX_REQUESTS: u32 = 1000;

/// `GET /api/charts`: `hours` (the start of each hourly bucket, oldest
/// first), `records` (per stream, records created+updated+unchanged by runs
/// that finished in each hour), `latency` (per endpoint, the p95 duration in
/// ms of the attempts in each hour, `null` when none) and `endpoints` (per
/// endpoint over the 24 hours: attempts, failures, p95).
pub(crate) async fn charts(State(api): State<Arc<ApiState>>) -> Result<Response, Response> {
    let now = Utc::now();
    let current = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let first = current - Duration::hours(HOURS as i64 - 1);
    let bucket = |t: DateTime<Utc>| -> Option<usize> {
        if t < first {
            return None;
        }
        let i = usize::try_from((t - first).num_hours()).ok()?;
        (i < HOURS).then_some(i)
    };

    let runs = api.store.runs(None, MAX_RUNS).await.map_err(store_error)?;
    let mut records: BTreeMap<String, Vec<u64>> = api
        .spec
        .streams
        .iter()
        .map(|s| (s.name.clone(), vec![0; HOURS]))
        .collect();
    for r in &runs {
        let Some(i) = r.finished_at.and_then(bucket) else {
            continue;
        };
        let c = &r.outcome_counts;
        let row = records
            .entry(r.stream.clone())
            .or_insert_with(|| vec![0; HOURS]);
        row[i] += c.created + c.updated + c.unchanged;
    }

    let mut durations: BTreeMap<(String, String), Vec<Vec<f64>>> = BTreeMap::new();
    let recent = runs
        .iter()
        .filter(|r| r.started_at >= first || r.finished_at.is_some_and(|f| f >= first))
        .take(MAX_LOGGED_RUNS);
    for r in recent {
        let rows = api
            .store
            .requests(r.id, MAX_REQUESTS)
            .await
            .map_err(store_error)?;
        for q in rows {
            let Some(i) = bucket(q.at) else { continue };
            let endpoint = q.endpoint.clone().unwrap_or_else(|| path_of(&q.url));
            durations
                .entry((q.connection.clone(), endpoint))
                .or_insert_with(|| vec![Vec::new(); HOURS])[i]
                .push(q.duration.as_secs_f64() * 1000.0);
        }
    }

    let stats = api.store.endpoint_stats(first).await.map_err(store_error)?;
    let hours: Vec<String> = (0..HOURS)
        .map(|i| time(first + Duration::hours(i as i64)))
        .collect();
    let records: Vec<Value> = records
        .into_iter()
        .map(|(stream, counts)| json!({ "stream": stream, "counts": counts }))
        .collect();
    let latency: Vec<Value> = durations
        .into_iter()
        .map(|((connection, endpoint), mut hours)| {
            let p95: Vec<Option<f64>> = hours.iter_mut().map(|d| p95(d)).collect();
            json!({ "connection": connection, "endpoint": endpoint, "p95_ms": p95 })
        })
        .collect();
    let endpoints: Vec<Value> = stats
        .iter()
        .map(|e| {
            json!({
                "connection": e.connection, "endpoint": e.endpoint,
                "attempts": e.attempts, "failed": e.failed,
                "p95_ms": e.p95.as_secs_f64() * 1000.0,
            })
        })
        .collect();
    Ok(Json(json!({
        "hours": hours, "records": records, "latency": latency, "endpoints": endpoints,
    }))
    .into_response())
}

/// The 95th percentile (nearest rank) of `values`, `None` when empty.
fn p95(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = (values.len() as f64 * 0.95).ceil() as usize;
    values.get(rank.saturating_sub(1)).copied()
}

/// The path of a logged URL (without its query), for requests logged
/// without an endpoint name.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split('?').next().unwrap_or(path).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p95_is_the_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(p95(&mut v), Some(95.0));
        assert_eq!(p95(&mut []), None);
        assert_eq!(p95(&mut [7.0]), Some(7.0));
    }

    #[test]
    fn the_path_drops_host_and_query() {
        assert_eq!(path_of("http://h:1/v2/x?cursor=a"), "/v2/x");
        assert_eq!(path_of("http://h"), "/");
    }
}
