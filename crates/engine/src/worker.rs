//! The worker: claims jobs from the durable queue and does them.
//!
//! A webhook event is routed, checked and applied to its stream's table in
//! the same transaction that marks its job done, so an event is applied
//! exactly once even when a worker dies mid-batch (its lease expires and
//! another worker claims the job again). An action is sent with its
//! idempotency key; the response is kept as the job's result.
//!
//! Failures that another try cannot fix (an event whose record fails its
//! schema, an action the API refused with 4xx) go straight to the
//! dead-letter state with the reason; transient ones (the store is busy,
//! the API timed out) are retried with exponential backoff and jitter, and
//! dead-lettered after the job's `max_attempts`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_store::{Claim, EventApply, EventOutcome, Finish, Job, JobQueue, StoreError};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

use crate::declarative::ActionError;
use crate::events::{EventRouter, EventWrite, Resolved};
use crate::jobs::{ACTION, ActionCall, WEBHOOK, WebhookEvent};
use crate::sources::Sources;
use crate::{Source, SourceError};

/// How a worker claims and retries.
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

/// Claims and does jobs of one connector file.
pub struct Worker {
    queue: Arc<dyn JobQueue>,
    source: Sources,
    router: EventRouter,
    config: WorkerConfig,
    wake: Arc<Notify>,
    /// The current batch size (see [`WorkerConfig::batch`]).
    batch: std::sync::atomic::AtomicU32,
    /// When webhook acks last committed, if this process receives webhooks.
    acks: Option<Arc<AckClock>>,
}

/// When the webhook receiver last committed a batch of acknowledged events.
/// Workers keep their write transactions short while it is busy, so acks
/// (a vendor waiting on an open request) go before applying (which can wait).
#[derive(Debug)]
pub struct AckClock {
    started: std::time::Instant,
    last_ms: std::sync::atomic::AtomicU64,
}

