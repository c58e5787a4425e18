//! `POST /v2/notes`: a write endpoint that honours `Idempotency-Key` the way
//! Stripe does. The first request with a key creates a note and remembers
//! the answer; a later request with the same key gets the same answer
//! (marked `Idempotent-Replayed: true`) and creates nothing. Without a key
//! every request creates a note: exactly the double-write a retry after a
//! timeout causes.
//!
//! [`MockConfig::slow_first_write`](crate::MockConfig::slow_first_write)
//! makes the first request of each key answer late, after its note was
//! created: a client with a shorter timeout sees a failure although the
//! effect happened, and must retry with the same key.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::ApiError;
use crate::notebook::NotesLog;
use crate::state::MockState;

/// `POST /v2/notes` with a JSON object body: 201 `{"note": {...}}`.
pub(crate) async fn create(
    State(state): State<MockState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body must be JSON: {e}")))?;
    if !input.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (answer, replayed, first_of_key) =
        state.with_notes(|notes| notes.record(&input, key.as_deref()));
    if first_of_key && let Some(delay) = state.config().slow_first_write {
        tokio::time::sleep(delay).await;
    }
    let mut response = (StatusCode::CREATED, Json(answer)).into_response();
    if replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

/// `GET /_mock/notes`: the [`NotesLog`].
pub(crate) async fn log(State(state): State<MockState>) -> Json<NotesLog> {
    Json(state.with_notes(|n| n.log()))
}
