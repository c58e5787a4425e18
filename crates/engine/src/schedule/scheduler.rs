//! The scheduler: turns each stream's latest slot into one sync job.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_spec::Spec;
use holdfast_store::prelude::*;
use holdfast_store::{Enqueued, RunOutcome, StoreError};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{Slots, SlotsError};
use crate::calendar::{Calendars, Clock, StreamCalendar};
use crate::jobs::SyncCall;

/// A stream's schedule cannot be computed with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("streams.{stream}.schedule: {error}")]
pub struct ScheduleError {
    /// The stream.
    pub stream: String,
    /// What is wrong with its schedule.
    pub error: SlotsError,
}

/// A stream and its schedule.
#[derive(Debug, Clone)]
pub struct ScheduledStream {
    /// The stream's name.
    pub name: String,
    /// Its slots.
    pub slots: Slots,
    /// The slots are for reconciliations (its `reconcile:` schedule), not syncs.
    pub reconcile: bool,
    /// Its schedule's windows and blackouts, if any: a slot's run starts
    /// at the next moment they allow.
    pub calendar: Option<StreamCalendar>,
}

/// Enqueues a sync job for each scheduled stream's latest slot.
///
/// Each slot's job has the unique key `sync:{stream}:{slot}`, so schedulers
/// in several processes on one store enqueue it once. Only the latest slot
/// is enqueued, never the ones before it: after downtime a stream runs once.
/// At start, a stream whose latest slot has passed runs within its jitter
/// (one that has never run, too), unless a run has started and ended since
/// that slot (e.g. `holdfast sync` by hand).
pub struct Scheduler {
    store: Arc<dyn Store>,
    streams: Vec<Entry>,
    wake: Option<Arc<Notify>>,
    /// `run_at`s of jobs enqueued here, still in the future: sync workers
    /// are woken then.
    due: Vec<DateTime<Utc>>,
    clock: Clock,
}

struct Entry {
    stream: ScheduledStream,
    /// The slot last enqueued (or found done) by this scheduler.
    last: Option<DateTime<Utc>>,
}

/// The longest the scheduler sleeps before looking at the clock again (it
/// follows wall clock changes).
const MAX_SLEEP: Duration = Duration::from_secs(5);

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("streams", &self.streams().collect::<Vec<_>>())
            .finish()
    }
}

impl Scheduler {
    /// A scheduler of `streams` on `store`.
    pub fn new(store: Arc<dyn Store>, streams: Vec<ScheduledStream>) -> Scheduler {
        Scheduler {
            store,
            streams: streams
                .into_iter()
                .map(|stream| Entry { stream, last: None })
                .collect(),
            wake: None,
            due: Vec::new(),
            clock: Clock::system(),
        }
    }

    /// Reads `clock` instead of the system's (tests set it to a given time).
    pub fn with_clock(mut self, clock: Clock) -> Scheduler {
        self.clock = clock;
        self
    }

    /// The calendars of the scheduled streams (for the sync workers, which
    /// hold and stop runs by them).
    pub fn calendars(&self) -> Calendars {
        let mut map = std::collections::HashMap::new();
        for e in &self.streams {
            if let Some(c) = &e.stream.calendar {
                map.insert(e.stream.name.clone(), c.clone());
            }
        }
        Calendars::from_map(map)
    }

    /// A scheduler of every stream of `spec` that has a `schedule:`.
    ///
    /// # Errors
    /// A schedule that cannot be computed with (not one `holdfast check` passes).
    pub fn from_spec(store: Arc<dyn Store>, spec: &Spec) -> Result<Scheduler, ScheduleError> {
        let calendars = Calendars::from_spec(spec);
        let mut streams = Vec::new();
        // declarative and custom (`source:`) streams, in file order
        for (name, schedule) in spec.schedules() {
            let slots = Slots::new(schedule).map_err(|error| ScheduleError {
                stream: name.to_owned(),
                error,
            })?;
            streams.push(ScheduledStream {
                name: name.to_owned(),
                slots,
                reconcile: false,
                calendar: calendars.get(name).cloned(),
            });
        }
        // reconciliations, on their own slots
        for stream in &spec.streams {
            let Some(schedule) = stream.reconcile.as_ref().and_then(|r| r.schedule.as_ref()) else {
                continue;
            };
            let slots = Slots::new(schedule).map_err(|error| ScheduleError {
                stream: stream.name.clone(),
                error,
            })?;
            // a reconciliation is a full scan: its stream's windows hold it
            streams.push(ScheduledStream {
                name: stream.name.clone(),
                slots,
                reconcile: true,
                calendar: calendars.get(&stream.name).cloned(),
            });
        }
        Ok(Scheduler::new(store, streams))
    }

    /// Wakes the sync workers sharing `wake` when a job enqueued here is due.
    pub fn with_waker(mut self, wake: Arc<Notify>) -> Scheduler {
        self.wake = Some(wake);
        self
    }

