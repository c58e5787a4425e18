//! The one worker loop every worker runs: claim, do, finish, back off,
//! sleep until woken or due, stop.
//!
//! A [`Lane`] is one worker's hold on the queue: its id, its lease, how it
//! waits and how it retries. What a claimed job does is up to the handler
//! of its kind ([`super::events`], [`super::actions`], [`super::syncs`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_store::prelude::*;
use holdfast_store::{Claim, Finish, Job, StoreError};
use tokio::sync::Notify;

use super::WorkSummary;

/// One worker's hold on the queue.
pub(crate) struct Lane {
    pub(crate) store: Arc<dyn Store>,
    /// Names the worker in claimed jobs (and as a lease holder).
    pub(crate) id: String,
    /// How long a claim holds without renewal.
    pub(crate) lease: Duration,
    /// How long to sleep when the queue has nothing due.
    pub(crate) idle: Duration,
    pub(crate) backoff: Backoff,
    pub(crate) wake: Arc<Notify>,
    /// Names the loop in its log lines (`worker`, `sync worker`).
    pub(crate) name: &'static str,
}

/// Exponential backoff between retries of a failed job.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    /// Before the first retry, doubled each attempt.
    pub(crate) initial: Duration,
    /// The largest.
    pub(crate) max: Duration,
}

impl Lane {
    /// Works until `shutdown` resolves: `step` claims and does a batch (how
    /// many jobs it claimed); after an empty one the loop sleeps until
    /// woken, due again or stopped. A store error is logged and retried
    /// after a pause; it never ends the loop. `shutdown` is looked at only
    /// between batches that found nothing to do.
    pub(crate) async fn run<F, Fut>(&self, mut step: F, shutdown: impl Future<Output = ()>)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<u64, StoreError>>,
    {
        tokio::pin!(shutdown);
        loop {
            let pause = match step().await {
                Ok(claimed) if claimed > 0 => continue,
                Ok(_) => self.idle,
                Err(e) => {
                    tracing::warn!(
                        error = %e,
                        "{}: the queue is not reachable; trying again",
                        self.name
                    );
                    self.idle.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Claims up to `limit` jobs of `kinds` due at `now`.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) async fn claim(
        &self,
        kinds: &[&'static str],
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<Job>, StoreError> {
        self.store
            .claim(Claim {
                worker: &self.id,
                kinds,
                limit,
                lease: self.lease,
                now,
            })
            .await
    }

    /// Records how `job` ended; false when its claim was lost meanwhile.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) async fn finish(&self, job: &Job, finish: Finish) -> Result<bool, StoreError> {
        self.store.finish(job.lease(), finish, Utc::now()).await
    }

    /// As [`Lane::finish`], counting a retry, a dead letter or a lost claim
    /// in `summary`.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) async fn finish_counted(
        &self,
        job: &Job,
        finish: Finish,
        summary: &mut WorkSummary,
    ) -> Result<(), StoreError> {
        let retry = matches!(finish, Finish::Retry { .. });
        let dead = matches!(finish, Finish::Dead { .. });
        if self.finish(job, finish).await? {
            summary.retried += u64::from(retry);
            summary.dead += u64::from(dead);
        } else {
            summary.lost += 1;
        }
        Ok(())
    }

    /// Retry later with backoff, or dead-letter when attempts are used up.
    pub(crate) fn retry_or_dead(&self, job: &Job, error: String) -> Finish {
        if job.attempts >= job.max_attempts {
            return Finish::Dead {
                error: format!("{error} (gave up after {} attempts)", job.attempts),
            };
        }
        let delay = backoff(self.backoff.initial, self.backoff.max, job.attempts);
        Finish::Retry {
            at: Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default(),
            error,
        }
    }

    /// Runs `work` while extending `job`'s claim every third of the lease.
    pub(crate) async fn keep_claimed<F: Future>(&self, job: &Job, work: F) -> F::Output {
        tokio::pin!(work);
        let every = self.lease / 3;
        loop {
            tokio::select! {
                output = &mut work => return output,
                () = tokio::time::sleep(every) => {
                    let now = Utc::now();
                    let until = now + chrono::Duration::from_std(self.lease).unwrap_or_default();
                    if let Err(e) = self.store.extend_lease(job.lease(), until, now).await {
                        tracing::warn!(error = %e, job = job.id.0, "could not extend a lease");
                    }
                }
            }
        }
    }
}

/// Exponential backoff with jitter: between half and all of
/// `initial · 2^(attempt-1)`, capped at `max`.
fn backoff(initial: Duration, max: Duration, attempt: u32) -> Duration {
    let exp = initial.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let cap = exp.min(max);
    cap / 2 + cap.mul_f64(fastrand::f64() / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

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
