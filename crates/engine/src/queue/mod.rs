//! The durable queue's workers: one loop (`lane.rs`) that claims jobs,
//! hands each to the handler of its kind, finishes it (done, retried with
//! backoff, or dead-lettered), sleeps until woken and stops on request.
//!
//! - `events.rs`: webhook events, applied a batch per transaction;
//! - `actions.rs`: outbound actions, sent with their idempotency keys;
//! - `syncs.rs`: queued syncs, each under its stream's lease;
//! - `windows.rs`: scheduled syncs held outside their windows and
//!   blackouts, and stopped (to resume) at a window's end;
//! - `pace.rs`: how many jobs a worker claims at once;
//! - `worker.rs`: the two workers built on them, [`Worker`] (events and
//!   actions) and [`SyncWorker`];
//! - who a worker is and whether its process lives ([`worker_id`],
//!   [`worker_gone`], [`release_dead_claims`]) is shared with the stream
//!   lease, so it sits beside this room (`identity.rs`) and is re-exported
//!   here.

mod actions;
mod events;
mod lane;
mod pace;
mod syncs;
mod windows;
mod worker;

pub use crate::identity::{release_dead_claims, worker_gone, worker_id};
pub use pace::AckClock;
pub use syncs::SyncJobOutcome;
pub use worker::{SyncWorker, SyncWorkerConfig, WorkSummary, Worker, WorkerConfig};
