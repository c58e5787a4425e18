//! The sync worker: claims sync jobs and runs each under its stream's lease.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_store::prelude::*;
use holdfast_store::{Claim, Finish, Job, RunOutcome, StoreError};
use serde_json::json;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::stream_lease;
use crate::jobs::{SYNC, SyncCall};
use crate::sync::{NoopObserver, SyncOptions, sync_stream_until};
use crate::worker::worker_id;
use crate::{Source, StreamInfo, SyncError};

/// How a sync worker claims and holds.
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

/// What one sync job came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncJobOutcome {
    /// The run read everything.
    Succeeded {
        /// The stream.
        stream: String,
        /// Its run's id.
        run: i64,
        /// Whether it continued an interrupted run.
        resumed: bool,
    },
    /// The run failed (recorded with its error); the job is dead-lettered
    /// with the same error and the next slot runs the stream again.
    Failed {
        /// The stream.
        stream: String,
        /// Why.
        error: String,
    },
    /// Stopped after its last committed page (a shutdown, or the stream's
    /// lease was lost); the job is ready again at once.
    Interrupted {
        /// The stream.
        stream: String,
    },
    /// The stream is running elsewhere: the job waits until `until`.
    Busy {
        /// The stream.
        stream: String,
        /// The lease holder.
        holder: String,
        /// When the job looks again.
        until: DateTime<Utc>,
    },
    /// A run started (and ended) after the job's slot: nothing to do.
    Skipped {
        /// The stream.
        stream: String,
    },
    /// The job cannot be run (unreadable, or its stream is gone from the
    /// connector file): dead-lettered.
    Invalid {
        /// Why.
        error: String,
    },
}

/// Claims sync jobs one at a time and runs them: a stream holds the named
/// lease `stream:{name}` for the whole run, so it never runs twice at once
/// across every process sharing the store.
pub struct SyncWorker {
    store: Arc<dyn Store>,
    source: Arc<dyn Source>,
    config: SyncWorkerConfig,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for SyncWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncWorker")
            .field("config", &self.config)
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
            store,
            source,
            config,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Shares `wake` (e.g. with the [`Scheduler`](super::Scheduler)): a
    /// `notify_waiters` makes idle sync workers look at the queue now.
    pub fn with_waker(mut self, wake: Arc<Notify>) -> SyncWorker {
        self.wake = wake;
        self
    }

