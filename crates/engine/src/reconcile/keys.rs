//! The keys-only scan (`reconcile.keys_only:` / `scan:`): the stream's
//! chain read with extra parameters that ask for keys only (or from another
//! path that lists keys), each page's keys marked seen in the table; the
//! records themselves are not written.

use chrono::Utc;
use holdfast_records::primary_key;
use holdfast_store::prelude::*;
use holdfast_store::{RunId, RunOutcome};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::source::{ReadScope, Source, StreamInfo};
use crate::{SourceError, SyncError};

/// What a keys-only scan saw.
pub(super) struct KeyScan {
    /// The scan's run (the rows it saw carry it in `_last_run`).
    pub(super) run: RunId,
    /// Keys seen upstream.
    pub(super) upstream: u64,
    /// Keys seen upstream with no live row here.
    pub(super) missing_locally: u64,
}

/// Reads `info`'s chain with `params` on its requests and marks every key
/// seen; the run is recorded (failed with the error when the scan did not
/// finish, with its id so nothing is swept).
pub(super) async fn scan_keys(
    source: &dyn Source,
    store: &dyn Store,
    info: &StreamInfo,
    scan: &holdfast_spec::KeyScan,
    stop: &CancellationToken,
) -> Result<KeyScan, (Option<RunId>, SyncError)> {
    let name = info.name.as_str();
    let failed = |e| (None, SyncError::store(name)(e));
    store.prepare_table(&info.table).await.map_err(failed)?;
    let run = store.start_run(name, Utc::now()).await.map_err(failed)?;
    let scanned = read_keys(source, store, info, scan, run, stop).await;
    let (outcome, error) = match &scanned {
        Ok(_) => (RunOutcome::Succeeded, None),
        Err(SyncError::Interrupted { .. }) => (RunOutcome::Interrupted, None),
        Err(e) => (RunOutcome::Failed, Some(e.to_string())),
    };
    let ended = store
        .finish_run(run, outcome, error.as_deref(), Utc::now())
        .await;
    let (upstream, missing_locally) = scanned.map_err(|e| (Some(run), e))?;
    ended.map_err(|e| (Some(run), SyncError::store(name)(e)))?;
    Ok(KeyScan {
        run,
        upstream,
        missing_locally,
    })
}

/// The page loop: `(keys seen, keys with no live row here)`.
async fn read_keys(
    source: &dyn Source,
    store: &dyn Store,
    info: &StreamInfo,
    scan: &holdfast_spec::KeyScan,
    run: RunId,
    stop: &CancellationToken,
) -> Result<(u64, u64), SyncError> {
    let name = info.name.as_str();
    let scope = ReadScope {
        run: Some(run.0),
        extra_params: scan.params.clone(),
        path: scan.path.clone(),
        ..ReadScope::default()
    };
    let mut reader = source.read(name, scope).map_err(SyncError::source(name))?;
    let (mut upstream, mut missing) = (0, 0);
    let mut position = Value::Null;
    loop {
        let page = tokio::select! {
            biased;
            () = stop.cancelled() => return Err(SyncError::Interrupted { stream: name.to_owned() }),
            page = reader.read_page(&position) => page.map_err(SyncError::source(name))?,
        };
        if page.skipped {
            return Err(SyncError::source(name)(SourceError::Other(
                "an `errors:` rule skipped an answer (`action: skip`), so the keys-only scan \
                 did not see every page"
                    .to_owned(),
            )));
        }
        let mut keys = Vec::with_capacity(page.records.len());
        for record in &page.records {
            let key = primary_key(record, &info.table.primary_key).map_err(|why| {
                SyncError::source(name)(SourceError::Other(format!(
                    "a record of the keys-only scan has no usable key ({why}); check that \
                     `reconcile.keys_only` / `scan` still answer the primary key fields: {}",
                    excerpt(record)
                )))
            })?;
            keys.push(key);
        }
        upstream += keys.len() as u64;
        let now = Utc::now();
        missing += store
            .touch_keys(&info.table, run, &keys, now)
            .await
            .map_err(SyncError::store(name))?;
        store
            .renew_run(run, now)
            .await
            .map_err(SyncError::store(name))?;
        store
            .log_requests(&source.take_requests())
            .await
            .map_err(SyncError::store(name))?;
        match page.next {
            Some(next) => position = next,
            None => return Ok((upstream, missing)),
        }
    }
}

fn excerpt(record: &Value) -> String {
    record.to_string().chars().take(160).collect()
}
