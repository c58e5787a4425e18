//! The handler of actions: sends each with its idempotency key while its
//! claim is kept alive, writes the request log, and keeps the response as
//! the job's result. A refusal another try cannot fix (4xx) is
//! dead-lettered at once; a transient failure is retried with backoff.

use std::sync::Arc;

use holdfast_store::{Finish, Job, StoreError};
use serde_json::Value;

use super::WorkSummary;
use super::lane::Lane;
use crate::Source;
use crate::declarative::DeclarativeSource;
use crate::jobs::ActionCall;

/// Performs queued actions through a connector file's source.
pub(crate) struct ActionHandler {
    source: Arc<DeclarativeSource>,
}

impl ActionHandler {
    pub(crate) fn new(source: Arc<DeclarativeSource>) -> Self {
        ActionHandler { source }
    }

    /// Performs the action `job` carries and records how it went.
    ///
    /// # Errors
    /// The store failed to record the outcome.
    pub(crate) async fn perform(&self, lane: &Lane, job: &Job) -> Result<WorkSummary, StoreError> {
        let mut summary = WorkSummary::default();
        let call = match serde_json::from_str::<ActionCall>(&job.payload) {
            Ok(c) => c,
            Err(e) => {
                let error = format!("the queued action cannot be read: {e}");
                lane.finish_counted(job, Finish::Dead { error }, &mut summary)
                    .await?;
                return Ok(summary);
            }
        };
        let perform = self
            .source
            .perform(&call.action, &call.input, &call.idempotency_key);
        let outcome = lane.keep_claimed(job, perform).await;
        self.flush_requests(lane).await;
        let finish = match outcome {
            Ok(response) => {
                summary.performed += 1;
                let result = serde_json::json!({
                    "status": response.status,
                    "idempotency_key": call.idempotency_key,
                    "body": parse_or_text(&response.body),
                });
                Finish::Done {
                    result: Some(result.to_string()),
                }
            }
            Err(e) if e.is_retryable() => lane.retry_or_dead(job, e.to_string()),
            Err(e) => Finish::Dead {
                error: e.to_string(),
            },
        };
        lane.finish_counted(job, finish, &mut summary).await?;
        Ok(summary)
    }

    /// Writes the request log rows the action's requests left.
    async fn flush_requests(&self, lane: &Lane) {
        let rows = self.source.take_requests();
        if !rows.is_empty()
            && let Err(e) = lane.store.log_requests(&rows).await
        {
            tracing::warn!(error = %e, "could not write the request log");
        }
    }
}

/// The body as JSON when it is, else as text.
fn parse_or_text(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()))
}
