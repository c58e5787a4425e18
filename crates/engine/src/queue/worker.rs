//! The two workers a process runs, both on the one loop of [`Lane`]: a
//! [`Worker`] for webhook events and actions (batches, claimed by
//! priority), a [`SyncWorker`] for queued syncs (one at a time, each under
//! its stream's lease).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_store::prelude::*;
use holdfast_store::{Finish, Job, StoreError};
use serde::Serialize;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::actions::ActionHandler;
use super::events::EventHandler;
use super::lane::{Backoff, Lane};
use super::pace::{AckClock, Batch};
use super::syncs::{SyncHandler, SyncJobOutcome};
use crate::calendar::{Calendars, Clock};
use crate::events::EventRouter;
use crate::identity::worker_id;
use crate::jobs::{ACTION, SYNC, WEBHOOK};
use crate::sources::Sources;
use crate::{Source, SourceError};

/// How a [`Worker`] claims and retries.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names the worker in claimed jobs (`holdfast queue` shows it).
    pub id: String,
    /// The kinds of job it claims (default: webhook events and actions).
    pub kinds: Vec<&'static str>,
    /// Most jobs claimed at once (webhook events of one claim apply in one
    /// transaction). The worker starts at 16 and doubles while it finds a
    /// backlog (bigger batches cost less per job), halving again when it
    /// has caught up: short write transactions keep webhook acks fast.
    pub batch: u32,
    /// How long a claim is held before another worker may take the job.
    pub lease: Duration,
    /// How long to sleep when the queue is empty (a wake-up cuts it short).
    pub idle: Duration,
    /// Backoff before the first retry of a failed job, doubled each attempt.
    pub backoff: Duration,
    /// Largest backoff.
    pub max_backoff: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            id: worker_id(0),
            kinds: vec![WEBHOOK, ACTION],
            batch: 256,
            lease: Duration::from_secs(60),
            idle: Duration::from_millis(500),
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(600),
        }
    }
}

/// What one pass over the queue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WorkSummary {
    /// Jobs claimed.
    pub claimed: u64,
    /// Events that created or changed a record.
    pub applied: u64,
    /// Events that deleted a record.
    pub deleted: u64,
    /// Events older than the stored record (or equal): acknowledged, not applied.
    pub stale: u64,
    /// Events no route matched, or that changed nothing.
    pub ignored: u64,
    /// Actions performed.
    pub performed: u64,
    /// Jobs put back for a later retry.
    pub retried: u64,
    /// Jobs dead-lettered.
    pub dead: u64,
    /// Jobs whose lease was lost (another worker took them).
    pub lost: u64,
}

impl WorkSummary {
    fn add(&mut self, other: WorkSummary) {
        self.claimed += other.claimed;
        self.applied += other.applied;
        self.deleted += other.deleted;
        self.stale += other.stale;
        self.ignored += other.ignored;
        self.performed += other.performed;
        self.retried += other.retried;
        self.dead += other.dead;
        self.lost += other.lost;
    }
}

/// Claims and does the webhook events and actions of one connector file.
///
/// A webhook event is routed, checked and applied to its stream's table in
/// the same transaction that marks its job done; an action is sent with its
/// idempotency key and its response kept as the job's result. Failures
/// that another try cannot fix (an event whose record fails its schema, an
/// action the API refused with 4xx) go straight to the dead-letter state
/// with the reason; transient ones (the store is busy, the API timed out)
/// are retried with exponential backoff and jitter, and dead-lettered after
/// the job's `max_attempts`.
pub struct Worker {
    lane: Lane,
    kinds: Vec<&'static str>,
    events: EventHandler,
    actions: ActionHandler,
    /// The current batch size (see [`WorkerConfig::batch`]).
    batch: Batch,
    /// When webhook acks last committed, if this process receives webhooks.
    acks: Option<Arc<AckClock>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.lane.id)
            .field("kinds", &self.kinds)
            .finish()
    }
}

