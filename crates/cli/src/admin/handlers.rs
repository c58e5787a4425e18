//! The admin API's handlers: each reads the store (or enqueues a job) and
//! answers JSON in the shapes `/openapi.json` describes.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use holdfast_engine::jobs::SyncCall;
use holdfast_spec::Spec;
use holdfast_store::{
    DriftRow, Enqueued, JobFilter, JobId, JobState, QuarantineRow, RequestRow, Requeue, RunId,
    RunOutcome, RunRow,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admin, problem};

/// The most rows a list answers with.
const MAX_LIMIT: u32 = 1000;

/// `?stream=NAME&limit=N` on the list endpoints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    stream: Option<String>,
    limit: Option<u32>,
}

/// `?full_refresh=true` on a sync trigger.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyncQuery {
    #[serde(default)]
    full_refresh: bool,
}

type Answer = Result<Response, Response>;

#[allow(
    clippy::result_large_err,
    reason = "the error is the answer itself, built once per refused request"
)]
fn list_query(
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<(Option<String>, u32), Response> {
    let Query(q) = query.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    let limit = q.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            format!("`limit` must be between 1 and {MAX_LIMIT}, found {limit}"),
        ));
    }
    Ok((q.stream, limit))
}

pub(crate) fn store_error(e: impl std::fmt::Display) -> Response {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("the store cannot be read: {e}"),
    )
}

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A run as `GET /api/runs` and `holdfast runs --json` show it.
pub(crate) fn run_json(r: &RunRow) -> Value {
    json!({
        "id": r.id.0,
        "stream": r.stream,
        "started_at": time(r.started_at),
        "finished_at": r.finished_at.map(time),
        "outcome": r.outcome.as_str(),
        "pages": r.pages,
        "created": r.outcome_counts.created,
        "updated": r.outcome_counts.updated,
        "unchanged": r.outcome_counts.unchanged,
        "quarantined": r.quarantined,
        "error": r.error,
    })
}

/// One HTTP attempt as `GET /api/runs/{id}/requests` and `holdfast runs --requests ID --json` show it.
pub(crate) fn request_json(r: &RequestRow) -> Value {
    json!({
        "run": r.run.map(|r| r.0),
        "stream": r.stream,
        "connection": r.connection,
        "endpoint": r.endpoint,
        "at": time(r.at),
        "method": r.method,
        "url": r.url,
        "status": r.status,
        "duration_ms": r.duration.as_secs_f64() * 1000.0,
        "attempt": r.attempt,
        "bytes": r.bytes,
        "error": r.error,
        "message": r.message,
    })
}

/// A quarantined record as `GET /api/quarantine` and `holdfast quarantine
/// --json` show it; `key` is its primary key (field to value) read from the
/// payload with the stream's `primary_key` (null when the payload lacks it
/// or the file no longer has the stream).
pub(crate) fn quarantine_json(q: &QuarantineRow, spec: Option<&Spec>) -> Value {
    json!({
        "id": q.id,
        "stream": q.stream,
        "key": record_key(spec, &q.stream, &q.raw),
        "run": q.run.0,
        "reason": q.reason,
        "raw": q.raw,
        "violations": q.violations.iter().map(|v| json!({
            "pointer": v.pointer, "message": v.message,
        })).collect::<Vec<_>>(),
        "at": time(q.at),
        "seen": q.seen,
    })
}

/// A quarantined record's primary key, field to value, read from its
/// payload with the stream's `primary_key`.
pub(crate) fn record_key(
    spec: Option<&Spec>,
    stream: &str,
    raw: &str,
) -> Option<serde_json::Map<String, Value>> {
    let fields = &spec?.stream(stream)?.primary_key;
    let record: Value = serde_json::from_str(raw).ok()?;
    let values = holdfast_records::primary_key(&record, fields).ok()?;
    Some(fields.iter().cloned().zip(values).collect())
}

