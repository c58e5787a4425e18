//! The storage interface of holdfast: one [`Store`], several backends.
//!
//! [`Store`] is a set of role traits, each a kind of work: [`RecordStore`]
//! (stream tables, states, runs, quarantine), [`ObservabilityStore`]
//! (request log, drift, alerts), [`SecretStore`] (sealed secrets and
//! tokens), [`CoordinationStore`] (leases, rate budgets), [`ExportStore`]
//! (export and import) and [`JobQueue`]. A backend implements each role
//! and is a `Store`; `use holdfast_store::prelude::*;` brings every role's
//! methods into scope.
//!
//! A sync writes through exactly one call per page, [`RecordStore::commit_page`]:
//! the page's records are upserted by primary key, quarantined records are
//! kept with their reason, the run's counters advance and the stream's new
//! [`StreamState`] (its resume point) is saved — all in one transaction. A
//! crash between pages therefore resumes at the last committed page, and
//! applying a page again changes nothing.
//!
//! Jobs go through the same store ([`JobQueue`]): enqueued durably, claimed
//! under a lease, finished only by the claim that still holds it. Webhook
//! events are applied to stream tables and their jobs completed in one
//! transaction ([`JobQueue::apply_events`]), ordered by the event's version.
//!
//! Secrets are kept only as sealed bytes ([`SecretStore::put_secret`]): callers
//! encrypt before writing and decrypt after reading.
//!
//! A store's content moves to another store through exports and imports
//! ([`ExportStore`]): paged reads in a stable order, verbatim upserts;
//! [`copy_store`] copies one store into another.
//!
//! Processes sharing one store coordinate through it: named leases
//! ([`CoordinationStore::acquire_lease`]) keep a stream on one worker at a time, and
//! shared rate budgets ([`CoordinationStore::reserve_rate`]) hold a connection's limit
//! across all of them.
//!
//! Backends: `holdfast-store-sqlite` (the embedded default) and
//! `holdfast-store-postgres` (many processes on one database).
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

#[cfg(feature = "conformance")]
pub mod conformance;
mod coordination;
mod copy;
mod error;
mod export;
mod liveness;
mod model;
mod queue;
mod read_only;
mod reconcile;
mod redact;
mod roles;
mod secret;

pub mod events;
pub mod prelude;

pub use coordination::{NamedLease, StoredAlert, WRITE_PROBE, gcra_wait, interval_micros};
pub use copy::{COPY_MARKER, CopyError, CopyOptions, CopyReport, CopyStep, copy_store};
pub use error::{StoreError, StoreErrorKind};
pub use export::{
    ExportedQuarantine, ExportedRecord, Inventory, NamedShape, NamedState, RecordQuery,
};
pub use liveness::{GONE, RUN_HEARTBEAT, RUN_LEASE, RunHolder, lease_until, settle};
pub use model::{
    Column, ColumnKind, DriftRow, EndpointStats, FailureMode, LastChange, PageCommit, PageOutcome,
    ParentRecord, Progress, QuarantineRow, QuarantinedRecord, RecordRow, RequestRow, RunId,
    RunOutcome, RunRow, StoredRecord, StreamState, TableSpec, Violation,
};
pub use queue::{
    Claim, Enqueued, EventApply, EventOutcome, Finish, Job, JobFilter, JobId, JobState, Lease,
    NewJob, OldestReady, QueueDepth, QueueStats, Rejection, Requeue, order_versions,
};
pub use read_only::check_schema_version;
pub use reconcile::{MissingAction, ReconcileOutcome, Reconciliation, Sweep, SweepOutcome};
pub use redact::redact_url;
pub use roles::{
    CoordinationStore, ExportStore, JobQueue, ObservabilityStore, RecordStore, SecretStore, Store,
};
pub use secret::{StoredSecret, StoredToken, TokenStatus};
