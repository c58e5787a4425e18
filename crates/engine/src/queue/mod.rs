//! The durable queue's workers: one loop ([`lane`]) that claims jobs, hands
//! each to the handler of its kind, finishes it (done, retried with backoff,
//! or dead-lettered), sleeps until woken and stops on request.
//!
//! - [`events`]: webhook events, applied a batch per transaction;
//! - [`actions`]: outbound actions, sent with their idempotency keys;
//! - [`syncs`]: queued syncs, each under its stream's lease;
//! - [`pace`]: how many jobs a worker claims at once;
//! - who a worker is and whether its process lives: [`crate::identity`]
//!   (re-exported here), shared with the stream lease.

mod actions;
mod events;
mod lane;
mod pace;
mod syncs;
mod worker;

pub use crate::identity::{release_dead_claims, worker_gone, worker_id};
pub use pace::AckClock;
pub use syncs::SyncJobOutcome;
pub use worker::{SyncWorker, SyncWorkerConfig, WorkSummary, Worker, WorkerConfig};
