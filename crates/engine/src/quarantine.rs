//! Quarantine retry: after the user fixes a schema or a map, re-check the
//! records held in quarantine; the ones that now pass move into their table.

use chrono::Utc;
use holdfast_store::prelude::*;
use holdfast_store::{PageCommit, QuarantinedRecord, RecordRow, RunId, RunOutcome, StreamState};
use serde_json::Value;

use crate::SyncError;
use crate::source::StreamInfo;

/// What a quarantine retry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySummary {
    /// The run that recorded it.
    pub run: RunId,
    /// Records that now pass and were moved into the table.
    pub moved: u64,
    /// Records still invalid (their violations are updated).
    pub still_invalid: u64,
}

/// Re-checks up to `limit` quarantined records of `info`'s stream with its
/// current rules. Valid ones are upserted and marked resolved in the same
/// transaction; nothing else of the stream's state changes.
///
/// # Errors
/// A store failure; nothing is half-applied.
pub async fn retry_quarantine(
    store: &dyn Store,
    info: &StreamInfo,
    limit: u32,
) -> Result<RetrySummary, SyncError> {
    let name = info.name.as_str();
    store
        .prepare_table(&info.table)
        .await
        .map_err(SyncError::store(name))?;
    let held = store
        .quarantine(Some(name), limit)
        .await
        .map_err(SyncError::store(name))?;
    let run = store
        .start_run(name, Utc::now())
        .await
        .map_err(SyncError::store(name))?;
    let state = store
        .load_state(name)
        .await
        .map_err(SyncError::store(name))?
        .unwrap_or_default();
    // `contract: freeze` judges new fields against the stream's known shape.
    let known: Option<holdfast_records::Shape> = store
        .load_shape(name)
        .await
        .map_err(SyncError::store(name))?
        .and_then(|text| serde_json::from_str(&text).ok());
    let mut rows = Vec::new();
    let mut tombstones = Vec::new();
    let mut deletions = Vec::new();
    let mut resolved = Vec::new();
    let mut still = Vec::new();
    for q in held {
        let record: Value = serde_json::from_str(&q.raw).unwrap_or(Value::Null);
        match info
            .rules
            .check(&record, &info.table.primary_key, known.as_ref())
        {
            Ok(checked) => {
                let row = RecordRow {
                    key: checked.key,
                    raw: q.raw,
                    values: checked.values,
                };
                // a record the API marks deleted stays a tombstone here too
                match (info.rules.deletes_only, checked.deleted) {
                    (true, _) => deletions.push(row),
                    (false, true) => tombstones.push(row),
                    (false, false) => rows.push(row),
                }
                resolved.push(q.id);
            }
            Err(violations) => still.push(QuarantinedRecord {
                reason: holdfast_records::summarize(&violations),
                raw: q.raw,
                violations,
            }),
        }
    }
    let written = (&rows[..], &tombstones[..], &deletions[..]);
    let result = commit(store, info, run, written, &still, &resolved, &state).await;
    let (outcome, error) = match &result {
        Ok(()) => (RunOutcome::Succeeded, None),
        Err(e) => (RunOutcome::Failed, Some(e.to_string())),
    };
    store
        .finish_run(run, outcome, error.as_deref(), Utc::now())
        .await
        .map_err(SyncError::store(name))?;
    result.map(|()| RetrySummary {
        run,
        moved: (rows.len() + tombstones.len() + deletions.len()) as u64,
        still_invalid: still.len() as u64,
    })
}

async fn commit(
    store: &dyn Store,
    info: &StreamInfo,
    run: RunId,
    (rows, tombstones, deletions): (&[RecordRow], &[RecordRow], &[RecordRow]),
    still: &[QuarantinedRecord],
    resolved: &[i64],
    state: &StreamState,
) -> Result<(), SyncError> {
    store
        .commit_page(PageCommit {
            run,
            stream: &info.name,
            table: &info.table,
            records: rows,
            tombstones,
            deletions,
            quarantined: still,
            state,
            requests: &[],
            resolved,
            shape: None,
            drift: &[],
            now: Utc::now(),
        })
        .await
        .map(|_| ())
        .map_err(SyncError::store(&info.name))
}
