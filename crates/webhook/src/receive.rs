//! The HTTP side: one `POST` route per webhook of the connector file.
//!
//! A request is verified (signature, timestamp), its event id found, and
//! the event queued durably (see [`crate::ingest`]) before it is answered
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
//! UTF-8, not JSON, nested too deep (see [`crate::body`]) or has no event
//! id gets `400` (these are counted too): nothing acknowledged can turn out
//! unreadable later. A queue that cannot be written gets `503`, so the
//! vendor delivers again later.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest as _, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_LENGTH;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use holdfast_engine::jobs::{WebhookEvent, kept_header};
use holdfast_spec::{Env, EventId, SignatureEncoding, Spec, VerifyScheme, Webhook};
use holdfast_store::{Enqueued, ObservabilityStore};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::ingest::{Ingest, IngestError};
use crate::verify::{Encoding, Scheme, Verifier};

/// How often rejection counters are written to the store.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// A webhook that cannot be received as configured.
#[derive(Debug, thiserror::Error)]
#[error("webhook `{webhook}` (`webhooks.{webhook}.verify.secret`): {message}")]
pub struct ReceiverError {
    /// The webhook.
    pub webhook: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Rejected requests per (webhook, reason), kept in memory and written to
/// the store about once a second (so a flood of forged requests is not a
/// flood of writes).
#[derive(Debug, Clone, Default)]
pub struct Rejections(Arc<Mutex<HashMap<(String, &'static str), u64>>>);

impl Rejections {
    fn count(&self, webhook: &str, reason: &'static str) {
        counted(webhook, reason);
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry((webhook.to_owned(), reason)).or_default() += 1;
    }

    fn take(&self) -> HashMap<(String, &'static str), u64> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Writes the counts gathered since the last call to `store`.
    pub async fn flush(&self, store: &dyn ObservabilityStore) {
        for ((webhook, reason), n) in self.take() {
            if let Err(e) = store.count_rejection(&webhook, reason, n, Utc::now()).await {
                tracing::warn!(error = %e, webhook, reason, "could not record rejected requests");
            }
        }
    }
}

/// Builds every webhook's verifier (rendering its secrets) without serving:
/// what `holdfast check` runs, so an unusable secret is found before deploy.
///
/// # Errors
/// Each webhook whose secret does not render or does not suit its scheme.
pub fn check(spec: &Spec, env: &Env) -> Result<(), Vec<ReceiverError>> {
    let errors: Vec<ReceiverError> = spec
        .webhooks
        .iter()
        .filter_map(|w| verifier(w, env).err())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The webhook routes of `spec`, queueing through `ingest`. Rejections are
/// counted into the returned [`Rejections`]; a task flushes them to `store`.
///
/// # Errors
/// A secret that does not render or is not usable for its scheme.
pub fn router(
    spec: &Spec,
    env: &Env,
    ingest: Ingest,
    store: Arc<dyn ObservabilityStore>,
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
    let flushing = rejections.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tick.tick().await;
            flushing.flush(&*store).await;
        }
    });
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
    let (text, parsed) = match crate::body::check(&body, matches!(hook.event_id, EventId::Path(_)))
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

/// Webhook requests per webhook and outcome: `accepted`, `duplicate`,
/// `unavailable`, or why one was refused (`bad_signature`, `too_large`, …).
pub const WEBHOOK_REQUESTS: &str = "holdfast_webhook_requests_total";

fn counted(webhook: &str, outcome: &'static str) {
    metrics::counter!(WEBHOOK_REQUESTS, "webhook" => webhook.to_owned(), "outcome" => outcome)
        .increment(1);
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn verifier(webhook: &Webhook, env: &Env) -> Result<Verifier, ReceiverError> {
    let fail = |message: String| ReceiverError {
        webhook: webhook.name.clone(),
        message,
    };
    let mut secrets = Vec::with_capacity(webhook.verify.secrets.len());
    for (i, t) in webhook.verify.secrets.iter().enumerate() {
        let field = format!("webhooks.{}.verify.secret[{i}]", webhook.name);
        let secret =
            holdfast_engine::render_with_env(&field, t, env).map_err(|e| fail(e.to_string()))?;
        secrets.push(secret);
    }
    let scheme = match &webhook.verify.scheme {
        VerifyScheme::StandardWebhooks => Scheme::StandardWebhooks,
        VerifyScheme::Stripe => Scheme::Stripe,
        VerifyScheme::Github => Scheme::Github,
        VerifyScheme::HmacSha256 {
            header,
            encoding,
            prefix,
        } => Scheme::HmacSha256 {
            header: header.clone(),
            encoding: match encoding {
                SignatureEncoding::Hex => Encoding::Hex,
                SignatureEncoding::Base64 => Encoding::Base64,
            },
            prefix: prefix.clone(),
        },
    };
    Verifier::new(scheme, secrets, webhook.verify.tolerance).map_err(|e| fail(e.to_string()))
}
