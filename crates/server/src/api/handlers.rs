//! The admin API's handlers: each reads the store (or enqueues a job) and
//! answers JSON in the shapes `/openapi.json` describes.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use holdfast_engine::jobs::SyncCall;
use holdfast_store::{Enqueued, JobFilter, JobId, JobState, Requeue, RunId, RunOutcome};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{problem, store_error};
use super::state::ApiState;
use super::views::{connections_json, drift_json, quarantine_json, request_json, run_json, time};

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

/// `GET /readyz`: 200 when the store can be read and written (a small
/// write is committed, as a queued webhook would be); else 503 with why.
pub(crate) async fn ready(State(api): State<Arc<ApiState>>) -> Response {
    let now = Utc::now();
    if let Err(e) = api.store.queue_stats(now).await {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: the store cannot be read: {e}"),
        );
    }
    match api.store.check_writable(now).await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(e) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: the store cannot be written: {e}"),
        ),
    }
}

/// `GET /api/connections`: each connection's auth and token health.
pub(crate) async fn connections(State(api): State<Arc<ApiState>>) -> Answer {
    let tokens = api.store.tokens().await.map_err(store_error)?;
    let list = connections_json(&api.spec, &tokens);
    Ok(Json(json!({ "connections": list })).into_response())
}

/// `GET /api/streams`: each stream with its last run and last success.
pub(crate) async fn streams(State(api): State<Arc<ApiState>>) -> Answer {
    let mut list = Vec::new();
    for s in &api.spec.streams {
        let runs = api
            .store
            .runs(Some(&s.name), 50)
            .await
            .map_err(store_error)?;
        let last_success = runs
            .iter()
            .find(|r| r.outcome == RunOutcome::Succeeded)
            .and_then(|r| r.finished_at);
        let reconciled = api
            .store
            .reconciliations(Some(&s.name), 1)
            .await
            .map_err(store_error)?;
        list.push(json!({
            "name": s.name,
            "connection": s.connection,
            "table": s.into,
            "parent": s.for_each.as_ref().map(|f| f.stream.clone()),
            "last_run": runs.first().map(run_json),
            "last_success_at": last_success.map(time),
            "reconcile": s.reconcile.is_some(),
            "last_reconciliation": reconciled.first().map(super::views::reconciliation_json),
        }));
    }
    Ok(Json(json!({ "streams": list })).into_response())
}

/// `POST /api/streams/{name}/sync`: queues a sync of the stream now.
pub(crate) async fn trigger_sync(
    State(api): State<Arc<ApiState>>,
    name: Result<Path<String>, PathRejection>,
    query: Result<Query<SyncQuery>, QueryRejection>,
) -> Answer {
    let Path(name) = name.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    let Query(q) = query.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    if !api.spec.stream_names().contains(&name.as_str()) {
        return Err(problem(
            StatusCode::NOT_FOUND,
            format!("no stream `{name}` in the connector file"),
        ));
    }
    let call = SyncCall {
        stream: name,
        full_refresh: q.full_refresh,
        slot: None,
        reconcile: false,
    };
    queue_now(&api, &call).await
}

/// Queues `call` to run now; answers 202 with the job and whether it was
/// `queued` or a `duplicate` of one waiting.
pub(super) async fn queue_now(api: &ApiState, call: &SyncCall) -> Answer {
    let now = Utc::now();
    let queued = api
        .store
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
    State(api): State<Arc<ApiState>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Answer {
    let (stream, limit) = list_query(query)?;
    let runs = api
        .store
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
    State(api): State<Arc<ApiState>>,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Answer {
    let Path(id) = id.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    let (_, limit) = list_query(query)?;
    let rows = api
        .store
        .requests(RunId(id), limit)
        .await
        .map_err(store_error)?;
    Ok(listed("requests", &rows, request_json))
}

/// `GET /api/quarantine`: unresolved quarantined records, newest first.
pub(crate) async fn quarantine(
    State(api): State<Arc<ApiState>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Answer {
    let (stream, limit) = list_query(query)?;
    let rows = api
        .store
        .quarantine(stream.as_deref(), limit)
        .await
        .map_err(store_error)?;
    Ok(listed("quarantine", &rows, |q| {
        quarantine_json(q, Some(&api.spec))
    }))
}

/// `GET /api/drift`: recorded schema drift, newest first.
pub(crate) async fn drift(
    State(api): State<Arc<ApiState>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Answer {
    let (stream, limit) = list_query(query)?;
    let rows = api
        .store
        .drift(stream.as_deref(), limit)
        .await
        .map_err(store_error)?;
    Ok(listed("drift", &rows, drift_json))
}

/// `GET /api/queue`: depth per kind and state, the oldest waiting job, dead
/// letters, refused webhook requests.
pub(crate) async fn queue(State(api): State<Arc<ApiState>>) -> Answer {
    let now = Utc::now();
    let stats = api.store.queue_stats(now).await.map_err(store_error)?;
    let dead = api
        .store
        .jobs(JobFilter {
            state: Some(JobState::Dead),
            kind: None,
            limit: 100,
        })
        .await
        .map_err(store_error)?;
    let rejections = api.store.rejections().await.map_err(store_error)?;
    Ok(Json(super::views::queue_json(&stats, &dead, &rejections, now)).into_response())
}

/// `POST /api/queue/retry`: every dead job becomes ready again.
pub(crate) async fn retry_dead(State(api): State<Arc<ApiState>>) -> Answer {
    let n = api
        .store
        .requeue(Requeue::Dead, Utc::now())
        .await
        .map_err(store_error)?;
    Ok(Json(json!({ "requeued": n })).into_response())
}

/// `POST /api/jobs/{id}/retry`: one dead, ready or done job runs again.
pub(crate) async fn retry_job(
    State(api): State<Arc<ApiState>>,
    id: Result<Path<i64>, PathRejection>,
) -> Answer {
    let Path(id) = id.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    let n = api
        .store
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
