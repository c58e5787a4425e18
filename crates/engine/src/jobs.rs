//! What a queued job carries: the payloads of webhook events, actions and
//! syncs, written by whoever enqueues (the webhook receiver, `holdfast act`,
//! the admin API, the [`Scheduler`](crate::schedule::Scheduler)) and read by
//! the [`Worker`](crate::queue::Worker) and the
//! [`SyncWorker`](crate::queue::SyncWorker).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use holdfast_store::NewJob;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `Job::kind` of a webhook event.
pub const WEBHOOK: &str = "webhook";
/// `Job::kind` of an outbound action.
pub const ACTION: &str = "action";
/// `Job::kind` of a stream sync (scheduled or asked for).
pub const SYNC: &str = "sync";

/// Webhook events are claimed before actions (they ack a vendor's delivery;
/// actions are our own writes).
const WEBHOOK_PRIORITY: i32 = 10;
const ACTION_PRIORITY: i32 = 5;
/// Syncs are claimed by their own workers; the priority only orders syncs.
const SYNC_PRIORITY: i32 = 0;
/// Attempts shown on a sync job. The sync worker never gives up on a job
/// that waits for its busy stream or was stopped by a shutdown, and never
/// retries a failed run (the next slot runs the stream again).
const SYNC_ATTEMPTS: u32 = 100;
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
    /// The job that carries this event; its unique key
    /// (`webhook:{webhook}:{event_id}`) makes a redelivery a duplicate. For
    /// event ids the signature covers (in the body, or a signed header).
    pub fn to_job(&self) -> NewJob {
        self.job(format!("{WEBHOOK}:{}:{}", self.webhook, self.event_id))
    }

    /// The job that carries this event, deduplicated by `body_sha256` (the
    /// hex SHA-256 of the signed body) rather than by its event id: its
    /// unique key is `webhook:{webhook}:sha256:{body_sha256}`. For event ids
    /// read from a header the signature does not cover, which a replay of
    /// a captured request could change: the same signed body is one event
    /// whatever id it comes with.
    pub fn to_job_by_body(&self, body_sha256: &str) -> NewJob {
        self.job(format!("{WEBHOOK}:{}:sha256:{body_sha256}", self.webhook))
    }

    fn job(&self, unique_key: String) -> NewJob {
        NewJob {
            kind: WEBHOOK.to_owned(),
            name: self.webhook.clone(),
            payload: serde_json::to_string(self).unwrap_or_default(),
            unique_key: Some(unique_key),
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

/// A sync of one stream to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCall {
    /// The stream's name under `streams:`.
    pub stream: String,
    /// Read everything again, ignoring the saved cursor and resume point.
    #[serde(default)]
    pub full_refresh: bool,
    /// The schedule slot it runs for (Unix seconds); `None` when asked for
    /// by hand. A run that started after its slot makes the job a no-op.
    #[serde(default)]
    pub slot: Option<i64>,
    /// Reconcile the stream (a full scan diffed against its table, per its
    /// `reconcile:`) instead of syncing it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reconcile: bool,
}

impl SyncCall {
    /// The job that carries this sync, claimable at `run_at`. A slot's
    /// job has the unique key `sync:{stream}:{slot}`, so every process that
    /// schedules the slot enqueues the same job once; a sync asked for by
    /// hand has none.
    pub fn to_job(&self, run_at: DateTime<Utc>) -> NewJob {
        NewJob {
            kind: SYNC.to_owned(),
            name: self.stream.clone(),
            payload: serde_json::to_string(self).unwrap_or_default(),
            unique_key: self.slot.map(|slot| {
                let what = if self.reconcile { "reconcile" } else { SYNC };
                format!("{what}:{}:{slot}", self.stream)
            }),
            priority: SYNC_PRIORITY,
            max_attempts: SYNC_ATTEMPTS,
            run_at,
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
