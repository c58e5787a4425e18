//! The HTTP side: one `POST` route per webhook of the connector file.
//!
//! A request is verified (signature, timestamp), its event id found, and
//! the event queued durably (see [`super::ingest`]) before it is answered
//! `200`. A redelivered event (same id) is answered `200` too and queued
//! once. An id taken from a header the signature does not cover (GitHub's
//! `X-GitHub-Delivery`, any `event_id: "header: …"` but Standard Webhooks'
//! `webhook-id`) is not trusted to tell events apart: such events are
//! deduplicated by the SHA-256 of their signed body, so a captured body
//! replayed under a new delivery id is still one event. Verification
//! failures get `401` and are counted per webhook and reason (a spike of
//! `bad_signature` means the vendor rotated the key);
//! a body over the webhook's `max_body` gets `413` (at once when its
//! `Content-Length` says so, before anything is read); a body that is not
//! UTF-8, not JSON, nested too deep (see [`super::body`]) or has no event
//! id gets `400` (these are counted too): nothing acknowledged can turn out
//! unreadable later. A queue that cannot be written gets `503`, so the
//! vendor delivers again later.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest as _, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_LENGTH;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use holdfast_engine::jobs::{WebhookEvent, kept_header};
use holdfast_spec::{Env, EventId, Spec};
use holdfast_store::Enqueued;
use holdfast_webhook::Verifier;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::ingest::{Ingest, IngestError};
use super::outcomes::counted;
use super::rejections::Rejections;
use super::verifiers::{ReceiverError, verifier};

/// The webhook routes of `spec`, queueing through `ingest`. Rejections are
/// counted into the returned [`Rejections`], to be flushed to the store
/// (see [`Rejections::keep_flushed`]).
///
/// # Errors
/// A secret that does not render or is not usable for its scheme.
pub fn router(
    spec: &Spec,
    env: &Env,
    ingest: Ingest,
) -> Result<(Router, Rejections), ReceiverError> {
    let rejections = Rejections::default();
    let mut router = Router::new();
    for webhook in &spec.webhooks {
        let verifier = verifier(webhook, env)?;
        let dedup_by_body = match &webhook.event_id {
            EventId::Header(name) => !verifier.signs_header(name),
            EventId::Path(_) => false,
        };
        let hook = Arc::new(Hook {
            name: webhook.name.clone(),
            verifier,
            event_id: webhook.event_id.clone(),
            max_body: webhook.max_body,
            dedup_by_body,
            ingest: ingest.clone(),
            rejections: rejections.clone(),
        });
        router = router.route(
            &webhook.path,
            post(receive)
                .with_state(hook)
                .layer(DefaultBodyLimit::max(webhook.max_body)),
        );
    }
    Ok((router, rejections))
}

/// One webhook, ready to receive.
struct Hook {
    name: String,
    verifier: Verifier,
    event_id: EventId,
    max_body: usize,
    /// The event id is in a header the signature does not cover: anyone
    /// replaying a captured body could change it, so events are told apart
    /// by their signed body instead (see [`WebhookEvent::to_job_by_body`]).
    dedup_by_body: bool,
    ingest: Ingest,
    rejections: Rejections,
}

async fn receive(State(hook): State<Arc<Hook>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers.clone();
    // a declared length over the limit is refused before anything is read
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > hook.max_body as u64) {
        hook.rejections.count(&hook.name, "too_large");
        return answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({
                "error": format!(
                    "the body is over this webhook's `max_body` ({} bytes)",
                    hook.max_body
                ),
                "reason": "too_large",
            }),
        );
    }
    let body = Bytes::from_request(Request::from_parts(parts, body), &()).await;
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            // over `max_body` (413), or the body could not be read
            let reason = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "too_large"
            } else {
                "unreadable_body"
            };
            hook.rejections.count(&hook.name, reason);
            return answer(
                e.status(),
                json!({ "error": e.body_text(), "reason": reason }),
            );
        }
    };
    let verified = match hook.verifier.verify(&headers, &body, SystemTime::now()) {
        Ok(v) => v,
        Err(rejection) => {
            hook.rejections.count(&hook.name, rejection.reason());
            tracing::debug!(
                webhook = hook.name,
                reason = rejection.reason(),
                "rejected a webhook request"
            );
            return answer(
                StatusCode::UNAUTHORIZED,
                json!({ "error": rejection.to_string(), "reason": rejection.reason() }),
            );
        }
    };
    // refused now what the worker could not read later; a header id needs
    // no parsed body
    let (text, parsed) = match super::body::check(&body, matches!(hook.event_id, EventId::Path(_)))
    {
        Ok(checked) => checked,
        Err(e) => {
            hook.rejections.count(&hook.name, e.reason());
            return answer(
                StatusCode::BAD_REQUEST,
                json!({ "error": e.to_string(), "reason": e.reason() }),
            );
        }
    };
    let event_id = match (&hook.event_id, &parsed) {
        (EventId::Header(name), _) => headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or(verified.event_id),
        (EventId::Path(path), Some(parsed)) => {
            path.path.query(parsed).first().and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        }
        (EventId::Path(_), None) => None,
    }
    .filter(|id| !id.is_empty());
    let Some(event_id) = event_id else {
        hook.rejections.count(&hook.name, "no_event_id");
        let place = match &hook.event_id {
            EventId::Header(h) => format!("header `{h}`"),
            EventId::Path(p) => format!("`{}` in the body", p.source),
        };
        return answer(
            StatusCode::BAD_REQUEST,
            json!({ "error": format!("no event id: expected a string or number at {place}"), "reason": "no_event_id" }),
        );
    };
    let event = WebhookEvent {
        webhook: hook.name.clone(),
        event_id: event_id.clone(),
        received_ms: Utc::now().timestamp_millis(),
        headers: headers
            .iter()
            .filter(|(k, _)| kept_header(k.as_str()))
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect::<BTreeMap<_, _>>(),
        body: text.to_owned(),
    };
    let job = if hook.dedup_by_body {
        event.to_job_by_body(&hex::encode(Sha256::digest(&body)))
    } else {
        event.to_job()
    };
    let queued = hook.ingest.enqueue(job).await;
    counted(
        &hook.name,
        match &queued {
            Ok(Enqueued::Created(_)) => "accepted",
            Ok(Enqueued::Duplicate(_)) => "duplicate",
            Err(_) => "unavailable",
        },
    );
    match queued {
        Ok(Enqueued::Created(_)) => answer(
            StatusCode::OK,
            json!({ "status": "queued", "event_id": event_id }),
        ),
        Ok(Enqueued::Duplicate(_)) => answer(
            StatusCode::OK,
            json!({ "status": "duplicate", "event_id": event_id }),
        ),
        Err(e @ (IngestError::Store(_) | IngestError::Overloaded | IngestError::Closed)) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "error": e.to_string(), "reason": "unavailable" }),
        ),
    }
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}
