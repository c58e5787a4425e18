//! [`JobQueue`]: the durable job queue.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    Claim, Enqueued, EventApply, EventOutcome, Finish, Job, JobFilter, JobId, Lease, NewJob,
    QueueStats, Requeue, StoreError,
};

/// The durable job queue, kept in the store so that finishing a job and
/// committing its effects can be one transaction.
///
/// A job is `ready` until claimed, then `running` under a lease: a [`Lease`]
/// names the job and the attempt that claimed it, and only that lease can
/// finish it. A worker that dies leaves its job `running`; once the lease has
/// expired, the next [`claim`](JobQueue::claim) takes it again (attempt + 1),
/// and the dead worker's late finish is refused.
#[async_trait]
pub trait JobQueue: Send + Sync {
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
    /// [`StoreErrorKind::InvalidData`](crate::StoreErrorKind::InvalidData) when `now + lease` is out of range.
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
    ///   kinds ([`order_versions`](crate::order_versions) gives `None`) → `VersionMismatch`,
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
    /// stored one. Rows written by events have [`RunId::WEBHOOK`](crate::RunId::WEBHOOK) as their updating / last
    /// run. Several events may carry the same lease (one job, several
    /// events): all apply, and the job's result is the last one's outcome.
    ///
    /// # Errors
    /// [`StoreErrorKind::InvalidData`](crate::StoreErrorKind::InvalidData) when a key or the mapped values do not
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
}
