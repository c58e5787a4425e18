//! The handler of sync jobs: runs each under its stream's lease
//! (`stream:{name}`, renewed with the job's claim while the run goes on), so
//! a stream never runs twice at once across every process sharing the
//! store; a job whose stream is busy waits for it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_store::prelude::*;
use holdfast_store::{Finish, Job, Reconciliation, RunOutcome, StoreError};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::lane::Lane;
use super::windows::{Gate, gate, run_within, stopped};
use crate::calendar::{Calendars, Clock, Stop};
use crate::jobs::SyncCall;
use crate::reconcile::{ReconcileOptions, reconcile_stream};
use crate::sync::{NoopObserver, RunSummary, SyncOptions, stream_lease, sync_stream_until};
use crate::{Source, StreamInfo, SyncError};

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
    /// A queued reconciliation ended (complete, refused or incomplete: its
    /// record says which, and why nothing was deleted when nothing was).
    Reconciled {
        /// The stream.
        stream: String,
        /// The scan's run.
        run: i64,
        /// `complete`, `refused`, `incomplete`.
        outcome: String,
    },
    /// A scheduled job claimed outside its stream's windows (a heavy run)
    /// or in a blackout: put back, ready at `until`, nothing run.
    Held {
        /// The stream.
        stream: String,
        /// When the job may run.
        until: DateTime<Utc>,
    },
    /// The run reached its window's end (or a blackout's start) and stopped
    /// after its last committed page, recorded as interrupted; the job is
    /// ready again at `resumes`, when the run goes on from that page.
    Paused {
        /// The stream.
        stream: String,
        /// When the job is ready again; `None`: never (dead-lettered).
        resumes: Option<DateTime<Utc>>,
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

/// Runs queued syncs of a source's streams into the queue's store.
pub(crate) struct SyncHandler {
    source: Arc<dyn Source>,
    /// How soon a job whose stream is busy looks again.
    busy_retry: Duration,
    /// The streams' windows and blackouts.
    pub(crate) calendars: Calendars,
    /// The clock they are read by.
    pub(crate) clock: Clock,
}

impl SyncHandler {
    pub(crate) fn new(source: Arc<dyn Source>, busy_retry: Duration) -> Self {
        SyncHandler {
            source,
            busy_retry,
            calendars: Calendars::default(),
            clock: Clock::system(),
        }
    }

    /// Runs the sync `job` carries (unless its slot is covered already or
    /// its stream is busy) and records how it went. Once `stop` is
    /// cancelled the run ends after its current page and the job is ready
    /// again at once; the stream's lease is given up before this returns.
    ///
    /// # Errors
    /// The store failed to lease or to record an outcome.
    pub(crate) async fn run(
        &self,
        lane: &Lane,
        job: &Job,
        stop: &CancellationToken,
    ) -> Result<SyncJobOutcome, StoreError> {
        let call = match serde_json::from_str::<SyncCall>(&job.payload) {
            Ok(call) => call,
            Err(e) => {
                let error = format!("the queued sync cannot be read: {e}");
                return invalid(lane, job, error).await;
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
            return invalid(lane, job, error).await;
        };
        let stop_at = match gate(lane, job, &call, &self.calendars, &self.clock).await? {
            Gate::Go(stop_at) => stop_at,
            Gate::Held(outcome) => return Ok(outcome),
        };
        let lease = stream_lease(&call.stream);
        if let Some((holder, until)) = take_lease(lane, &lease).await? {
            let after = until + chrono::Duration::milliseconds(10);
            let at = after.min(Utc::now() + chrono_duration(self.busy_retry));
            let error = format!(
                "stream `{}` is being synced by {holder} (lease until {until}); waiting for it",
                call.stream
            );
            lane.finish(job, Finish::Retry { at, error }).await?;
            return Ok(SyncJobOutcome::Busy {
                stream: call.stream,
                holder,
                until: at,
            });
        }
        let within = (stop_at.as_ref(), lease.as_str());
        let outcome = match superseded(lane, &call).await {
            Ok(true) => Ok((None, false)),
            Ok(false) if call.reconcile => {
                let (ran, stopped) = self.reconcile_leased(lane, job, &info, within, stop).await;
                Ok((Some(Ran::Reconcile(ran)), stopped))
            }
            Ok(false) => {
                let (ran, stopped) = self
                    .sync_leased(lane, job, &info, &call, within, stop)
                    .await;
                Ok((Some(Ran::Sync(ran)), stopped))
            }
            Err(e) => Err(e),
        };
        // a run the calendar stopped says so (while the lease is still ours)
        let paused = match (&outcome, &stop_at) {
            (Ok((Some(ran), true)), Some(stop_at)) if ran.stopped_early() => {
                Some(stopped(lane, &call, stop_at).await)
            }
            _ => None,
        };
        // the lease goes first, so a worker that claims the job next finds the stream free
        if let Err(e) = lane.store.release_lease(&lease, &lane.id).await {
            tracing::warn!(error = %e, lease, "could not give a stream lease up; it ends on its own");
        }
        let ran = outcome?.0;
        let (finish, outcome) = match paused {
            Some(paused) => paused,
            None => ended(call.stream, ran),
        };
        if !lane.finish(job, finish).await? {
            tracing::warn!(
                job = job.id.0,
                "a sync job's claim was lost before it finished"
            );
        }
        Ok(outcome)
    }

    /// Runs the sync while renewing the job's claim and the stream's lease;
    /// losing either stops the run after its current page.
    async fn sync_leased(
        &self,
        lane: &Lane,
        job: &Job,
        info: &StreamInfo,
        call: &SyncCall,
        (stop_at, lease): (Option<&Stop>, &str),
        stop: &CancellationToken,
    ) -> (Result<RunSummary, SyncError>, bool) {
        let token = stop.child_token();
        let store: &dyn Store = &*lane.store;
        let options = SyncOptions {
            full_refresh: call.full_refresh,
        };
        let run = sync_stream_until(&*self.source, store, info, options, &NoopObserver, &token);
        let (result, stopped) =
            run_within(lane, job, lease, &token, (stop_at, &self.clock), run).await;
        (result, stopped && !stop.is_cancelled())
    }
}

/// What a sync job ran.
enum Ran {
    Sync(Result<RunSummary, SyncError>),
    Reconcile(Result<Reconciliation, SyncError>),
}

impl Ran {
    /// True when the run was stopped before its end (interrupted, or a
    /// reconciliation's scan left incomplete).
    fn stopped_early(&self) -> bool {
        match self {
            Ran::Sync(Err(SyncError::Interrupted { .. })) => true,
            Ran::Reconcile(Ok(rec)) => rec.outcome == holdfast_store::ReconcileOutcome::Incomplete,
            Ran::Reconcile(Err(SyncError::Interrupted { .. })) => true,
            _ => false,
        }
    }
}

impl SyncHandler {
    /// Reconciles the stream while renewing the job's claim and the stream's
    /// lease; losing either stops the scan after its current page (and
    /// then nothing is deleted).
    async fn reconcile_leased(
        &self,
        lane: &Lane,
        job: &Job,
        info: &StreamInfo,
        (stop_at, lease): (Option<&Stop>, &str),
        stop: &CancellationToken,
    ) -> (Result<Reconciliation, SyncError>, bool) {
        let Some(settings) = self.source.reconcile_settings(&info.name) else {
            let error = Err(SyncError::Source {
                stream: info.name.clone(),
                source: crate::SourceError::Other(
                    "the stream has no `reconcile:` any more (removed since the job was queued?)"
                        .to_owned(),
                ),
            });
            return (error, false);
        };
        let token = stop.child_token();
        let store: &dyn Store = &*lane.store;
        let run = reconcile_stream(
            &*self.source,
            store,
            (info, &settings),
            ReconcileOptions::default(),
            &NoopObserver,
            &token,
        );
        let (result, stopped) =
            run_within(lane, job, lease, &token, (stop_at, &self.clock), run).await;
        (result, stopped && !stop.is_cancelled())
    }
}

/// How a job ends for what its run came to (`None`: a run since its slot
/// covered it).
fn ended(stream: String, ran: Option<Ran>) -> (Finish, SyncJobOutcome) {
    let run = match ran {
        None => None,
        Some(Ran::Sync(run)) => Some(run),
        Some(Ran::Reconcile(Ok(rec))) => {
            let result = json!({
                "run": rec.run.0,
                "reconcile": rec.outcome.as_str(),
                "upstream": rec.upstream,
                "missing": rec.missing,
                "deleted": rec.deleted,
                "reason": rec.reason,
            });
            return (
                Finish::Done {
                    result: Some(result.to_string()),
                },
                SyncJobOutcome::Reconciled {
                    stream,
                    run: rec.run.0,
                    outcome: rec.outcome.as_str().to_owned(),
                },
            );
        }
        Some(Ran::Reconcile(Err(e))) => Some(Err(e)),
    };
    match run {
        None => (
            Finish::Done {
                result: Some(json!({ "skipped": "a run started after this slot" }).to_string()),
            },
            SyncJobOutcome::Skipped { stream },
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
                stream,
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
            SyncJobOutcome::Interrupted { stream },
        ),
        Some(Err(e)) => {
            let error = e.to_string();
            (
                Finish::Dead {
                    error: error.clone(),
                },
                SyncJobOutcome::Failed { stream, error },
            )
        }
    }
}

/// Takes the stream's lease; `None` when taken, else who holds it and
/// until when (see `crate::sync::lease`).
async fn take_lease(
    lane: &Lane,
    lease: &str,
) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
    let span = chrono_duration(lane.lease);
    crate::sync::take_lease(&*lane.store, lease, &lane.id, span).await
}

/// True when the job's slot is covered already: the stream's last run
/// started after the slot and ended (not interrupted, which this job
/// must resume).
async fn superseded(lane: &Lane, call: &SyncCall) -> Result<bool, StoreError> {
    let Some(slot) = call
        .slot
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
    else {
        return Ok(false);
    };
    if call.reconcile {
        // an incomplete scan (e.g. stopped at its window's end) does not cover it
        let last = lane.store.reconciliations(Some(&call.stream), 1).await?;
        return Ok(last.first().is_some_and(|r| {
            r.started_at >= slot && r.outcome != holdfast_store::ReconcileOutcome::Incomplete
        }));
    }
    let last = lane.store.runs(Some(&call.stream), 1).await?;
    Ok(last.first().is_some_and(|r| {
        r.started_at >= slot && matches!(r.outcome, RunOutcome::Succeeded | RunOutcome::Failed)
    }))
}

/// Renews the claim and the lease every third of the lease; returns
/// (after cancelling `token`) when either is lost.
pub(super) async fn renew(lane: &Lane, job: &Job, lease: &str, token: &CancellationToken) {
    let every = lane.lease / 3;
    loop {
        tokio::select! {
            () = token.cancelled() => return std::future::pending().await,
            () = tokio::time::sleep(every) => {}
        }
        let now = Utc::now();
        let until = now + chrono_duration(lane.lease);
        let claim = lane.store.extend_lease(job.lease(), until, now).await;
        let stream = lane.store.acquire_lease(lease, &lane.id, until, now).await;
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

/// Dead-letters a job that cannot be run.
async fn invalid(lane: &Lane, job: &Job, error: String) -> Result<SyncJobOutcome, StoreError> {
    let finish = Finish::Dead {
        error: error.clone(),
    };
    lane.finish(job, finish).await?;
    Ok(SyncJobOutcome::Invalid { error })
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
