//! The handler of webhook events: routes a claimed batch, then applies the
//! writes and marks their jobs done in one store transaction, so an event
//! is applied exactly once even when a worker dies mid-batch.

use holdfast_store::{EventApply, EventOutcome, Finish, Job, StoreError, TableSpec};
use serde_json::Value;

use super::WorkSummary;
use super::lane::Lane;
use crate::events::{EventRouter, EventWrite, Resolved, RouteError};
use crate::jobs::WebhookEvent;
use crate::sources::Sources;

/// Applies webhook events to their streams' tables.
#[derive(Debug)]
pub(crate) struct EventHandler {
    router: EventRouter,
    /// What a custom source's stream's events go through (`handle_event`).
    source: Sources,
}

impl EventHandler {
    pub(crate) fn new(router: EventRouter, source: Sources) -> Self {
        EventHandler { router, source }
    }

    /// The tables events may write.
    pub(crate) fn tables(&self) -> impl Iterator<Item = &TableSpec> {
        self.router.tables()
    }

    /// Routes every event of the batch, then applies the writes and marks
    /// their jobs done in one transaction. An event that cannot be applied
    /// is dead-lettered; a store failure retries the whole batch later.
    ///
    /// # Errors
    /// The store failed to record an outcome.
    pub(crate) async fn apply(&self, lane: &Lane, jobs: &[Job]) -> Result<WorkSummary, StoreError> {
        let mut summary = WorkSummary::default();
        let mut writes = Vec::with_capacity(jobs.len());
        for job in jobs {
            let routed = serde_json::from_str::<WebhookEvent>(&job.payload)
                .map_err(RouteError::Unreadable)
                .and_then(|event| self.router.route(&event));
            // a custom source's stream: its `handle_event` makes the records
            match crate::events::resolve(&self.router, &self.source, routed).await {
                Resolved::Writes(rows) => writes.extend(rows.into_iter().map(|w| (job, w))),
                Resolved::Ignored => {
                    let result = Some("\"ignored\"".to_owned());
                    lane.finish_counted(job, Finish::Done { result }, &mut summary)
                        .await?;
                    summary.ignored += 1;
                }
                Resolved::Dead(error) => {
                    lane.finish_counted(job, Finish::Dead { error }, &mut summary)
                        .await?;
                }
                Resolved::Retry(reason) => {
                    let finish = lane.retry_or_dead(job, reason);
                    lane.finish_counted(job, finish, &mut summary).await?;
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
        match lane.store.apply_events(&applies, chrono::Utc::now()).await {
            Ok(outcomes) => {
                // a custom source's event may write several rows: dead-lettered once
                let mut refused = Vec::new();
                for (outcome, (job, w)) in outcomes.into_iter().zip(&writes) {
                    if outcome == EventOutcome::VersionMismatch {
                        if refused.contains(&job.id) {
                            continue;
                        }
                        refused.push(job.id);
                    }
                    self.applied(lane, job, w, outcome, &mut summary).await?;
                }
            }
            Err(e) => {
                // nothing of the batch was written: each job tries again later
                tracing::warn!(error = %e, events = writes.len(), "applying webhook events failed");
                for (i, (job, _)) in writes.iter().enumerate() {
                    if writes[..i].iter().any(|(j, _)| j.id == job.id) {
                        continue; // one job, several rows
                    }
                    let finish = lane.retry_or_dead(job, format!("the store failed: {e}"));
                    lane.finish_counted(job, finish, &mut summary).await?;
                }
            }
        }
        Ok(summary)
    }

    /// Counts and logs what the store did with one event's write.
    async fn applied(
        &self,
        lane: &Lane,
        job: &Job,
        w: &EventWrite,
        outcome: EventOutcome,
        summary: &mut WorkSummary,
    ) -> Result<(), StoreError> {
        let (stream, key, version) = (&w.stream, Value::from(w.row.key.clone()), &w.version);
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
            EventOutcome::VersionMismatch => {
                let error = version_mismatch(w, &key);
                tracing::warn!(job = job.id.0, %stream, %key, error, "event dead-lettered: its version cannot be ordered against the stored one");
                lane.finish_counted(job, Finish::Dead { error }, summary)
                    .await?;
            }
        }
        Ok(())
    }
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
