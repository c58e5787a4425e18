//! What a queued job carries: the payloads of webhook events and actions,
//! written by whoever enqueues (the webhook receiver, `holdfast act`, the
//! admin API) and read by the [`Worker`](crate::worker::Worker).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use holdfast_store::NewJob;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `Job::kind` of a webhook event.
pub const WEBHOOK: &str = "webhook";
/// `Job::kind` of an outbound action.
pub const ACTION: &str = "action";

/// Webhook events are claimed before actions (they ack a vendor's delivery;
/// actions are our own writes).
const WEBHOOK_PRIORITY: i32 = 10;
const ACTION_PRIORITY: i32 = 5;
/// Attempts for a webhook event: failures are the store's (the event
/// itself is checked once and dead-lettered when invalid).
const WEBHOOK_ATTEMPTS: u32 = 10;

/// A verified webhook request, as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// The webhook's name under `webhooks:`.
    pub webhook: String,
    /// The event's id (deduplicates redeliveries).
    pub event_id: String,
    /// When the request was acknowledged (Unix milliseconds).
    pub received_ms: i64,
    /// Request headers (lower-case names; credentials and cookies left out),
    /// for `route:` conditions.
    pub headers: BTreeMap<String, String>,
    /// The body as received (JSON text).
    pub body: String,
}

impl WebhookEvent {
    /// The job that carries this event; its unique key makes a redelivery a duplicate.
    pub fn to_job(&self) -> NewJob {
        NewJob {
            kind: WEBHOOK.to_owned(),
            name: self.webhook.clone(),
            payload: serde_json::to_string(self).unwrap_or_default(),
            unique_key: Some(format!("{WEBHOOK}:{}:{}", self.webhook, self.event_id)),
            priority: WEBHOOK_PRIORITY,
            max_attempts: WEBHOOK_ATTEMPTS,
            run_at: DateTime::<Utc>::from_timestamp_millis(self.received_ms).unwrap_or_default(),
        }
    }
}

/// An action to perform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionCall {
    /// The action's name under `actions:`.
    pub action: String,
    /// Its input (what its templates read as `input`).
    pub input: Value,
    /// Sent as `Idempotency-Key`; also deduplicates the enqueue.
    pub idempotency_key: String,
}

impl ActionCall {
    /// The job that carries this call; the same key enqueued twice is one job.
    pub fn to_job(&self, max_attempts: u32, now: DateTime<Utc>) -> NewJob {
        NewJob {
            kind: ACTION.to_owned(),
            name: self.action.clone(),
            payload: serde_json::to_string(self).unwrap_or_default(),
            unique_key: Some(format!("{ACTION}:{}:{}", self.action, self.idempotency_key)),
            priority: ACTION_PRIORITY,
            max_attempts,
            run_at: now,
        }
    }
}

/// The headers kept with an event: everything but credentials and cookies.
pub fn kept_header(name: &str) -> bool {
    !matches!(
        name,
        "authorization" | "cookie" | "proxy-authorization" | "set-cookie"
    )
}
