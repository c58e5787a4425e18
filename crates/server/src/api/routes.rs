//! The admin API's routes.

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use serde_json::json;

use super::state::ApiState;
use super::{alerts, auth, changes, charts, handlers, openapi, records, stream_actions};

/// `/api/…` (token checked), `/openapi.json`, `/healthz`, `/readyz`, and
/// the dashboard (`/`, `/assets/…`; open, it asks for the token itself).
pub(crate) fn router(api: Arc<ApiState>) -> Router {
    let guarded = Router::new()
        .route("/api/connections", get(handlers::connections))
        .route("/api/streams", get(handlers::streams))
        .route("/api/streams/{name}/sync", post(handlers::trigger_sync))
        .route(
            "/api/streams/{name}/reconcile",
            post(stream_actions::trigger_reconcile),
        )
        .route(
            "/api/streams/{name}/quarantine/retry",
            post(stream_actions::retry),
        )
        .route("/api/runs", get(handlers::runs))
        .route("/api/runs/{id}/requests", get(handlers::run_requests))
        .route("/api/quarantine", get(handlers::quarantine))
        .route("/api/drift", get(handlers::drift))
        .route("/api/queue", get(handlers::queue))
        .route("/api/queue/retry", post(handlers::retry_dead))
        .route("/api/alerts", get(alerts::list))
        .route("/api/charts", get(charts::charts))
        .route("/api/jobs/{id}/retry", post(handlers::retry_job))
        .route_layer(middleware::from_fn_with_state(api.clone(), auth::bearer));
    let readable = Router::new()
        .route("/api/streams/{name}/records", get(records::records))
        .route("/api/streams/{name}/changes", get(changes::changes))
        .route_layer(middleware::from_fn_with_state(api.clone(), auth::reader));
    Router::new()
        .merge(guarded)
        .merge(readable)
        .route("/openapi.json", get(openapi::document))
        .route(
            "/healthz",
            get(|| async { axum::Json(json!({ "status": "ok" })) }),
        )
        .route("/readyz", get(handlers::ready))
        .with_state(api)
        .merge(crate::dashboard::router())
}