/// A drift event as `GET /api/drift` and `holdfast drift --json` show it.
pub(crate) fn drift_json(d: &DriftRow) -> Value {
    json!({
        "stream": d.stream, "run": d.run.map(|r| r.0), "at": time(d.at),
        "kind": d.kind, "path": d.path, "before": d.before, "after": d.after,
        "example": d.example,
    })
}

/// `GET /readyz`: 200 when the store can be read and written (a small
/// write is committed, as a queued webhook would be); else 503 with why.
pub(crate) async fn ready(State(admin): State<Arc<Admin>>) -> Response {
    let now = Utc::now();
    if let Err(e) = admin.queue.queue_stats(now).await {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: the store cannot be read: {e}"),
        );
    }
    match admin.queue.check_writable(now).await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(e) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: the store cannot be written: {e}"),
        ),
    }
}

/// `GET /api/connections`: each connection's auth and token health.
pub(crate) async fn connections(State(admin): State<Arc<Admin>>) -> Answer {
    let tokens = admin.queue.tokens().await.map_err(store_error)?;
    let list = connections_json(&admin.spec, &tokens);
    Ok(Json(json!({ "connections": list })).into_response())
}

/// Each connection's name, auth type and (OAuth2, session) token health, as
/// `GET /api/connections` and `holdfast status --json` show them.
pub(crate) fn connections_json(spec: &Spec, tokens: &[holdfast_store::StoredToken]) -> Vec<Value> {
    spec.connections
        .iter()
        .map(|(name, c)| {
            let auth = match c.auth {
                holdfast_spec::Auth::None => "none",
                holdfast_spec::Auth::ApiKey { .. } => "api_key",
                holdfast_spec::Auth::Basic { .. } => "basic",
                holdfast_spec::Auth::Bearer { .. } => "bearer",
                holdfast_spec::Auth::OAuth2(_) => "oauth2",
                holdfast_spec::Auth::Session(_) => "session",
            };
            let token = tokens.iter().find(|t| &t.connection == name).map(|t| {
                let s = &t.status;
                json!({
                    "expires_at": s.expires_at.map(time),
                    "last_refresh_at": s.last_refresh_at.map(time),
                    "last_outcome": s.last_outcome,
                    "consecutive_failures": s.consecutive_failures,
                    "needs_reauth": s.needs_reauth,
                })
            });
            json!({ "name": name, "auth": auth, "token": token })
        })
        .collect()
}

/// `GET /api/streams`: each stream with its last run and last success.
pub(crate) async fn streams(State(admin): State<Arc<Admin>>) -> Answer {
    let mut list = Vec::new();
    for s in &admin.spec.streams {
        let runs = admin
            .queue
            .runs(Some(&s.name), 50)
            .await
            .map_err(store_error)?;
        let last_success = runs
            .iter()
            .find(|r| r.outcome == RunOutcome::Succeeded)
            .and_then(|r| r.finished_at);
        list.push(json!({
            "name": s.name,
            "connection": s.connection,
            "table": s.into,
            "parent": s.for_each.as_ref().map(|f| f.stream.clone()),
            "last_run": runs.first().map(run_json),
            "last_success_at": last_success.map(time),
        }));
    }
    Ok(Json(json!({ "streams": list })).into_response())
}

/// `POST /api/streams/{name}/sync`: queues a sync of the stream now.
pub(crate) async fn trigger_sync(
    State(admin): State<Arc<Admin>>,
    name: Result<Path<String>, PathRejection>,
    query: Result<Query<SyncQuery>, QueryRejection>,
) -> Answer {
    let Path(name) = name.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    let Query(q) = query.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    if !admin.spec.streams.iter().any(|s| s.name == name) {
        return Err(problem(
            StatusCode::NOT_FOUND,
            format!("no stream `{name}` in the connector file"),
        ));
    }
    let call = SyncCall {
        stream: name,
        full_refresh: q.full_refresh,
        slot: None,
    };
    let now = Utc::now();
    let queued = admin
        .queue
        .enqueue(&[call.to_job(now)], now)
        .await
        .map_err(store_error)?;
    let id = queued.first().map(|e| e.id().0);
    let status = match queued.first() {
        Some(Enqueued::Duplicate(_)) => "duplicate",
        _ => "queued",
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "job": id, "status": status })),
    )
        .into_response())
}

