//! The storage interface of holdfast: one [`Store`] trait, several backends.
//!
//! A sync writes through exactly one call per page, [`Store::commit_page`]:
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
//! Secrets are kept only as sealed bytes ([`Store::put_secret`]): callers
//! encrypt before writing and decrypt after reading.
//!
//! A store's content moves to another store through exports and imports
//! ([`Store::inventory`], [`Store::export_records`], [`Store::import_records`],
//! …): paged reads in a stable order, verbatim upserts.
//!
//! Processes sharing one store coordinate through it: named leases
//! ([`Store::acquire_lease`]) keep a stream on one worker at a time, and
//! shared rate budgets ([`Store::reserve_rate`]) hold a connection's limit
//! across all of them.
//!
//! Backends: `holdfast-store-sqlite` (the embedded default) and
//! `holdfast-store-postgres` (many processes on one database).
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

#[cfg(feature = "conformance")]
pub mod conformance;
mod coordination;
mod error;
mod export;
mod liveness;
mod model;
mod queue;
mod read_only;
mod secret;

pub use coordination::{NamedLease, StoredAlert, WRITE_PROBE, gcra_wait, interval_micros};
pub use error::{StoreError, StoreErrorKind};
pub use export::{ExportedQuarantine, ExportedRecord, Inventory, NamedShape, NamedState};
pub use liveness::{GONE, RUN_HEARTBEAT, RUN_LEASE, RunHolder, lease_until, settle};
pub use model::{
    Column, ColumnKind, DriftRow, EndpointStats, PageCommit, PageOutcome, ParentRecord, Progress,
    QuarantineRow, QuarantinedRecord, RecordRow, RequestRow, RunId, RunOutcome, RunRow,
    StoredRecord, StreamState, TableSpec, Violation,
};
pub use queue::{
    Claim, Enqueued, EventApply, EventOutcome, Finish, Job, JobFilter, JobId, JobState, Lease,
    NewJob, OldestReady, QueueDepth, QueueStats, Rejection, Requeue, order_versions,
};
pub use read_only::check_schema_version;
pub use secret::{StoredSecret, StoredToken, TokenStatus};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Where holdfast keeps records, stream state, runs and quarantine.
///
/// Every method that records time takes `now`, so callers (and tests) own the clock.
#[async_trait]
pub trait Store: Send + Sync {
    /// Creates the stream table `table` if it is missing, or checks that the
    /// existing one has the same primary key.
    ///
    /// # Errors
    /// [`StoreErrorKind::Schema`] when the table exists with another primary key.
    async fn prepare_table(&self, table: &TableSpec) -> Result<(), StoreError>;

    /// The saved state of `stream`, or `None` if it never committed a page.
    async fn load_state(&self, stream: &str) -> Result<Option<StreamState>, StoreError>;

    /// Forgets the state of `stream` (its cursor and resume point): the next
    /// run is a full refresh. Records stay.
    async fn reset_state(&self, stream: &str) -> Result<(), StoreError>;

    /// Records the start of a run of `stream` by this process (see
    /// [`Store::start_run_as`]).
    async fn start_run(&self, stream: &str, now: DateTime<Utc>) -> Result<RunId, StoreError> {
        self.start_run_as(stream, &RunHolder::this_process(), now)
            .await
    }

    /// Records the start of a run of `stream` held by `holder`, its lease
    /// until `now` + [`RUN_LEASE`]. Runs of the same stream left `running`
    /// (their process died) are marked `interrupted`, ending at their last
    /// committed page (or their start).
    async fn start_run_as(
        &self,
        stream: &str,
        holder: &RunHolder,
        now: DateTime<Utc>,
    ) -> Result<RunId, StoreError>;