impl Default for AckClock {
    fn default() -> Self {
        AckClock {
            started: std::time::Instant::now(),
            last_ms: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl AckClock {
    /// How recently an ack commit counts as "busy".
    const BUSY_FOR: Duration = Duration::from_millis(100);

    /// Records an ack commit now.
    pub fn mark(&self) {
        let ms = self.started.elapsed().as_millis() as u64 + 1;
        self.last_ms.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// True when acks committed within the last 100 ms.
    pub fn busy(&self) -> bool {
        let last = self.last_ms.load(std::sync::atomic::Ordering::Relaxed);
        last > 0
            && (self.started.elapsed().as_millis() as u64 + 1).saturating_sub(last)
                < Self::BUSY_FOR.as_millis() as u64
    }
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("config", &self.config)
            .finish()
    }
}

impl Worker {
    /// A worker for `source`'s connector file on `queue` (a
    /// [`DeclarativeSource`](crate::DeclarativeSource), or [`Sources`] when
    /// custom sources read some of its streams).
    ///
    /// # Errors
    /// A route condition, schema or map that does not compile.
    pub fn new(
        queue: Arc<dyn JobQueue>,
        source: impl Into<Sources>,
        config: WorkerConfig,
    ) -> Result<Worker, SourceError> {
        let source = source.into();
        let spec = Arc::new(source.spec().clone());
        let router = EventRouter::with_custom(spec, &source.custom_streams())?;
        Ok(Worker {
            queue,
            source,
            router,
            config,
            wake: Arc::new(Notify::new()),
            batch: std::sync::atomic::AtomicU32::new(MIN_BATCH),
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
        self.wake = wake;
        self
    }

    /// Notify this to make an idle worker look at the queue now (after an enqueue).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Creates the tables webhook events write to.
    ///
    /// # Errors
    /// A table that exists with another primary key.
    pub async fn prepare(&self) -> Result<(), StoreError> {
        for table in self.router.tables() {
            self.queue.prepare_table(table).await?;
        }
        Ok(())
    }

    /// Works until `shutdown` resolves: claims a batch, does it, and sleeps
    /// when the queue is empty. A store error is logged and retried after a
    /// pause; it never ends the loop.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let pause = match self.step(Utc::now()).await {
                Ok(done) if done.claimed > 0 => continue,
                Ok(_) => self.config.idle,
                Err(e) => {
                    tracing::warn!(error = %e, "worker: the queue is not reachable; trying again");
                    self.config.idle.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
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

    /// Claims one batch and does it.
    ///
    /// # Errors
    /// The store failed to claim or to record an outcome.
    pub async fn step(&self, now: DateTime<Utc>) -> Result<WorkSummary, StoreError> {
        let jobs = self
            .queue
            .claim(Claim {
                worker: &self.config.id,
                kinds: &self.config.kinds,
                limit: self.batch_size(),
                lease: self.config.lease,
                now,
            })
            .await?;
        self.adapt_batch(jobs.len());
        let mut summary = WorkSummary {
            claimed: jobs.len() as u64,
            ..WorkSummary::default()
        };
        let (events, others): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|j| j.kind == WEBHOOK);
        if !events.is_empty() {
            summary.add(self.apply_events(&events).await?);
        }
        let actions = others.iter().map(|job| self.do_other(job));
        for done in futures::future::join_all(actions).await {
            summary.add(done?);
        }
        Ok(summary)
    }

    fn batch_size(&self) -> u32 {
        self.batch
            .load(std::sync::atomic::Ordering::Relaxed)
            .clamp(1, self.config.batch.max(1))
    }

    /// Doubles the batch after a full claim (a backlog), halves it after a
    /// short one, and keeps it at the minimum while webhook requests are
    /// being acknowledged (they wait for the same write lock).
    fn adapt_batch(&self, claimed: usize) {
        let now = self.batch_size();
        let next = if self.acks.as_ref().is_some_and(|a| a.busy()) {
            MIN_BATCH
        } else if claimed as u64 >= u64::from(now) {
            now.saturating_mul(2)
        } else {
            (now / 2).max(MIN_BATCH)
        };
        self.batch.store(
            next.min(self.config.batch.max(1)),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Routes every event of the batch, then applies the writes and marks
    /// their jobs done in one transaction.
    async fn apply_events(&self, jobs: &[Job]) -> Result<WorkSummary, StoreError> {
        let mut summary = WorkSummary::default();
        let mut writes = Vec::with_capacity(jobs.len());
        for job in jobs {
            let routed = serde_json::from_str::<WebhookEvent>(&job.payload)
                .map_err(|e| format!("the queued event cannot be read: {e}"))
                .and_then(|event| self.router.route(&event));
            // a custom source's stream: its `handle_event` makes the records
            match crate::events::resolve(&self.router, &self.source, routed).await {
                Resolved::Writes(rows) => writes.extend(rows.into_iter().map(|w| (job, w))),
                Resolved::Ignored => {
                    let result = Some("\"ignored\"".to_owned());
                    self.finish(job, Finish::Done { result }, &mut summary)
                        .await?;
                    summary.ignored += 1;
                }
                Resolved::Dead(reason) => {
                    self.finish(job, Finish::Dead { error: reason }, &mut summary)
                        .await?;
                }
                Resolved::Retry(reason) => {
                    let finish = self.retry_or_dead(job, reason);
                    self.finish(job, finish, &mut summary).await?;
                }
            }
        }
        if writes.is_empty() {
            return Ok(summary);
        }
        let applies: Vec<EventApply<'_>> = writes
            .iter()
            .filter_map(|(job, w)| {
                Some(EventApply {
                    lease: job.lease(),
                    table: self.router.table(&w.stream)?,
                    row: w.row.clone(),
                    version: w.version.clone(),
                    delete: w.delete,
                })
            })
            .collect();
        match self.queue.apply_events(&applies, Utc::now()).await {
            Ok(outcomes) => {
                let mut refused = Vec::new();
                for (outcome, (job, w)) in outcomes.into_iter().zip(&writes) {
                    let (stream, key, version) = (
                        &w.stream,
                        serde_json::Value::from(w.row.key.clone()),
                        &w.version,
                    );
                    let label = match outcome {
                        EventOutcome::Created => "created",
                        EventOutcome::Updated => "updated",
                        EventOutcome::Deleted => "deleted",
                        EventOutcome::Stale => "stale",
                        EventOutcome::Unchanged => "unchanged",
                        EventOutcome::LeaseLost => "lease_lost",
                        EventOutcome::VersionMismatch => "version_mismatch",
                    };
                    crate::telemetry::event_applied(stream, label);
                    match outcome {
                        EventOutcome::Created | EventOutcome::Updated => summary.applied += 1,
                        EventOutcome::Deleted => {
                            tracing::info!(job = job.id.0, %stream, %key, "record deleted: the event is a tombstone");
                            summary.deleted += 1;
                        }
                        EventOutcome::Stale => {
                            tracing::info!(job = job.id.0, %stream, %key, ?version, "event skipped: the stored record has a newer version");
                            summary.stale += 1;
                        }
                        EventOutcome::Unchanged => {
                            tracing::debug!(job = job.id.0, %stream, %key, ?version, "event skipped: the stored record has this version already");
                            summary.ignored += 1;
                        }
                        EventOutcome::LeaseLost => {
                            tracing::warn!(job = job.id.0, %stream, %key, "event not applied: the job's lease was lost (another worker has it)");
                            summary.lost += 1;
                        }
                        // a custom source's event may write several rows: finished once
                        EventOutcome::VersionMismatch if refused.contains(&job.id) => {}
                        EventOutcome::VersionMismatch => {
                            refused.push(job.id);
                            let error = version_mismatch(w, &key);
                            tracing::warn!(job = job.id.0, %stream, %key, error, "event dead-lettered: its version cannot be ordered against the stored one");
                            self.finish(job, Finish::Dead { error }, &mut summary)
                                .await?;
                        }
                    }
                }
            }
            Err(e) => {
                // nothing of the batch was written: each job tries again later
                tracing::warn!(error = %e, events = writes.len(), "applying webhook events failed");
                for (i, (job, _)) in writes.iter().enumerate() {
                    if writes[..i].iter().any(|(j, _)| j.id == job.id) {
                        continue; // one job, several rows
                    }
                    let finish = self.retry_or_dead(job, format!("the store failed: {e}"));
                    self.finish(job, finish, &mut summary).await?;
                }
            }
        }
        Ok(summary)
    }

    /// An action (or a job of a kind this worker does not know: dead-lettered).
    async fn do_other(&self, job: &Job) -> Result<WorkSummary, StoreError> {
        let mut summary = WorkSummary::default();
        if job.kind != ACTION {
            let error = format!("unknown job kind `{}`", job.kind);
            self.finish(job, Finish::Dead { error }, &mut summary)
                .await?;
            return Ok(summary);
        }
        let call = match serde_json::from_str::<ActionCall>(&job.payload) {
            Ok(c) => c,
            Err(e) => {
                let error = format!("the queued action cannot be read: {e}");
                self.finish(job, Finish::Dead { error }, &mut summary)
                    .await?;
                return Ok(summary);
            }
        };
        let outcome = self.perform_leased(job, &call).await;
        self.flush_requests().await;
        let finish = match outcome {
            Ok(response) => {
                summary.performed += 1;
                let result = serde_json::json!({
                    "status": response.status,
                    "idempotency_key": call.idempotency_key,
                    "body": parse_or_text(&response.body),
                });
                Finish::Done {
                    result: Some(result.to_string()),
                }
            }
            Err(e) if e.is_retryable() => self.retry_or_dead(job, e.to_string()),
            Err(e) => Finish::Dead {
                error: e.to_string(),
            },
        };
        self.finish(job, finish, &mut summary).await?;
        Ok(summary)
    }

    /// Performs an action while keeping its lease alive.
    async fn perform_leased(
        &self,
        job: &Job,
        call: &ActionCall,
    ) -> Result<crate::ActionResponse, ActionError> {
        let perform = self
            .source
            .perform(&call.action, &call.input, &call.idempotency_key);
        tokio::pin!(perform);
        let every = self.config.lease / 3;
        loop {
            tokio::select! {
                result = &mut perform => return result,
                () = tokio::time::sleep(every) => {
                    let now = Utc::now();
                    let until = now + chrono::Duration::from_std(self.config.lease).unwrap_or_default();
                    if let Err(e) = self.queue.extend_lease(job.lease(), until, now).await {
                        tracing::warn!(error = %e, job = job.id.0, "could not extend a lease");
                    }
                }
            }
        }
    }

    async fn flush_requests(&self) {
        let rows = self.source.take_requests();
        if !rows.is_empty()
            && let Err(e) = self.queue.log_requests(&rows).await
        {
            tracing::warn!(error = %e, "could not write the request log");
        }
    }

    /// Retry later with backoff, or dead-letter when attempts are used up.
    fn retry_or_dead(&self, job: &Job, error: String) -> Finish {
        if job.attempts >= job.max_attempts {
            return Finish::Dead {
                error: format!("{error} (gave up after {} attempts)", job.attempts),
            };
        }
        let delay = backoff(self.config.backoff, self.config.max_backoff, job.attempts);
        Finish::Retry {
            at: Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default(),
            error,
        }
    }

    async fn finish(
        &self,
        job: &Job,
        finish: Finish,
        summary: &mut WorkSummary,
    ) -> Result<(), StoreError> {
        let retry = matches!(finish, Finish::Retry { .. });
        let dead = matches!(finish, Finish::Dead { .. });
        if self.queue.finish(job.lease(), finish, Utc::now()).await? {
            summary.retried += u64::from(retry);
            summary.dead += u64::from(dead);
        } else {
            summary.lost += 1;
        }
        Ok(())
    }
}

/// The id of this process's `n`th worker: `{host}/{pid}/{n}`, so a later
/// process on the same host can tell whether the claimant is still alive.
pub fn worker_id(n: usize) -> String {
    format!("{}/{}/{n}", host_name(), std::process::id())
}

/// Makes the jobs claimed by workers of this host whose process is gone (a
/// `kill -9`, a crash) ready again at once, instead of after their leases;
/// returns how many. Claims of other hosts, and of live processes, are left
/// to their leases.
///
/// # Errors
/// The store failed.
pub async fn release_dead_claims(queue: &dyn JobQueue) -> Result<u64, StoreError> {
    let mut released = 0;
    for worker in queue.claimants().await? {
        if !worker_gone(&worker) {
            continue;
        }
        let n = queue.release_claims(&worker, Utc::now()).await?;
        if n > 0 {
            tracing::info!(
                worker,
                jobs = n,
                "released the jobs of a worker that is gone"
            );
        }
        released += n;
    }
    Ok(released)
}

/// Whether `worker` (an id made by [`worker_id`]) names a process of this
/// host that no longer exists. Other hosts' workers, and live ones, are not
/// known to be gone.
pub fn worker_gone(worker: &str) -> bool {
    let mut parts = worker.rsplitn(3, '/');
    let (_n, pid, on) = (parts.next(), parts.next(), parts.next());
    let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    on == Some(host_name().as_str()) && pid != std::process::id() && !process_alive(pid)
}

/// This machine's name (Linux), else `$HOSTNAME`, else `localhost`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().replace('/', "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Whether process `pid` exists and has not exited; `true` where that
/// cannot be told (no `/proc`). A zombie (killed, not yet reaped by its
/// parent: state `Z`, or `X` while being reaped) is gone: it runs nothing
/// and will never renew a lease.
fn process_alive(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    if !proc.is_dir() {
        return true;
    }
    match std::fs::read_to_string(proc.join(pid.to_string()).join("stat")) {
        Ok(stat) => !matches!(stat_state(&stat), Some('Z' | 'X' | 'x')),
        // gone, or vanished between the look and the read
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        // there but unreadable (another user's process under hidepid): alive
        Err(_) => proc.join(pid.to_string()).exists(),
    }
}

/// The state letter of a `/proc/<pid>/stat` line: the field after the
/// command name, which is in parentheses and may itself hold `)` and spaces.
fn stat_state(stat: &str) -> Option<char> {
    let (_, after) = stat.rsplit_once(')')?;
    after.trim_start().chars().next()
}

/// Why an event whose version is of another kind than its record's stored
/// version is dead-lettered: the webhook, path and value, and the fix.
fn version_mismatch(write: &EventWrite, key: &Value) -> String {
    let at = write.version_at.as_deref().unwrap_or("the event's version");
    let kind = crate::events::version::kind(write.version.as_deref().unwrap_or_default());
    format!(
        "{at} is {kind}, but record {key} of stream `{}` has a stored version of another kind; \
         a number and a timestamp cannot be ordered: send versions of one kind for every \
         event of a record",
        write.stream
    )
}

/// The batch a worker starts with and returns to when it has caught up.
const MIN_BATCH: u32 = 16;

/// Exponential backoff with jitter: between half and all of
/// `initial · 2^(attempt-1)`, capped at `max`.
fn backoff(initial: Duration, max: Duration, attempt: u32) -> Duration {
    let exp = initial.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let cap = exp.min(max);
    cap / 2 + cap.mul_f64(fastrand::f64() / 2.0)
}

/// The body as JSON when it is, else as text.
fn parse_or_text(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_follows_the_last_parenthesis() {
        assert_eq!(stat_state("42 (holdfast) S 1 42 42 0"), Some('S'));
        assert_eq!(stat_state("42 (a) Z (b)) Z 1 42"), Some('Z'));
        assert_eq!(stat_state("42 (sleep) R"), Some('R'));
        assert_eq!(stat_state("garbage"), None);
    }

    #[test]
    fn backoff_grows_within_bounds() {
        let s = Duration::from_secs(1);
        let max = Duration::from_secs(60);
        for attempt in 1..12 {
            let d = backoff(s, max, attempt);
            let cap = (s * 2u32.pow(attempt - 1)).min(max);
            assert!(d >= cap / 2 && d <= cap, "attempt {attempt}: {d:?}");
        }
    }
}
