//! The values of the durable job queue ([`JobQueue`](crate::JobQueue)) and of
//! webhook events applied to stream tables with their job's completion.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{RecordRow, TableSpec};

/// Identifies a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JobId(pub i64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// What runs it: `webhook`, `action`, `sync`.
    pub kind: String,
    /// The webhook, action or stream name.
    pub name: String,
    /// JSON text, opaque to the store.
    pub payload: String,
    /// Deduplication key: a second job with the same key, whatever the first
    /// one's state (done included, until pruned), is not enqueued.
    pub unique_key: Option<String>,
    /// Higher is claimed first.
    pub priority: i32,
    /// Attempts allowed; kept for the caller's retry decision.
    pub max_attempts: u32,
    /// Not claimable before this instant (stored to the millisecond).
    pub run_at: DateTime<Utc>,
}

/// What [`enqueue`](crate::JobQueue::enqueue) did with one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// A new job.
    Created(JobId),
    /// A job with the same unique key exists already (or came earlier in the same batch).
    Duplicate(JobId),
}

impl Enqueued {
    /// The id of the new or existing job.
    pub fn id(self) -> JobId {
        match self {
            Enqueued::Created(id) | Enqueued::Duplicate(id) => id,
        }
    }
}

/// Where a job is in its life. The order is the life order (used to sort stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for `run_at`, then for a worker.
    Ready,
    /// Claimed by a worker under a lease.
    Running,
    /// Finished; kept until pruned (and for deduplication).
    Done,
    /// Failed for good; waits for a requeue.
    Dead,
}

impl JobState {
    /// The lowercase name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Ready => "ready",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<JobState> {
        Some(match s {
            "ready" => JobState::Ready,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            _ => return None,
        })
    }

    /// Reads a state as a store holds it.
    ///
    /// # Errors
    /// [`StoreErrorKind::Schema`](crate::StoreErrorKind::Schema) for a name
    /// no holdfast writes.
    pub fn from_stored(s: &str) -> Result<JobState, crate::StoreError> {
        JobState::parse(s).ok_or_else(|| {
            crate::StoreError::new(
                crate::StoreErrorKind::Schema,
                "reading a job",
                format!("unknown job state `{s}`"),
            )
        })
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// What runs it.
    pub kind: String,
    /// The webhook, action or stream name.
    pub name: String,
    /// JSON text.
    pub payload: String,
    /// Deduplication key, if any.
    pub unique_key: Option<String>,
    /// Higher is claimed first.
    pub priority: i32,
    /// Where it is.
    pub state: JobState,
    /// Claims so far (reset to 0 by a requeue).
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// Not claimable before.
    pub run_at: DateTime<Utc>,
    /// While running: the lease ends then (another worker may claim it after).
    pub lease_until: Option<DateTime<Utc>>,
    /// The worker that claimed it last.
    pub worker: Option<String>,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
    /// What the finished job returned.
    pub result: Option<String>,
    /// Enqueued at.
    pub created_at: DateTime<Utc>,
    /// Last state change.
    pub updated_at: DateTime<Utc>,
}

impl Job {
    /// The lease of its current claim.
    pub fn lease(&self) -> Lease {
        Lease {
            id: self.id,
            attempt: self.attempts,
        }
    }
}

/// Proof of a claim: finishing with a stale lease (the job was re-claimed
/// after the lease expired, or finished already) does nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lease {
    /// The job.
    pub id: JobId,
    /// The job's `attempts` right after the claim.
    pub attempt: u32,
}

/// What a worker asks [`claim`](crate::JobQueue::claim) for.
#[derive(Clone, Copy, Debug)]
pub struct Claim<'a> {
    /// Who claims (kept on the job).
    pub worker: &'a str,
    /// Job kinds wanted; empty means any.
    pub kinds: &'a [&'a str],
    /// At most this many jobs.
    pub limit: u32,
    /// How long the claim holds before another worker may take the job.
    pub lease: Duration,
    /// The claim time.
    pub now: DateTime<Utc>,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finish {
    /// Succeeded; `result` is kept on the job.
    Done {
        /// What the job returned (JSON text), if anything.
        result: Option<String>,
    },
    /// Failed; run again at `at`.
    Retry {
        /// When the job becomes claimable again.
        at: DateTime<Utc>,
        /// Why the attempt failed.
        error: String,
    },
    /// Failed for good.
    Dead {
        /// Why.
        error: String,
    },
}

/// How many jobs of one kind are in one state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueDepth {
    /// The job kind.
    pub kind: String,
    /// The state.
    pub state: JobState,
    /// Jobs of that kind in that state.
    pub count: u64,
    /// The earliest `created_at` among them.
    pub oldest: Option<DateTime<Utc>>,
}