    /// Works until `stop` is cancelled. A run going on then stops after its
    /// current page commits, is recorded as interrupted, its job goes back
    /// to ready and its stream lease is given up before this returns.
    pub async fn run(&self, stop: CancellationToken) {
        loop {
            if stop.is_cancelled() {
                return;
            }
            let pause = match self.step(&stop).await {
                Ok(Some(_)) => continue,
                Ok(None) => self.config.idle,
                Err(e) => {
                    tracing::warn!(error = %e, "sync worker: the queue is not reachable; trying again");
                    self.config.idle.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
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
        let jobs = self
            .store
            .claim(Claim {
                worker: &self.config.id,
                kinds: &[SYNC],
                limit: 1,
                lease: self.config.lease,
                now: Utc::now(),
            })
            .await?;
        let Some(job) = jobs.into_iter().next() else {
            return Ok(None);
        };
        self.do_job(&job, stop).await.map(Some)
    }

    async fn do_job(
        &self,
        job: &Job,
        stop: &CancellationToken,
    ) -> Result<SyncJobOutcome, StoreError> {
        let call = match serde_json::from_str::<SyncCall>(&job.payload) {
            Ok(call) => call,
            Err(e) => {
                let error = format!("the queued sync cannot be read: {e}");
                return self.invalid(job, error).await;
            }
        };
        let Some(info) = self
            .source
            .streams()
            .into_iter()
            .find(|s| s.name == call.stream)
        else {
            let error = format!(
                "no stream `{}` in the connector file (removed since the job was queued?)",
                call.stream
            );
            return self.invalid(job, error).await;
        };
        let lease = stream_lease(&call.stream);
        if let Some((holder, until)) = self.take_lease(&lease).await? {
            let after = until + chrono::Duration::milliseconds(10);
            let at = after.min(Utc::now() + chrono_duration(self.config.busy_retry));
            let error = format!(
                "stream `{}` is being synced by {holder} (lease until {until}); waiting for it",
                call.stream
            );
            self.store
                .finish(job.lease(), Finish::Retry { at, error }, Utc::now())
                .await?;
            return Ok(SyncJobOutcome::Busy {
                stream: call.stream,
                holder,
                until: at,
            });
        }
        let outcome = match self.superseded(&call).await {
            Ok(true) => Ok(None),
            Ok(false) => Ok(Some(
                self.sync_leased(job, &info, &call, &lease, stop).await,
            )),
            Err(e) => Err(e),
        };
        // the lease goes first, so a worker that claims the job next finds the stream free
        if let Err(e) = self.store.release_lease(&lease, &self.config.id).await {
            tracing::warn!(error = %e, lease, "could not give a stream lease up; it ends on its own");
        }
        let (finish, outcome) = match outcome? {
            None => (
                Finish::Done {
                    result: Some(json!({ "skipped": "a run started after this slot" }).to_string()),
                },
                SyncJobOutcome::Skipped {
                    stream: call.stream,
                },
            ),
            Some(Ok(summary)) => (
                Finish::Done {
                    result: Some(
                        json!({
                            "run": summary.run.0,
                            "resumed": summary.resumed,
                            "pages": summary.pages,
                            "records": summary.records(),
                            "seconds": summary.elapsed.as_secs_f64(),
                        })
                        .to_string(),
                    ),
                },
                SyncJobOutcome::Succeeded {
                    stream: call.stream,
                    run: summary.run.0,
                    resumed: summary.resumed,
                },
            ),
            Some(Err(SyncError::Interrupted { .. })) => (
                Finish::Retry {
                    at: Utc::now(),
                    error: "stopped after its last committed page (shutdown); resumes from there"
                        .to_owned(),
                },
                SyncJobOutcome::Interrupted {
                    stream: call.stream,
                },
            ),
            Some(Err(e)) => {
                let error = e.to_string();
                (
                    Finish::Dead {
                        error: error.clone(),
                    },
                    SyncJobOutcome::Failed {
                        stream: call.stream,
                        error,
                    },
                )
            }
        };
        if !self.store.finish(job.lease(), finish, Utc::now()).await? {
            tracing::warn!(
                job = job.id.0,
                "a sync job's claim was lost before it finished"
            );
        }
        Ok(outcome)
    }

    /// Takes the stream's lease; `None` when taken, else who holds it and
    /// until when (see [`super::lease::take`]).
    async fn take_lease(&self, lease: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let span = chrono_duration(self.config.lease);
        super::lease::take(&*self.store, lease, &self.config.id, span).await
    }

    /// True when the job's slot is covered already: the stream's last run
    /// started after the slot and ended (not interrupted, which this job
    /// must resume).
    async fn superseded(&self, call: &SyncCall) -> Result<bool, StoreError> {
        let Some(slot) = call
            .slot
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        else {
            return Ok(false);
        };
        let last = self.store.runs(Some(&call.stream), 1).await?;
        Ok(last.first().is_some_and(|r| {
            r.started_at >= slot && matches!(r.outcome, RunOutcome::Succeeded | RunOutcome::Failed)
        }))
    }

    /// Runs the sync while renewing the job's claim and the stream's lease;
    /// losing either stops the run after its current page.
    async fn sync_leased(
        &self,
        job: &Job,
        info: &StreamInfo,
        call: &SyncCall,
        lease: &str,
        stop: &CancellationToken,
    ) -> Result<crate::sync::RunSummary, SyncError> {
        let token = stop.child_token();
        let store: &dyn Store = &*self.store;
        let options = SyncOptions {
            full_refresh: call.full_refresh,
        };
        let run = sync_stream_until(&*self.source, store, info, options, &NoopObserver, &token);
        tokio::pin!(run);
        let renew = self.renew(job, lease, &token);
        tokio::pin!(renew);
        let result = tokio::select! {
            result = &mut run => result,
            () = &mut renew => run.await,
        };
        result
    }

    /// Renews the claim and the lease every third of the lease; returns
    /// (after cancelling `token`) when either is lost.
    async fn renew(&self, job: &Job, lease: &str, token: &CancellationToken) {
        let every = self.config.lease / 3;
        loop {
            tokio::select! {
                () = token.cancelled() => return std::future::pending().await,
                () = tokio::time::sleep(every) => {}
            }
            let now = Utc::now();
            let until = now + chrono_duration(self.config.lease);
            let claim = self.store.extend_lease(job.lease(), until, now).await;
            let stream = self
                .store
                .acquire_lease(lease, &self.config.id, until, now)
                .await;
            match (claim, stream) {
                (Ok(true), Ok(true)) => {}
                (Ok(false), _) | (_, Ok(false)) => {
                    tracing::warn!(
                        lease,
                        job = job.id.0,
                        "lost the claim or the stream lease; stopping the run after its current page"
                    );
                    token.cancel();
                    return;
                }
                (Err(e), _) | (_, Err(e)) => {
                    // the store is busy or away: try again; the lease still has two thirds to go
                    tracing::warn!(error = %e, lease, "could not renew a lease");
                }
            }
        }
    }

    async fn invalid(&self, job: &Job, error: String) -> Result<SyncJobOutcome, StoreError> {
        let finish = Finish::Dead {
            error: error.clone(),
        };
        self.store.finish(job.lease(), finish, Utc::now()).await?;
        Ok(SyncJobOutcome::Invalid { error })
    }
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
