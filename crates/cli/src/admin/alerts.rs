//! Alerts the admin API shows: the board the alert loop
//! ([`crate::alerting`]) fires into and resolves, plus alerts computed from the store when listed (a
//! stream whose last run failed is a firing `sync_failed` alert).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use holdfast_store::RunOutcome;
use serde::Serialize;
use serde_json::{Value, json};

use super::Admin;

/// Whether an alert is still true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AlertState {
    /// The condition holds now.
    Firing,
    /// The condition held and no longer does.
    Resolved,
}

/// One alert: a rule about a subject (a stream, a connection, the queue).
#[derive(Debug, Clone)]
pub(crate) struct Alert {
    /// The rule's name, e.g. `sync_failed`, `token_expiring`.
    pub(crate) rule: String,
    /// What it is about, e.g. a stream or connection name.
    pub(crate) subject: String,
    /// Firing or resolved.
    pub(crate) state: AlertState,
    /// When it entered its current state.
    pub(crate) since: DateTime<Utc>,
    /// A sentence for a person.
    pub(crate) message: String,
}

/// The process's alerts, keyed by (rule, subject): firing one again keeps
/// its `since`, resolving one keeps it listed as resolved.
#[derive(Debug, Default)]
pub(crate) struct AlertBoard {
    alerts: Mutex<BTreeMap<(String, String), Alert>>,
}

impl AlertBoard {
    /// The board of this process, shared by the alert rules and the API.
    pub(crate) fn global() -> &'static AlertBoard {
        static BOARD: OnceLock<AlertBoard> = OnceLock::new();
        BOARD.get_or_init(AlertBoard::default)
    }

    /// Marks `rule` about `subject` firing (since now, unless it already was).
    pub(crate) fn fire(&self, rule: &str, subject: &str, message: &str, now: DateTime<Utc>) {
        let mut alerts = self.alerts.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (rule.to_owned(), subject.to_owned());
        let since = match alerts.get(&key) {
            Some(a) if a.state == AlertState::Firing => a.since,
            _ => now,
        };
        alerts.insert(
            key,
            Alert {
                rule: rule.to_owned(),
                subject: subject.to_owned(),
                state: AlertState::Firing,
                since,
                message: message.to_owned(),
            },
        );
    }

    /// Marks `rule` about `subject` resolved, if it was firing.
    pub(crate) fn resolve(&self, rule: &str, subject: &str, now: DateTime<Utc>) {
        let mut alerts = self.alerts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(a) = alerts.get_mut(&(rule.to_owned(), subject.to_owned()))
            && a.state == AlertState::Firing
        {
            a.state = AlertState::Resolved;
            a.since = now;
        }
    }

    /// Every alert on the board, in (rule, subject) order.
    pub(crate) fn list(&self) -> Vec<Alert> {
        let alerts = self.alerts.lock().unwrap_or_else(PoisonError::into_inner);
        alerts.values().cloned().collect()
    }
}

/// `GET /api/alerts`: the board's alerts, then one firing `sync_failed`
/// alert per stream whose last run failed (computed from the store now).
pub(crate) async fn list(State(admin): State<Arc<Admin>>) -> Result<Response, Response> {
    let mut alerts = AlertBoard::global().list();
    for s in &admin.spec.streams {
        let runs = admin
            .queue
            .runs(Some(&s.name), 1)
            .await
            .map_err(super::handlers::store_error)?;
        if let Some(run) = runs.first()
            && run.outcome == RunOutcome::Failed
        {
            alerts.push(Alert {
                rule: "sync_failed".to_owned(),
                subject: s.name.clone(),
                state: AlertState::Firing,
                since: run.finished_at.unwrap_or(run.started_at),
                message: format!(
                    "the last run (#{}) of `{}` failed: {}",
                    run.id.0,
                    s.name,
                    run.error.as_deref().unwrap_or("no error recorded")
                ),
            });
        }
    }
    let list: Vec<Value> = alerts
        .iter()
        .map(|a| {
            json!({
                "rule": a.rule, "subject": a.subject, "state": a.state,
                "since": super::handlers::time(a.since), "message": a.message,
            })
        })
        .collect();
    Ok(Json(json!({ "alerts": list })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firing_keeps_since_and_resolving_keeps_the_alert() {
        let board = AlertBoard::default();
        let t0 = Utc::now();
        let t1 = t0 + chrono::Duration::seconds(60);
        board.fire("queue_depth", "queue", "deep", t0);
        board.fire("queue_depth", "queue", "deeper", t1);
        let list = board.list();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].since, t0);
        assert_eq!(list[0].message, "deeper");
        board.resolve("queue_depth", "queue", t1);
        assert_eq!(board.list()[0].state, AlertState::Resolved);
    }
}
