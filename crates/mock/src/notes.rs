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

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::MockState;

/// What the notes endpoint did, from `GET /_mock/notes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NotesLog {
    /// Notes created (each one a remote effect), oldest first.
    pub notes: Vec<Value>,
    /// Requests answered from a remembered key, creating nothing.
    pub replays: u64,
    /// Requests per idempotency key, for keys seen more than once.
    pub repeated_keys: HashMap<String, u64>,
    /// Requests that carried no `Idempotency-Key`.
    pub without_key: u64,
}

/// The remembered answers, by key.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    log: NotesLog,
    answers: HashMap<String, Value>,
    seen: HashMap<String, u64>,
}

impl Notes {
    /// What happened so far.
    pub(crate) fn log(&self) -> NotesLog {
        let mut log = self.log.clone();
        log.repeated_keys = self
            .seen
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(k, n)| (k.clone(), *n))
            .collect();
        log
    }
}

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
    let (answer, replayed, first_of_key) = state.with_notes(|notes| {
        if let Some(k) = &key {
            *notes.seen.entry(k.clone()).or_default() += 1;
            if let Some(previous) = notes.answers.get(k) {
                notes.log.replays += 1;
                return (previous.clone(), true, false);
            }
        } else {
            notes.log.without_key += 1;
        }
        let id = notes.log.notes.len() + 1;
        let mut note = input.clone();
        if let Some(obj) = note.as_object_mut() {
            obj.insert("id".into(), json!(id));
        }
        notes.log.notes.push(note.clone());
        let answer = json!({ "note": note });
        if let Some(k) = &key {
            notes.answers.insert(k.clone(), answer.clone());
        }
        (answer, false, key.is_some())
    });
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