    /// The scheduled streams, in file order.
    pub fn streams(&self) -> impl Iterator<Item = &ScheduledStream> {
        self.streams.iter().map(|e| &e.stream)
    }

    /// True when no stream has a schedule.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// Enqueues the latest slot of every stream whose latest slot at `now`
    /// this scheduler has not handled yet; returns, per job, the stream,
    /// what the queue did and the job's `run_at`.
    ///
    /// # Errors
    /// The store failed; the streams not handled yet are tried again on the
    /// next tick.
    pub async fn tick(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, Enqueued, DateTime<Utc>)>, StoreError> {
        let mut done = Vec::new();
        for entry in &mut self.streams {
            let name = entry.stream.name.as_str();
            let slots = &entry.stream.slots;
            let Some(slot) = slots.latest(now) else {
                continue;
            };
            if entry.last == Some(slot) {
                continue;
            }
            let due = slots.run_at(name, slot);
            let run_at = if entry.last.is_some() || due >= now {
                due
            } else {
                // first look since start, the slot's time is gone: was it run?
                let covered = if entry.stream.reconcile {
                    let last = self.store.reconciliations(Some(name), 1).await?;
                    last.first().is_some_and(|r| r.started_at >= slot)
                } else {
                    let last_run = self.store.runs(Some(name), 1).await?;
                    last_run.first().is_some_and(|r| {
                        r.started_at >= slot
                            && matches!(r.outcome, RunOutcome::Succeeded | RunOutcome::Failed)
                    })
                };
                if covered {
                    entry.last = Some(slot);
                    continue;
                }
                // missed (downtime) or never run: once, within the jitter from now
                now + chrono::Duration::from_std(slots.jitter(name, slot)).unwrap_or_default()
            };
            let run_at = match &entry.stream.calendar {
                None => run_at,
                Some(calendar) => {
                    let reconcile = entry.stream.reconcile;
                    let heavy = calendar.heavy(&*self.store, name, reconcile, false).await?;
                    let start = calendar.start(run_at, heavy, slots.jitter(name, slot));
                    match start {
                        // a later slot comes before then, and runs then too: that one is enqueued
                        Some(start) if slots.next_after(slot).is_some_and(|n| n < start) => {
                            entry.last = Some(slot);
                            continue;
                        }
                        Some(start) => start,
                        None => {
                            tracing::warn!(stream = name, %slot, "no time is left in the schedule's windows and blackouts; the slot does not run");
                            entry.last = Some(slot);
                            continue;
                        }
                    }
                }
            };
            let call = SyncCall {
                stream: name.to_owned(),
                full_refresh: false,
                slot: Some(slot.timestamp()),
                reconcile: entry.stream.reconcile,
            };
            let enqueued = self.store.enqueue(&[call.to_job(run_at)], now).await?;
            entry.last = Some(slot);
            if let Some(e) = enqueued.first() {
                if let Enqueued::Created(id) = e {
                    let what = if entry.stream.reconcile {
                        "a reconciliation"
                    } else {
                        "a sync"
                    };
                    tracing::info!(stream = name, job = id.0, %slot, %run_at, "scheduled {what}");
                }
                if run_at > now {
                    self.due.push(run_at);
                }
                done.push((name.to_owned(), *e, run_at));
            }
        }
        Ok(done)
    }

    /// When to look again after `now`: the next slot of any stream or the
    /// next job due, at most [`MAX_SLEEP`] away.
    fn next_wake(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let cap = now + chrono::Duration::from_std(MAX_SLEEP).unwrap_or_default();
        self.streams
            .iter()
            .filter_map(|e| e.stream.slots.next_after(now))
            .chain(self.due.iter().copied())
            .filter(|t| *t > now)
            .min()
            .map_or(cap, |t| t.min(cap))
    }

    /// Schedules until `stop` is cancelled. A store error is logged and the
    /// tick tried again a second later.
    pub async fn run(mut self, stop: CancellationToken) {
        if self.streams.is_empty() {
            return;
        }
        loop {
            let now = self.clock.now();
            let (retry_soon, due_now) = match self.tick(now).await {
                Ok(done) => (false, done.iter().any(|(_, _, at)| *at <= now)),
                Err(e) => {
                    tracing::warn!(error = %e, "scheduler: the queue is not reachable; trying again");
                    (true, false)
                }
            };
            let before = self.due.len();
            self.due.retain(|t| *t > now);
            if (due_now || self.due.len() < before)
                && let Some(wake) = &self.wake
            {
                wake.notify_waiters();
            }
            let now = self.clock.now();
            let pause = if retry_soon {
                Duration::from_secs(1)
            } else {
                // a few ms late, so the slot has begun by the clock we read next
                (self.next_wake(now) - now).to_std().unwrap_or_default() + Duration::from_millis(5)
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
