//! The admin API's bearer token, and its error answers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::state::ApiState;

/// The environment variable holding the admin API's bearer token.
pub const ADMIN_TOKEN: &str = "HOLDFAST_ADMIN_TOKEN";
/// The secret that holds the token when the environment does not.
pub const ADMIN_TOKEN_SECRET: &str = "admin_token";
/// The environment variable holding the read-only token: it reads the
/// local copy (`GET /api/streams/{stream}/records`) and nothing else.
pub const READ_TOKEN: &str = "HOLDFAST_READ_TOKEN";
/// The secret that holds the read-only token when the environment does not.
pub const READ_TOKEN_SECRET: &str = "read_token";

/// Refuses `/api/` requests without the admin token (compared in constant time).
pub(super) async fn bearer(State(api): State<Arc<ApiState>>, req: Request, next: Next) -> Response {
    if let Err(refused) = authorize(api.token.as_deref(), req.headers()) {
        return refused;
    }
    next.run(req).await
}

/// Refuses requests for the local copy without the admin token or the
/// read-only token.
pub(super) async fn reader(State(api): State<Arc<ApiState>>, req: Request, next: Next) -> Response {
    if let Some(read) = api.read_token.as_deref()
        && authorize(Some(read), req.headers()).is_ok()
    {
        return next.run(req).await;
    }
    if api.token.is_none() && api.read_token.is_some() {
        return problem(
            StatusCode::UNAUTHORIZED,
            format!("missing or wrong bearer token (the {READ_TOKEN} token reads here)"),
        );
    }
    if let Err(refused) = authorize(api.token.as_deref(), req.headers()) {
        return refused;
    }
    next.run(req).await
}

/// `Ok` when `headers` carry `token` as a bearer token; else the answer to send.
#[allow(
    clippy::result_large_err,
    reason = "the error is the answer itself, built once per refused request"
)]
pub(super) fn authorize(
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

/// The answer when the store cannot be read (503).
pub(super) fn store_error(e: impl std::fmt::Display) -> Response {
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("the store cannot be read: {e}"),
    )
}
