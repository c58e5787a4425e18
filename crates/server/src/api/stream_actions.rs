//! What the dashboard's stream view does to one stream: queue a
//! reconciliation (`POST /api/streams/{name}/reconcile`) and retry its
//! quarantine with the current rules (`POST /api/streams/{name}/quarantine/retry`).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use holdfast_engine::Source;
use holdfast_engine::jobs::SyncCall;
use holdfast_engine::quarantine::retry_quarantine;
use serde_json::json;

use super::auth::problem;
use super::state::ApiState;

type Answer = Result<Response, Response>;

/// `POST /api/streams/{name}/reconcile`: queues a reconciliation of a
/// stream with `reconcile:` now (it runs under the stream's lease, like a
/// scheduled one).
pub(crate) async fn trigger_reconcile(
    State(api): State<Arc<ApiState>>,
    name: Result<Path<String>, PathRejection>,
) -> Answer {
    let Path(name) = name.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    let Some(stream) = api.spec.stream(&name) else {
        return Err(problem(
            StatusCode::NOT_FOUND,
            format!("no stream `{name}` in the connector file"),
        ));
    };
    if stream.reconcile.is_none() {
        return Err(problem(
            StatusCode::CONFLICT,
            format!(
                "stream `{name}` has no `reconcile:`; add e.g. `reconcile: {{ missing: report }}` \
                 to the connector file"
            ),
        ));
    }
    let call = SyncCall {
        stream: name,
        full_refresh: false,
        slot: None,
        reconcile: true,
    };
    super::handlers::queue_now(&api, &call).await
}

/// `POST /api/streams/{name}/quarantine/retry`: re-checks the stream's
/// quarantined records with the current rules; the valid ones move into
/// the table (one transaction). Answers how many moved and how many are
/// still invalid.
pub(crate) async fn retry(
    State(api): State<Arc<ApiState>>,
    name: Result<Path<String>, PathRejection>,
) -> Answer {
    let Path(name) = name.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    let Some(info) = api.source.streams().into_iter().find(|s| s.name == name) else {
        return Err(problem(
            StatusCode::NOT_FOUND,
            format!("no stream `{name}` in the connector file"),
        ));
    };
    match retry_quarantine(&*api.store, &info, 100_000).await {
        Ok(s) => Ok(Json(json!({
            "stream": name,
            "run": s.run.0,
            "moved": s.moved,
            "still_invalid": s.still_invalid,
        }))
        .into_response()),
        Err(e) => Err(problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string())),
    }
}