impl Worker {
    /// A worker for `source`'s connector file on `store` (a
    /// [`DeclarativeSource`](crate::DeclarativeSource), or [`Sources`] when
    /// custom sources read some of its streams).
    ///
    /// # Errors
    /// A route condition, schema or map that does not compile.
    pub fn new(
        store: Arc<dyn Store>,
        source: impl Into<Sources>,
        config: WorkerConfig,
    ) -> Result<Worker, SourceError> {
        let source: Sources = source.into();
        let spec = Arc::new(source.spec().clone());
        let router = EventRouter::with_custom(spec, &source.custom_streams())?;
        Ok(Worker {
            lane: Lane {
                store,
                id: config.id,
                lease: config.lease,
                idle: config.idle,
                backoff: Backoff {
                    initial: config.backoff,
                    max: config.max_backoff,
                },
                wake: Arc::new(Notify::new()),
                name: "worker",
            },
            kinds: config.kinds,
            actions: ActionHandler::new(source.declarative().clone()),
            events: EventHandler::new(router, source),
            batch: Batch::new(config.batch),
            acks: None,
        })
    }

    /// Keeps batches small while `acks` says webhook requests are being acknowledged.
    pub fn with_ack_clock(mut self, acks: Arc<AckClock>) -> Self {
        self.acks = Some(acks);
        self
    }

    /// Shares `wake` with other workers: one `notify_one` wakes one idle worker.
    pub fn with_waker(mut self, wake: Arc<Notify>) -> Self {
        self.lane.wake = wake;
        self
    }

    /// Notify this to make an idle worker look at the queue now (after an enqueue).
    pub fn waker(&self) -> Arc<Notify> {
        self.lane.wake.clone()
    }

    /// Creates the tables webhook events write to.
    ///
    /// # Errors
    /// A table that exists with another primary key.
    pub async fn prepare(&self) -> Result<(), StoreError> {
        for table in self.events.tables() {
            self.lane.store.prepare_table(table).await?;
        }
        Ok(())
    }

    /// Works until `shutdown` resolves: claims a batch, does it, and sleeps
    /// when the queue is empty. A store error is logged and retried after a
    /// pause; it never ends the loop.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        let step = || async { self.step(Utc::now()).await.map(|done| done.claimed) };
        self.lane.run(step, shutdown).await;
    }

    /// Does jobs until none is claimable now (jobs waiting for a retry
    /// later are left); what was done.
    ///
    /// # Errors
    /// The store failed.
    pub async fn drain(&self) -> Result<WorkSummary, StoreError> {
        let mut total = WorkSummary::default();
        loop {
            let done = self.step(Utc::now()).await?;
            if done.claimed == 0 {
                return Ok(total);
            }
            total.add(done);
        }
    }

    /// Claims one batch and does it: its webhook events in one transaction,
    /// then its actions at once.
    ///
    /// # Errors
    /// The store failed to claim or to record an outcome.
    pub async fn step(&self, now: DateTime<Utc>) -> Result<WorkSummary, StoreError> {
        let jobs = self.lane.claim(&self.kinds, self.batch.size(), now).await?;
        self.batch.adapt(jobs.len(), self.acks.as_deref());
        let mut summary = WorkSummary {
            claimed: jobs.len() as u64,
            ..WorkSummary::default()
        };
        let (events, others): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|j| j.kind == WEBHOOK);
        if !events.is_empty() {
            summary.add(self.events.apply(&self.lane, &events).await?);
        }
        let others = others.iter().map(|job| self.perform_action(job));
        for done in futures::future::join_all(others).await {
            summary.add(done?);
        }
        Ok(summary)
    }

    /// Performs an action; a job of a kind this worker has no handler for
    /// is dead-lettered.
    async fn perform_action(&self, job: &Job) -> Result<WorkSummary, StoreError> {
        if job.kind == ACTION {
            return self.actions.perform(&self.lane, job).await;
        }
        let mut summary = WorkSummary::default();
        let error = format!("unknown job kind `{}`", job.kind);
        self.lane
            .finish_counted(job, Finish::Dead { error }, &mut summary)
            .await?;
        Ok(summary)
    }
}

