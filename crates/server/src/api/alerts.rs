//! Alerts the admin API shows: the store's alert board (kept by the alert
//! loop, `holdfast_engine::alerts::AlertLoop`, of whichever process evaluates), plus alerts
//! computed when listed (a stream whose last run failed is a firing
//! `sync_failed` alert).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use holdfast_store::RunOutcome;
use serde_json::{Value, json};

use super::state::ApiState;

/// One alert as the API shows it.
struct Alert {
    rule: String,
    subject: String,
    firing: bool,
    since: chrono::DateTime<chrono::Utc>,
    message: String,
}

/// `GET /api/alerts`: the store's alert board (what the evaluating process
/// announced), then one firing `sync_failed` alert per stream whose last run
/// failed (computed from the store now).
pub(crate) async fn list(State(api): State<Arc<ApiState>>) -> Result<Response, Response> {
    let mut alerts: Vec<Alert> = api
        .store
        .alerts()
        .await
        .map_err(super::auth::store_error)?
        .into_iter()
        .map(|a| Alert {
            rule: a.rule,
            subject: a.subject,
            firing: a.firing,
            since: a.since,
            message: a.message,
        })
        .collect();
    for name in api.spec.stream_names() {
        let runs = api
            .store
            .runs(Some(name), 1)
            .await
            .map_err(super::auth::store_error)?;
        if let Some(run) = runs.first()
            && run.outcome == RunOutcome::Failed
        {
            alerts.push(Alert {
                rule: "sync_failed".to_owned(),
                subject: name.to_owned(),
                firing: true,
                since: run.finished_at.unwrap_or(run.started_at),
                message: format!(
                    "the last run (#{}) of `{}` failed: {}",
                    run.id.0,
                    name,
                    run.error.as_deref().unwrap_or("no error recorded")
                ),
            });
        }
    }
    let list: Vec<Value> = alerts
        .iter()
        .map(|a| {
            json!({
                "rule": a.rule, "subject": a.subject,
                "state": if a.firing { "firing" } else { "resolved" },
                "since": super::views::time(a.since), "message": a.message,
            })
        })
        .collect();
    Ok(Json(json!({ "alerts": list })).into_response())
}
