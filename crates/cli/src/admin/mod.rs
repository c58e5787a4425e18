//! The admin API of `holdfast serve`: JSON over HTTP under `/api/`, behind
//! a bearer token (`HOLDFAST_ADMIN_TOKEN`, or the secret `admin_token`),
//! described by the OpenAPI document at `/openapi.json`. `/healthz` and
//! `/readyz` are open.
//!
//! What it shows comes from the store (shared by every process of a
//! cluster): connections with their token health, streams with their last
//! run, runs and their requests, quarantine, drift, the queue. What it does
//! goes through the queue: trigger a sync, retry dead jobs. The dashboard at
//! `/` shows it all on one page that refreshes itself.

mod alerts;
mod charts;
pub(crate) mod handlers;
mod openapi;
mod page;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use holdfast_spec::Spec;
use holdfast_store::prelude::*;
use serde_json::json;
use subtle::ConstantTimeEq;

/// The environment variable holding the admin API's bearer token.
pub(crate) const ADMIN_TOKEN: &str = "HOLDFAST_ADMIN_TOKEN";
/// The secret that holds the token when the environment does not.
pub(crate) const ADMIN_TOKEN_SECRET: &str = "admin_token";

/// What the admin API reads and acts on.
pub(crate) struct Admin {
    /// The checked connector file.
    pub(crate) spec: Arc<Spec>,
    /// The store (and its queue).
    pub(crate) store: Arc<dyn Store>,
    /// The bearer token; `None` turns `/api/` off.
    pub(crate) token: Option<String>,
}

/// `/api/…` (token checked), `/openapi.json`, `/healthz`, `/readyz`, and
/// the dashboard (`/`, `/assets/…`; open, it asks for the token itself).
pub(crate) fn router(admin: Arc<Admin>) -> Router {
    let api = Router::new()
        .route("/api/connections", get(handlers::connections))
        .route("/api/streams", get(handlers::streams))
        .route("/api/streams/{name}/sync", post(handlers::trigger_sync))
        .route("/api/runs", get(handlers::runs))
        .route("/api/runs/{id}/requests", get(handlers::run_requests))
        .route("/api/quarantine", get(handlers::quarantine))
        .route("/api/drift", get(handlers::drift))
        .route("/api/queue", get(handlers::queue))
        .route("/api/queue/retry", post(handlers::retry_dead))
        .route("/api/alerts", get(alerts::list))
        .route("/api/charts", get(charts::charts))
        .route("/api/jobs/{id}/retry", post(handlers::retry_job))
        .route_layer(middleware::from_fn_with_state(admin.clone(), bearer));
    Router::new()
        .merge(api)
        .route("/openapi.json", get(openapi::document))
        .route(
            "/healthz",
            get(|| async { axum::Json(json!({ "status": "ok" })) }),
        )
        .route("/readyz", get(handlers::ready))
        .route("/", get(page::index))
        .route("/assets/app.js", get(page::app))
        .route("/assets/style.css", get(page::style))
        .with_state(admin)
}

/// Refuses `/api/` requests without the admin token (compared in constant time).
pub(crate) async fn bearer(State(admin): State<Arc<Admin>>, req: Request, next: Next) -> Response {
    if let Err(refused) = authorize(admin.token.as_deref(), req.headers()) {
        return refused;
    }
    next.run(req).await
}

/// `Ok` when `headers` carry `token` as a bearer token; else the answer to send.
#[allow(
    clippy::result_large_err,
    reason = "the error is the answer itself, built once per refused request"
)]
pub(crate) fn authorize(
    token: Option<&str>,
    headers: &axum::http::HeaderMap,
) -> Result<(), Response> {
    let Some(token) = token else {
        return Err(problem(
            StatusCode::FORBIDDEN,
            format!(
                "the admin API is off: set {ADMIN_TOKEN} (or the secret `{ADMIN_TOKEN_SECRET}`) \
                 to a secret token and send it as `Authorization: Bearer …`"
            ),
        ));
    };
    let sent = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or_default();
    if bool::from(sent.as_bytes().ct_eq(token.as_bytes())) {
        Ok(())
    } else {
        Err(problem(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token".to_owned(),
        ))
    }
}

/// An error answer: `{"error": "…"}`.
pub(crate) fn problem(status: StatusCode, error: String) -> Response {
    (status, axum::Json(json!({ "error": error }))).into_response()
}