    /// Renews the lease of a running run until `now` + [`RUN_LEASE`] (page
    /// commits renew it too). A run no longer running is left alone.
    async fn renew_run(&self, run: RunId, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Applies one page atomically: upserts, quarantine, run counters, state;
    /// the run's last page time becomes `page.now` and its lease is renewed.
    async fn commit_page(&self, page: PageCommit<'_>) -> Result<PageOutcome, StoreError>;

    /// Saves the state of `stream` without a page (e.g. when a child stream
    /// finished its last parent).
    async fn save_state(
        &self,
        stream: &str,
        state: &StreamState,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Records how a run ended.
    async fn finish_run(
        &self,
        run: RunId,
        outcome: RunOutcome,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The most recent runs, newest first (all streams, or one), as they
    /// stand now: a `running` run whose process is gone is shown
    /// `interrupted` (see [`settle`]).
    async fn runs(&self, stream: Option<&str>, limit: u32) -> Result<Vec<RunRow>, StoreError>;

    /// Records of a parent table in primary-key order, after `after` (exclusive),
    /// at most `limit` of them: how child streams walk their parents without
    /// loading them all.
    async fn parent_records(
        &self,
        table: &TableSpec,
        after: Option<&[Value]>,
        limit: u32,
    ) -> Result<Vec<ParentRecord>, StoreError>;

    /// Appends request log rows outside a page (e.g. the attempts of a run
    /// that failed before its next commit).
    async fn log_requests(&self, rows: &[RequestRow]) -> Result<(), StoreError>;

    /// The request log of one run, in the order the attempts started.
    async fn requests(&self, run: RunId, limit: u32) -> Result<Vec<RequestRow>, StoreError>;

    /// Success rate, latency percentiles and deprecation signals per endpoint
    /// for attempts since `since`.
    async fn endpoint_stats(&self, since: DateTime<Utc>) -> Result<Vec<EndpointStats>, StoreError>;

    /// The stream's known response shape (JSON), if one was saved.
    async fn load_shape(&self, stream: &str) -> Result<Option<String>, StoreError>;

    /// Saves the stream's known response shape (JSON).
    async fn save_shape(
        &self,
        stream: &str,
        shape: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Recorded drift, newest first (all streams, or one).
    async fn drift(&self, stream: Option<&str>, limit: u32) -> Result<Vec<DriftRow>, StoreError>;

    /// One record of a stream table by primary key.
    async fn record(
        &self,
        table: &TableSpec,
        key: &[Value],
    ) -> Result<Option<StoredRecord>, StoreError>;

    /// Unresolved quarantine rows of `stream` whose raw payload has these
    /// values at these top-level fields (for `explain`).
    async fn quarantined_by_key(
        &self,
        stream: &str,
        fields: &[String],
        key: &[Value],
    ) -> Result<Vec<QuarantineRow>, StoreError>;

    /// Unresolved quarantined records, newest first (all streams, or one).
    async fn quarantine(
        &self,
        stream: Option<&str>,
        limit: u32,
    ) -> Result<Vec<QuarantineRow>, StoreError>;

    /// Saves (or replaces) secret `name` as `sealed`, an already encrypted
    /// value: the store never sees a secret in plain text.
    async fn put_secret(
        &self,
        name: &str,
        sealed: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Every stored secret, by name.
    async fn secrets(&self) -> Result<Vec<StoredSecret>, StoreError>;

    /// Deletes secret `name`; `false` when there was none.
    async fn delete_secret(&self, name: &str) -> Result<bool, StoreError>;

    /// Saves (replaces) `connection`'s token state: `sealed` is encrypted by
    /// the caller; `status` is kept beside it in plain text. Durable on `Ok`.
    async fn save_token(
        &self,
        connection: &str,
        sealed: &[u8],
        status: &TokenStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// `connection`'s saved token state, if any.
    async fn load_token(&self, connection: &str) -> Result<Option<StoredToken>, StoreError>;

    /// Every saved token state, by connection.
    async fn tokens(&self) -> Result<Vec<StoredToken>, StoreError>;

    /// Takes the named lease `name` for `holder` until `until`, atomically
    /// across every process sharing the store: when nobody holds it, when
    /// its holder's lease ended before `now`, or when `holder` holds it
    /// already (then it is renewed to `until`). `false` when someone else
    /// holds it at `now`; nothing changes then.
    ///
    /// A lease is held up to and including its `until`.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Gives the named lease `name` up; only its holder can (`false` when
    /// `holder` does not hold it, e.g. it expired and someone else took it).
    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool, StoreError>;

    /// Every named lease stored (expired ones too, until taken again or
    /// released), by name.
    async fn leases(&self) -> Result<Vec<NamedLease>, StoreError>;

    /// Proves the store can be written now (what `/readyz` asks): commits
    /// a write transaction that inserts and deletes one row of the leases
    /// table (the reserved name [`WRITE_PROBE`]), so a full disk, a
    /// read-only file or a server refusing writes fails here, and nothing
    /// stays behind.
    ///
    /// # Errors
    /// Why the store cannot be written, as a write would meet it.
    async fn check_writable(&self, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Saves an alert's state by (rule, subject), replacing the earlier one.
    async fn save_alert(&self, alert: &StoredAlert) -> Result<(), StoreError>;

    /// Every alert saved, by rule then subject.
    async fn alerts(&self) -> Result<Vec<StoredAlert>, StoreError>;

    /// What the store holds by name: stream tables (as registered, mapped
    /// columns with their kinds), stream states and shapes, each sorted by name.
    async fn inventory(&self) -> Result<Inventory, StoreError>;

    /// Rows of stream table `table` in primary-key order, after `after`
    /// (exclusive), at most `limit`, with all their metadata and mapped
    /// values: a table is exported page by page, never whole.
    ///
    /// # Errors
    /// [`StoreErrorKind::InvalidData`] when `after` does not fit the key.
    async fn export_records(
        &self,
        table: &TableSpec,
        after: Option<&[Value]>,
        limit: u32,
    ) -> Result<Vec<ExportedRecord>, StoreError>;

    /// Writes `records` into `table` (prepared with [`prepare_table`](Store::prepare_table))
    /// verbatim, in one transaction: upserted by key, metadata as given,
    /// nothing recomputed. Importing the same rows again changes nothing.
    ///
    /// # Errors
    /// [`StoreErrorKind::InvalidData`] when a key or a mapped value does not
    /// fit the table; nothing is written then.
    async fn import_records(
        &self,
        table: &TableSpec,
        records: &[ExportedRecord],
    ) -> Result<(), StoreError>;

    /// Runs in id order after `after` (exclusive), at most `limit`.
    async fn export_runs(
        &self,
        after: Option<RunId>,
        limit: u32,
    ) -> Result<Vec<RunRow>, StoreError>;

    /// Writes runs verbatim, ids included (upserted by id), in one
    /// transaction; runs started later get ids above every imported one.
    async fn import_runs(&self, runs: &[RunRow]) -> Result<(), StoreError>;

    /// Quarantine rows (open and resolved) in id order after `after`
    /// (exclusive), at most `limit`.
    async fn export_quarantine(
        &self,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ExportedQuarantine>, StoreError>;

    /// Writes quarantine rows verbatim, ids included (upserted by id), in one
    /// transaction; their runs must exist (import runs first). Rows
    /// quarantined later get ids above every imported one.
    async fn import_quarantine(&self, rows: &[ExportedQuarantine]) -> Result<(), StoreError>;

    /// Reserves the next slot of the shared rate budget `key` (at most
    /// `burst` at once, then one per `interval`) and returns how long the
    /// caller must wait before using it: zero while within the burst.
    ///
    /// Every call reserves a slot, atomically across processes, so callers
    /// that reserve at the same moment get distinct slots. The rule is
    /// [`gcra_wait`]'s.
    async fn reserve_rate(
        &self,
        key: &str,
        interval: std::time::Duration,
        burst: u32,
        now: DateTime<Utc>,
    ) -> Result<std::time::Duration, StoreError>;
}

/// The durable job queue, kept in the store so that finishing a job and
/// committing its effects can be one transaction.
///
/// A job is `ready` until claimed, then `running` under a lease: a [`Lease`]
/// names the job and the attempt that claimed it, and only that lease can
/// finish it. A worker that dies leaves its job `running`; once the lease has
/// expired, the next [`claim`](JobQueue::claim) takes it again (attempt + 1),
/// and the dead worker's late finish is refused.
#[async_trait]
pub trait JobQueue: Store {
    /// Enqueues `jobs` in one transaction, durable when it returns: one
    /// result per job, in order. A job whose unique key exists already (in
    /// any state, or earlier in the batch) is a [`Enqueued::Duplicate`] of it.
    async fn enqueue(
        &self,
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> Result<Vec<Enqueued>, StoreError>;

    /// Claims up to `claim.limit` jobs of `claim.kinds`: ready ones due at
    /// `claim.now`, and running ones whose lease has expired (a crashed
    /// worker's). Highest priority first, then earliest `run_at`, then id;
    /// the result is in that order. Each becomes `running` with
    /// `attempts + 1`, `lease_until = now + lease` and `worker` set.
    ///
    /// # Errors
    /// [`StoreErrorKind::InvalidData`] when `now + lease` is out of range.
    async fn claim(&self, claim: Claim<'_>) -> Result<Vec<Job>, StoreError>;

    /// Moves a live lease's end to `until`; `false` when the lease was lost
    /// (the job was re-claimed or finished).
    async fn extend_lease(
        &self,
        lease: Lease,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Ends an attempt: [`Finish::Done`] keeps the result; [`Finish::Retry`]
    /// makes the job ready again at `at` with `last_error`; [`Finish::Dead`]
    /// keeps `last_error`. Only while the job is running under `lease`;
    /// otherwise `false`, and nothing changes.
    async fn finish(
        &self,
        lease: Lease,
        finish: Finish,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Ends many attempts at once: the same as calling [`finish`](JobQueue::finish)
    /// for each `(lease, finish)` in order, one result each, but backends may
    /// do it in one statement (the PostgreSQL store does: a worker that
    /// claimed a batch finishes it in one round trip and one commit). A lease
    /// that appears twice finishes once; its second entry is `false`.
    ///
    /// Unlike a loop of `finish`, the batch is atomic where the backend
    /// makes it one statement; callers must not rely on either.
    async fn finish_many(
        &self,
        finishes: &[(Lease, Finish)],
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        let mut out = Vec::with_capacity(finishes.len());
        for (lease, finish) in finishes {
            out.push(self.finish(*lease, finish.clone(), now).await?);
        }
        Ok(out)
    }

    /// Applies webhook events to their stream tables and marks their jobs
    /// done (result: the outcome as JSON text, e.g. `"updated"`), all in one
    /// transaction. One outcome per event, in order; events on the same key
    /// apply in order, each seeing the effect of the ones before.
    ///
    /// Per event:
    /// - its lease is not live (job not running with that attempt):
    ///   [`EventOutcome::LeaseLost`], nothing written;
    /// - no stored row: a delete stores a tombstone (`_raw` and mapped values
    ///   as given, deleted now) → `Deleted`; anything else → `Created`;
    /// - both the stored and the incoming version are set and of different
    ///   kinds ([`order_versions`] gives `None`) → `VersionMismatch`,
    ///   nothing written and the job left running under its lease (the
    ///   caller dead-letters it), even if other events of that lease applied;
    /// - both are set and the stored one sorts the same or after (as bytes)
    ///   → `Stale`, nothing written (the job is still done);
    /// - a delete tombstones the row, keeping its last content and the first
    ///   deletion time → `Deleted`;
    /// - an update writes the content and clears the tombstone → `Updated`,
    ///   or `Unchanged` when `_raw` is identical and the row was not deleted.
    ///
    /// Every applied event records its version; a `None` version keeps the
    /// stored one. Rows written by events have run 0 as their updating / last
    /// run. Several events may carry the same lease (one job, several
    /// events): all apply, and the job's result is the last one's outcome.
    ///
    /// # Errors
    /// [`StoreErrorKind::InvalidData`] when a key or the mapped values do not
    /// fit the table; nothing of the batch is written then.
    async fn apply_events(
        &self,
        events: &[EventApply<'_>],
        now: DateTime<Utc>,
    ) -> Result<Vec<EventOutcome>, StoreError>;

    /// Depth per kind and state, and the oldest ready job due at `now`.
    async fn queue_stats(&self, now: DateTime<Utc>) -> Result<QueueStats, StoreError>;

    /// Jobs matching `filter`, newest first.
    async fn jobs(&self, filter: JobFilter<'_>) -> Result<Vec<Job>, StoreError>;

    /// One job, if it exists.
    async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError>;

    /// Makes jobs ready again at `now` with `attempts` reset to 0 (their
    /// `last_error` stays): every dead job, or one job that is dead, ready or
    /// done. A running job is never touched. Returns how many were requeued.
    async fn requeue(&self, which: Requeue, now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Deletes done jobs last updated before `before` (their unique keys can
    /// then be enqueued again); returns how many.
    async fn prune_done(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// The workers holding running jobs now (to find claims of workers that died).
    async fn claimants(&self) -> Result<Vec<String>, StoreError>;

    /// Makes the running jobs of `worker` ready again now, without waiting
    /// for their leases to expire: for a worker known to be dead. Their
    /// attempt counts stay, and the dead worker's leases can no longer
    /// finish them. Returns how many.
    async fn release_claims(&self, worker: &str, now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Counts `count` rejected webhook requests (bad signature, stale
    /// timestamp, …) under (`webhook`, `reason`), the last one at `now`
    /// (receivers count in memory and flush, so a flood of forged requests is
    /// not a flood of writes). A count of 0 does nothing.
    async fn count_rejection(
        &self,
        webhook: &str,
        reason: &str,
        count: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Rejection counters, most recent first.
    async fn rejections(&self) -> Result<Vec<Rejection>, StoreError>;
}
