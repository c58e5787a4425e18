//! The alert loop of `holdfast serve`: every `every`, the one process
//! holding the store's [`LEASE`] evaluates the file's rules, and each firing
//! or resolved transition is saved on the store's alert board, logged and
//! POSTed to every `notify:` webhook.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use holdfast_spec::{Env, Notify, Spec};
use holdfast_store::prelude::*;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::board::{AlertState, Transition, step};
use super::delivery::deliver;
use crate::SourceError;

/// The lease that makes one process per store the evaluator.
pub const LEASE: &str = "alerts";

/// Longest wait, at a stop, for notifications still being delivered.
const DELIVERY_GRACE: Duration = Duration::from_secs(5);

/// A `notify:` URL that cannot be rendered (e.g. it reads an unset variable).
#[derive(Debug, thiserror::Error)]
#[error("{config}: {field}")]
pub struct NotifyError {
    /// The connector file.
    pub config: String,
    /// The field, e.g. `notify[0].webhook`.
    pub field: String,
    /// Why it does not render.
    #[source]
    pub source: Box<SourceError>,
}

/// The evaluation loop of one process, ready to run.
pub struct AlertLoop {
    spec: Arc<Spec>,
    store: Arc<dyn Store>,
    targets: Vec<String>,
    every: Duration,
    holder: String,
}

impl std::fmt::Debug for AlertLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertLoop")
            .field("rules", &self.spec.alerts.len())
            .field("targets", &self.targets.len())
            .field("every", &self.every)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl AlertLoop {
    /// A loop evaluating `spec`'s rules every `every` (at least 100 ms) on
    /// `queue`, holding the lease as `holder`; the `notify:` URLs are
    /// rendered with `env` now (when there are rules to evaluate).
    ///
    /// # Errors
    /// A `notify:` URL that does not render.
    pub fn new(
        spec: Arc<Spec>,
        env: &Env,
        store: Arc<dyn Store>,
        every: Duration,
        holder: String,
    ) -> Result<AlertLoop, NotifyError> {
        let mut targets = Vec::new();
        let notify = if spec.alerts.is_empty() {
            &[][..]
        } else {
            &spec.notify[..]
        };
        for (i, n) in notify.iter().enumerate() {
            let Notify::Webhook(url) = n;
            let field = format!("notify[{i}].webhook");
            let url = crate::render_with_env(&field, url, env).map_err(|source| NotifyError {
                config: spec.origin.display().to_string(),
                field,
                source: Box::new(source),
            })?;
            targets.push(url);
        }
        Ok(AlertLoop {
            spec,
            store,
            targets,
            every,
            holder,
        })
    }

    /// How many rules it evaluates (none: running it does nothing).
    pub fn rules(&self) -> usize {
        self.spec.alerts.len()
    }

    /// How many `notify:` webhooks each transition is POSTed to.
    pub fn targets(&self) -> usize {
        self.targets.len()
    }

    /// How often it evaluates.
    pub fn every(&self) -> Duration {
        self.every
    }

    /// Evaluates every `every` until `stop` is cancelled; then waits a few
    /// seconds for notifications still being delivered and gives the lease
    /// up. With no rules, returns at once.
    pub async fn run(self, stop: CancellationToken) {
        if self.spec.alerts.is_empty() {
            return;
        }
        let config = self.spec.origin.display().to_string();
        let client = reqwest::Client::new();
        let every = self.every.max(Duration::from_millis(100));
        let lease_for =
            chrono::Duration::from_std(every * 3).unwrap_or(chrono::Duration::minutes(5));
        let started = Utc::now();
        let mut deliveries = JoinSet::new();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                Some(done) = deliveries.join_next(), if !deliveries.is_empty() => {
                    delivered(done);
                    continue;
                }
                () = stop.cancelled() => break,
            }
            let now = Utc::now();
            match self
                .store
                .acquire_lease(LEASE, &self.holder, now + lease_for, now)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue, // another process evaluates and announces
                Err(e) => {
                    tracing::warn!(error = %e, "alerts: the store cannot be reached; evaluation skipped");
                    continue;
                }
            }
            let (findings, changes) = match step(&self.spec, &*self.store, now, started).await {
                Ok(step) => step,
                Err(e) => {
                    tracing::warn!(error = %e, "alerts: the store cannot be read; evaluation skipped");
                    continue;
                }
            };
            for f in findings.iter().filter(|f| f.known) {
                metrics::gauge!("holdfast_alert_firing", "rule" => f.rule, "subject" => f.subject.clone())
                    .set(if f.firing { 1.0 } else { 0.0 });
            }
            for t in changes {
                announce(&t);
                for url in &self.targets {
                    let (client, url, t, config) =
                        (client.clone(), url.clone(), t.clone(), config.clone());
                    deliveries.spawn(async move {
                        let outcome = match deliver(&client, &url, &t, &config).await {
                            Ok(()) => "ok",
                            Err(e) => {
                                tracing::warn!(rule = t.rule, subject = %t.subject, error = %e, "alert not delivered to a notify webhook");
                                "failed"
                            }
                        };
                        metrics::counter!("holdfast_alert_notifications_total", "outcome" => outcome).increment(1);
                    });
                }
            }
        }
        let waiting = async {
            while let Some(done) = deliveries.join_next().await {
                delivered(done);
            }
        };
        if tokio::time::timeout(DELIVERY_GRACE, waiting).await.is_err() {
            tracing::warn!(
                left = deliveries.len(),
                "alerts: notifications still being delivered at the stop were dropped"
            );
            deliveries.shutdown().await;
        }
        let _ = self.store.release_lease(LEASE, &self.holder).await;
    }
}

/// Logs a delivery task that panicked.
fn delivered(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done
        && e.is_panic()
    {
        tracing::error!(error = %e, "alerts: a notification task panicked");
    }
}

/// Logs a transition (the store's board has it already).
fn announce(t: &Transition) {
    match t.state {
        AlertState::Firing => {
            tracing::warn!(alert = t.rule, subject = %t.subject, rule_at = %t.place, "alert firing: {}", t.message);
        }
        AlertState::Resolved => {
            tracing::info!(alert = t.rule, subject = %t.subject, rule_at = %t.place, "alert resolved: {}", t.message);
        }
    }
}
