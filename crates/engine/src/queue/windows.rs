//! A scheduled sync job and its stream's windows and blackouts: held when
//! claimed outside them, stopped at a window's end (or a blackout's start)
//! after the page being committed, and put back for the next window.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use holdfast_store::{Finish, Job, RunOutcome, StoreError};
use tokio_util::sync::CancellationToken;

use super::lane::Lane;
use super::syncs::{SyncJobOutcome, renew};
use crate::calendar::{Calendars, Clock, Stop};
use crate::jobs::SyncCall;

/// What the calendar says about a job about to run.
pub(super) enum Gate {
    /// Run it; stop it at `Stop` if it is still going then.
    Go(Option<Stop>),
    /// Not now: the job was put back (or dead-lettered); this is the outcome.
    Held(SyncJobOutcome),
}

/// Checks a claimed sync job against its stream's calendar at `clock`'s
/// now. A sync asked for by hand (no slot) is not held back.
///
/// # Errors
/// The store failed to read the stream's state or to put the job back.
pub(super) async fn gate(
    lane: &Lane,
    job: &Job,
    call: &SyncCall,
    calendars: &Calendars,
    clock: &Clock,
) -> Result<Gate, StoreError> {
    let Some(calendar) = calendars.get(&call.stream).filter(|_| call.slot.is_some()) else {
        return Ok(Gate::Go(None));
    };
    let store = &*lane.store;
    let heavy = calendar
        .heavy(store, &call.stream, call.reconcile, call.full_refresh)
        .await?;
    let now = clock.now();
    match calendar.calendar.next_allowed(now, heavy) {
        Some(at) if at <= now => Ok(Gate::Go(calendar.stop(now, heavy))),
        Some(until) => {
            let error = calendar.held(now, until);
            tracing::info!(stream = call.stream, job = job.id.0, %until, "{error}");
            lane.finish(job, Finish::Retry { at: until, error }).await?;
            Ok(Gate::Held(SyncJobOutcome::Held {
                stream: call.stream.clone(),
                until,
            }))
        }
        None => {
            let error = "no time is left in the schedule's windows and blackouts".to_owned();
            lane.finish(
                job,
                Finish::Dead {
                    error: error.clone(),
                },
            )
            .await?;
            Ok(Gate::Held(SyncJobOutcome::Invalid { error }))
        }
    }
}

/// Runs `run` (whose stop token is `token`) while renewing the job's claim
/// and the stream's lease; at `stop.at` by `clock`, cancels `token` so the
/// run ends after the page being committed. Returns what the run came to
/// and whether the calendar stopped it.
pub(super) async fn run_within<F: Future>(
    lane: &Lane,
    job: &Job,
    lease: &str,
    token: &CancellationToken,
    (stop, clock): (Option<&Stop>, &Clock),
    run: F,
) -> (F::Output, bool) {
    let stopped = AtomicBool::new(false);
    tokio::pin!(run);
    let renew = renew(lane, job, lease, token);
    tokio::pin!(renew);
    let watch = async {
        match stop {
            Some(stop) => clock.sleep_until(stop.at).await,
            None => std::future::pending().await,
        }
        stopped.store(true, Ordering::SeqCst);
        token.cancel();
    };
    tokio::pin!(watch);
    let output = tokio::select! {
        output = &mut run => output,
        () = &mut renew => run.await,
        () = &mut watch => tokio::select! {
            output = &mut run => output,
            () = &mut renew => run.await,
        },
    };
    (output, stopped.load(Ordering::SeqCst))
}

/// The job of a run the calendar stopped: back in the queue for when it
/// may go on (dead-lettered when it never may), and the run recorded as
/// interrupted with why and when it resumes.
pub(super) async fn stopped(lane: &Lane, call: &SyncCall, stop: &Stop) -> (Finish, SyncJobOutcome) {
    let note = stop.note(&call.stream, call.reconcile);
    tracing::info!(stream = call.stream, "{note}");
    if !call.reconcile {
        note_run(lane, &call.stream, &note).await;
    }
    let outcome = SyncJobOutcome::Paused {
        stream: call.stream.clone(),
        resumes: stop.resumes,
    };
    let finish = match stop.resumes {
        Some(at) => Finish::Retry { at, error: note },
        None => Finish::Dead { error: note },
    };
    (finish, outcome)
}

/// Records `note` as the error of the stream's last run (the one just
/// stopped: this worker holds the stream's lease), which the sync recorded
/// as interrupted by a shutdown.
async fn note_run(lane: &Lane, stream: &str, note: &str) {
    let last = match lane.store.runs(Some(stream), 1).await {
        Ok(runs) => runs.into_iter().next(),
        Err(e) => {
            tracing::warn!(error = %e, stream, "could not read the stopped run to say why it stopped");
            return;
        }
    };
    let Some(run) = last.filter(|r| r.outcome == RunOutcome::Interrupted) else {
        return;
    };
    let finished: DateTime<Utc> = run.finished_at.unwrap_or_else(Utc::now);
    let noted = lane
        .store
        .finish_run(run.id, RunOutcome::Interrupted, Some(note), finished)
        .await;
    if let Err(e) = noted {
        tracing::warn!(error = %e, stream, "could not record why the run stopped");
    }
}
