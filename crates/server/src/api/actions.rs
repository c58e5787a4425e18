//! `POST /api/actions/{name}`: queues an action of the connector file with
//! the JSON body as its input, through the same group-commit intake as the
//! webhooks (so it is durable before the answer).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use holdfast_engine::Sources;
use holdfast_engine::jobs::ActionCall;
use holdfast_spec::Spec;
use holdfast_store::Enqueued;
use serde_json::{Value, json};

use super::auth::{authorize, problem};
use crate::webhook::Ingest;

/// What the action endpoint needs: the actions, their idempotency keys,
/// the intake and the admin token.
pub(crate) struct ActionIntake {
    /// The checked connector file (its `actions:`).
    pub(crate) spec: Arc<Spec>,
    /// Makes each call's idempotency key.
    pub(crate) source: Arc<Sources>,
    /// Queues the calls.
    pub(crate) ingest: Ingest,
    /// The bearer token; `None` turns the endpoint off.
    pub(crate) token: Option<String>,
}

/// The route `POST /api/actions/{name}`.
pub(crate) fn action_router(intake: Arc<ActionIntake>) -> Router {
    Router::new().route(
        "/api/actions/{name}",
        post(enqueue_action).with_state(intake),
    )
}

/// `POST /api/actions/{name}` with the input as the JSON body: queues the
/// action (202); the same idempotency key twice is one job.
async fn enqueue_action(
    State(intake): State<Arc<ActionIntake>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authorize(intake.token.as_deref(), &headers) {
        return refused;
    }
    let Some(action) = intake.spec.action(&name) else {
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
    let key = match intake.source.idempotency_key(&name, &input) {
        Ok(k) => k,
        Err(e) => return problem(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    let call = ActionCall {
        action: name,
        input,
        idempotency_key: key.clone(),
    };
    match intake
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