/// How a [`SyncWorker`] claims and holds.
#[derive(Debug, Clone)]
pub struct SyncWorkerConfig {
    /// Names the worker in claimed jobs and as the holder of stream leases.
    pub id: String,
    /// How long a claim and a stream lease hold without renewal; both are
    /// renewed every third of it while the run goes on. A worker that dies
    /// blocks its stream at most this long (on its own host, not at all).
    pub lease: Duration,
    /// How long to sleep when no sync job is due (a wake-up cuts it short).
    pub idle: Duration,
    /// How soon a job whose stream is busy looks again (at the latest when
    /// the holder's lease ends).
    pub busy_retry: Duration,
}

impl Default for SyncWorkerConfig {
    fn default() -> Self {
        SyncWorkerConfig {
            id: worker_id(0),
            lease: Duration::from_secs(30),
            idle: Duration::from_secs(1),
            busy_retry: Duration::from_secs(5),
        }
    }
}

/// Claims sync jobs one at a time and runs them: a stream holds the named
/// lease `stream:{name}` for the whole run, so it never runs twice at once
/// across every process sharing the store.
pub struct SyncWorker {
    lane: Lane,
    syncs: SyncHandler,
}

impl std::fmt::Debug for SyncWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncWorker")
            .field("id", &self.lane.id)
            .finish()
    }
}

impl SyncWorker {
    /// A sync worker running `source`'s streams into `store`.
    pub fn new(
        store: Arc<dyn Store>,
        source: Arc<dyn Source>,
        config: SyncWorkerConfig,
    ) -> SyncWorker {
        SyncWorker {
            lane: Lane {
                store,
                id: config.id,
                lease: config.lease,
                idle: config.idle,
                // a failed run is not retried: the next slot runs the stream again
                backoff: Backoff {
                    initial: config.busy_retry,
                    max: config.busy_retry,
                },
                wake: Arc::new(Notify::new()),
                name: "sync worker",
            },
            syncs: SyncHandler::new(source, config.busy_retry),
        }
    }

    /// Holds and stops scheduled runs by their streams' windows and
    /// blackouts (e.g. [`Scheduler::calendars`](crate::schedule::Scheduler::calendars)).
    pub fn with_calendars(mut self, calendars: Calendars) -> SyncWorker {
        self.syncs.calendars = calendars;
        self
    }

    /// Reads `clock` instead of the system's to claim jobs and apply
    /// calendars (tests set it to a given time).
    pub fn with_clock(mut self, clock: Clock) -> SyncWorker {
        self.syncs.clock = clock;
        self
    }

    /// Shares `wake` (e.g. with the [`Scheduler`](crate::schedule::Scheduler)):
    /// a `notify_waiters` makes idle sync workers look at the queue now.
    pub fn with_waker(mut self, wake: Arc<Notify>) -> SyncWorker {
        self.lane.wake = wake;
        self
    }

    /// Works until `stop` is cancelled. A run going on then stops after its
    /// current page commits, is recorded as interrupted, its job goes back
    /// to ready and its stream lease is given up before this returns.
    pub async fn run(&self, stop: CancellationToken) {
        let step = || async { self.step(&stop).await.map(|done| u64::from(done.is_some())) };
        self.lane.run(step, stop.cancelled()).await;
    }

    /// Claims one due sync job and does it; `None` when none is due (or
    /// `stop` is cancelled already).
    ///
    /// # Errors
    /// The store failed to claim, lease or record an outcome.
    pub async fn step(
        &self,
        stop: &CancellationToken,
    ) -> Result<Option<SyncJobOutcome>, StoreError> {
        if stop.is_cancelled() {
            return Ok(None);
        }
        let jobs = self.lane.claim(&[SYNC], 1, self.syncs.clock.now()).await?;
        let Some(job) = jobs.into_iter().next() else {
            return Ok(None);
        };
        self.syncs.run(&self.lane, &job, stop).await.map(Some)
    }
}