/// `GET /api/runs`: the latest runs, newest first.
pub(crate) async fn runs(
    State(admin): State<Arc<Admin>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Answer {
    let (stream, limit) = list_query(query)?;
    let runs = admin
        .queue
        .runs(stream.as_deref(), limit)
        .await
        .map_err(store_error)?;
    Ok(listed("runs", &runs, run_json))
}

/// `{"<key>": [row as JSON, …]}`: the answer of every list endpoint.
fn listed<T>(key: &str, rows: &[T], to_json: impl Fn(&T) -> Value) -> Response {
    let list: Vec<Value> = rows.iter().map(to_json).collect();
    Json(json!({ key: list })).into_response()
}

/// `GET /api/runs/{id}/requests`: a run's request log, in order.
pub(crate) async fn run_requests(
    State(admin): State<Arc<Admin>>,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Answer {
    let Path(id) = id.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    let (_, limit) = list_query(query)?;
    let rows = admin
        .queue
        .requests(RunId(id), limit)
        .await
        .map_err(store_error)?;
    Ok(listed("requests", &rows, request_json))
}

/// `GET /api/quarantine`: unresolved quarantined records, newest first.
pub(crate) async fn quarantine(
    State(admin): State<Arc<Admin>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Answer {
    let (stream, limit) = list_query(query)?;
    let rows = admin
        .queue
        .quarantine(stream.as_deref(), limit)
        .await
        .map_err(store_error)?;
    Ok(listed("quarantine", &rows, |q| {
        quarantine_json(q, Some(&admin.spec))
    }))
}

/// `GET /api/drift`: recorded schema drift, newest first.
pub(crate) async fn drift(
    State(admin): State<Arc<Admin>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Answer {
    let (stream, limit) = list_query(query)?;
    let rows = admin
        .queue
        .drift(stream.as_deref(), limit)
        .await
        .map_err(store_error)?;
    Ok(listed("drift", &rows, drift_json))
}

/// `GET /api/queue`: depth per kind and state, the oldest waiting job, dead
/// letters, refused webhook requests.
pub(crate) async fn queue(State(admin): State<Arc<Admin>>) -> Answer {
    let now = Utc::now();
    let stats = admin.queue.queue_stats(now).await.map_err(store_error)?;
    let dead = admin
        .queue
        .jobs(JobFilter {
            state: Some(JobState::Dead),
            kind: None,
            limit: 100,
        })
        .await
        .map_err(store_error)?;
    let rejections = admin.queue.rejections().await.map_err(store_error)?;
    Ok(Json(crate::cmd::queue::queue_json(
        &stats,
        &dead,
        &rejections,
        now,
    ))
    .into_response())
}

/// `POST /api/queue/retry`: every dead job becomes ready again.
pub(crate) async fn retry_dead(State(admin): State<Arc<Admin>>) -> Answer {
    let n = admin
        .queue
        .requeue(Requeue::Dead, Utc::now())
        .await
        .map_err(store_error)?;
    Ok(Json(json!({ "requeued": n })).into_response())
}

/// `POST /api/jobs/{id}/retry`: one dead, ready or done job runs again.
pub(crate) async fn retry_job(
    State(admin): State<Arc<Admin>>,
    id: Result<Path<i64>, PathRejection>,
) -> Answer {
    let Path(id) = id.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    let n = admin
        .queue
        .requeue(Requeue::Job(JobId(id)), Utc::now())
        .await
        .map_err(store_error)?;
    if n == 0 {
        return Err(problem(
            StatusCode::NOT_FOUND,
            format!("no job {id} that can be retried (unknown, or running now)"),
        ));
    }
    Ok(Json(json!({ "requeued": n })).into_response())
}