/// The ready job that has waited longest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OldestReady {
    /// The job.
    pub id: JobId,
    /// Since when it has been claimable.
    pub run_at: DateTime<Utc>,
}

/// The queue at a glance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Depth per kind and state, sorted by kind then state.
    pub depth: Vec<QueueDepth>,
    /// The ready job, due at the time asked, with the earliest `run_at`.
    pub oldest_ready: Option<OldestReady>,
}

/// Which jobs [`requeue`](crate::JobQueue::requeue) makes ready again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requeue {
    /// This job (dead, ready or done; never a running one).
    Job(JobId),
    /// Every dead job.
    Dead,
}

/// Which jobs [`jobs`](crate::JobQueue::jobs) lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobFilter<'a> {
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only jobs of this kind.
    pub kind: Option<&'a str>,
    /// At most this many.
    pub limit: u32,
}

/// One webhook event's effect on a stream table, applied with its job's completion.
#[derive(Clone, Debug)]
pub struct EventApply<'a> {
    /// The claim of the job that carries the event.
    pub lease: Lease,
    /// The stream table (prepared with [`RecordStore::prepare_table`](crate::RecordStore::prepare_table)).
    pub table: &'a TableSpec,
    /// Key, raw record and mapped values, as in page upserts.
    pub row: RecordRow,
    /// The event's version: sortable text made by the caller, a letter
    /// naming its kind (`n` number, `t` time) then text whose byte order is
    /// the value's order; see [`order_versions`]. `None`: no ordering, the
    /// event always applies.
    pub version: Option<String>,
    /// The event deletes the record (it is kept as a tombstone).
    pub delete: bool,
}

/// What one webhook event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventOutcome {
    /// A new record.
    Created,
    /// The record's content changed (or a deleted record came back).
    Updated,
    /// Same content; only its version and last sighting were recorded.
    Unchanged,
    /// The record is now a tombstone.
    Deleted,
    /// The stored version is the same or newer: nothing written.
    Stale,
    /// The job's lease was lost: nothing written, the job untouched.
    LeaseLost,
    /// The stored version and the event's are of different kinds (a
    /// number and a time, say) and cannot be ordered: nothing written, the
    /// job left running under its lease for the caller to dead-letter with
    /// a message that names the webhook and the version.
    VersionMismatch,
}

/// How an event's `incoming` version orders against the `stored` one, or
/// `None` when they are of different kinds (their first characters, which
/// name the kind, differ) and cannot be ordered. Within a kind, versions
/// compare as bytes. Both stores decide events with this rule.
pub fn order_versions(stored: &str, incoming: &str) -> Option<std::cmp::Ordering> {
    let kind = |v: &str| v.as_bytes().first().copied();
    (kind(stored) == kind(incoming)).then(|| incoming.as_bytes().cmp(stored.as_bytes()))
}

impl EventOutcome {
    /// The lowercase name shown (the JSON form without quotes).
    pub fn as_str(self) -> &'static str {
        match self {
            EventOutcome::Created => "created",
            EventOutcome::Updated => "updated",
            EventOutcome::Unchanged => "unchanged",
            EventOutcome::Deleted => "deleted",
            EventOutcome::Stale => "stale",
            EventOutcome::LeaseLost => "lease_lost",
            EventOutcome::VersionMismatch => "version_mismatch",
        }
    }
}

/// Rejected webhook requests of one kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The webhook name.
    pub webhook: String,
    /// Why requests were rejected (`bad_signature`, `stale_timestamp`, …).
    pub reason: String,
    /// How many.
    pub count: u64,
    /// The first one.
    pub first_at: DateTime<Utc>,
    /// The last one.
    pub last_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_within_a_kind_only() {
        use std::cmp::Ordering::*;
        assert_eq!(order_versions("n0002", "n0001"), Some(Less));
        assert_eq!(order_versions("n0002", "n0002"), Some(Equal));
        assert_eq!(order_versions("n0002", "n0010"), Some(Greater));
        assert_eq!(order_versions("nB", "na"), Some(Greater), "byte order");
        assert_eq!(order_versions("n1", "t2024-06-01T00:00:00Z"), None);
        assert_eq!(order_versions("syesterday", "t2024"), None);
    }

    #[test]
    fn names_roundtrip() {
        for s in [
            JobState::Ready,
            JobState::Running,
            JobState::Done,
            JobState::Dead,
        ] {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            serde_json::to_string(&EventOutcome::LeaseLost)
                .ok()
                .as_deref(),
            Some("\"lease_lost\"")
        );
        assert_eq!(JobState::parse("gone"), None);
    }
}
