//! The alert loop of `holdfast serve`: every `--alerts-every`, the one
//! process holding the store's `alerts` lease evaluates the file's rules,
//! and each firing or resolved transition is saved on the store's alert
//! board, logged and POSTed to every `notify:` webhook.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use holdfast_engine::alerts::{self, AlertState, Transition};
use holdfast_spec::{Env, Notify, Spec};
use holdfast_store::prelude::*;
use tokio::sync::watch;

/// The lease that makes one process per store the evaluator.
const LEASE: &str = "alerts";

/// Starts the loop; it gives the lease up when `stop` turns true.
///
/// # Errors
/// A `notify:` URL template that does not render (e.g. an unset variable).
pub(crate) fn spawn(
    spec: Arc<Spec>,
    env: &Env,
    store: Arc<dyn Store>,
    every: Duration,
    holder: String,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    if spec.alerts.is_empty() {
        return Ok(());
    }
    let mut targets = Vec::new();
    for (i, n) in spec.notify.iter().enumerate() {
        let Notify::Webhook(url) = n;
        let field = format!("notify[{i}].webhook");
        let url = holdfast_engine::render_with_env(&field, url, env)
            .with_context(|| format!("{}: {field}", spec.origin.display()))?;
        targets.push(url);
    }
    outln!(
        "  alerts               {} every {}, to the log and {}",
        crate::plural::count(spec.alerts.len(), "rule"),
        humantime::format_duration(every),
        crate::plural::count(targets.len(), "webhook")
    );
    let config = spec.origin.display().to_string();
    let client = reqwest::Client::new();
    let every = every.max(Duration::from_millis(100));
    let lease_for = chrono::Duration::from_std(every * 3).unwrap_or(chrono::Duration::minutes(5));
    let started = Utc::now();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|s| *s) => break,
            }
            let now = Utc::now();
            match store
                .acquire_lease(LEASE, &holder, now + lease_for, now)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue, // another process evaluates and announces
                Err(e) => {
                    tracing::warn!(error = %e, "alerts: the store cannot be reached; evaluation skipped");
                    continue;
                }
            }
            let (findings, changes) = match alerts::step(&spec, &*store, now, started).await {
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
                for url in &targets {
                    let (client, url, t, config) =
                        (client.clone(), url.clone(), t.clone(), config.clone());
                    tokio::spawn(async move {
                        let outcome = match alerts::deliver(&client, &url, &t, &config).await {
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
        let _ = store.release_lease(LEASE, &holder).await;
    });
    Ok(())
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
