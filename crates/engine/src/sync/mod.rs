//! Running a sync: which streams run and in which order ([`plan`]), in
//! waves so parents finish before their children ([`sync_waves`]), each
//! under its stream's lease ([`with_stream_lease`]); within a stream, its
//! request chains page by page, every page committed together with the
//! stream's resume point.
//!
//! While page N commits, page N+1 is already being fetched (at most two pages
//! are in memory, so memory stays flat however large the stream). The state
//! saved with page N says where page N+1 is, so a crash at any point resumes
//! at the first page that was not committed, and re-applying a page is a no-op
//! (upsert by primary key).

mod chain;
mod lease;
mod observer;
mod plan;
mod rows;
mod waves;

pub(crate) use lease::take as take_lease;
pub use lease::{StreamBusy, stream_lease, with_stream_lease};
pub use observer::{NoopObserver, Observer};
pub use plan::{PlanError, plan};
pub use waves::{NotStarted, StreamEnd, WaveOptions, sync_waves};

use std::time::{Duration, Instant};

use chrono::Utc;
use holdfast_records::cursor_minus;
use holdfast_store::prelude::*;
use holdfast_store::{PageOutcome, Progress, RunId, RunOutcome, StreamState};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::SyncError;
use crate::source::{ReadScope, Source, StreamInfo};
use chain::{Checkpoint, Run};

/// How many streams one `holdfast sync` runs at once unless told otherwise.
pub const DEFAULT_STREAMS_AT_ONCE: usize = 8;

/// How to run a sync.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    /// Ignore the saved cursor and resume point: read everything again.
    pub full_refresh: bool,
}

/// What one stream's run did.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The stream.
    pub stream: String,
    /// The run's id in the store.
    pub run: RunId,
    /// True when the run continued an interrupted one.
    pub resumed: bool,
    /// Pages committed.
    pub pages: u64,
    /// Records created, updated and unchanged.
    pub counts: PageOutcome,
    /// Records quarantined.
    pub quarantined: u64,
    /// Drift events recorded.
    pub drift: u64,
    /// Answers an `errors:` rule skipped (`action: skip`); each ended its
    /// request chain.
    pub skipped: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl RunSummary {
    /// Records read (written, tombstoned or quarantined).
    pub fn records(&self) -> u64 {
        self.counts.written() + self.quarantined
    }
}

/// Syncs one stream of `source` into `store`, resuming an interrupted run
/// unless `options.full_refresh`.
///
/// # Errors
/// The first source or store failure; pages committed before it stay, and the
/// run is recorded as failed with the message.
pub async fn sync_stream(
    source: &dyn Source,
    store: &dyn Store,
    info: &StreamInfo,
    options: SyncOptions,
    observer: &dyn Observer,
) -> Result<RunSummary, SyncError> {
    let never = CancellationToken::new();
    sync_stream_until(source, store, info, options, observer, &never).await
}

/// As [`sync_stream`], stopping early when `stop` is cancelled: the page
/// being committed commits, the page being fetched is dropped, and the run is
/// recorded as interrupted (not failed), so the next run resumes from the
/// last committed page.
///
/// # Errors
/// [`SyncError::Interrupted`] when stopped; otherwise as [`sync_stream`].
pub async fn sync_stream_until(
    source: &dyn Source,
    store: &dyn Store,
    info: &StreamInfo,
    options: SyncOptions,
    observer: &dyn Observer,
    stop: &CancellationToken,
) -> Result<RunSummary, SyncError> {
    let name = info.name.as_str();
    let begun = match begin(store, info, options).await {
        Ok(begun) => begun,
        Err(e) => {
            // Nothing ran, but whoever watches must still hear why.
            let result = Err(e);
            observer.finished(name, &result);
            return result;
        }
    };
    let run_id = begun.run_id;
    let resumed = begun.saved.progress.is_some();
    observer.started(name, resumed);
    let started = Instant::now();
    let run = Run::new(source, store, info, observer, begun, stop);
    // every log line of the run carries its stream and run id
    let span = tracing::info_span!("sync", stream = name, run = run_id.0);
    let chains = tracing::Instrument::instrument(run_all_chains(&run, info), span);
    // the run's lease is renewed at each page commit, and by this heartbeat
    // while a long page is read
    let result = tokio::select! {
        result = chains => result,
        never = heartbeat(store, name, run_id) => match never {},
    };
    let counters = run.counters();
    if result.is_ok()
        && let Some(field) = &info.cursor_field
        && counters.read > 0
        && counters.with_cursor == 0
    {
        // The cursor cannot move: every later run reads the same again.
        observer.warning(
            name,
            &format!(
                "none of the {} records read had a value in `{field}` \
                 (`incremental.cursor_field`), so the cursor stays where it was and the next \
                 run reads them again; check the field's name in the API's records",
                counters.read
            ),
        );
    }
    let summary = RunSummary {
        stream: name.to_owned(),
        run: run_id,
        resumed,
        pages: counters.pages,
        counts: counters.counts,
        quarantined: counters.quarantined,
        drift: counters.drift,
        skipped: counters.skipped,
        elapsed: started.elapsed(),
    };
    let (outcome, error) = match &result {
        Ok(()) => (RunOutcome::Succeeded, None),
        Err(e @ SyncError::Interrupted { .. }) => (RunOutcome::Interrupted, Some(e.to_string())),
        Err(e) => (RunOutcome::Failed, Some(e.to_string())),
    };
    let finished = Utc::now();
    let end = (outcome, error.as_deref(), finished);
    let recorded = record_end(source, store, name, &run, end).await;
    // The run's own error always wins; one from recording the end is added
    // to it (a store that failed a page often fails the bookkeeping too).
    let result = match (result, recorded) {
        (result, Ok(())) => result,
        (Ok(()), Err(recording)) => Err(SyncError::store(name)(recording)),
        (Err(original), Err(recording)) => Err(SyncError::Unrecorded {
            original: Box::new(original),
            recording,
        }),
    };
    crate::telemetry::run_finished(name, outcome, finished);
    match &error {
        None => tracing::info!(
            stream = name,
            run = run_id.0,
            pages = summary.pages,
            created = summary.counts.created,
            updated = summary.counts.updated,
            unchanged = summary.counts.unchanged,
            quarantined = summary.quarantined,
            "run succeeded"
        ),
        // asked to stop: the caller says so (and how to resume)
        Some(e) if outcome == RunOutcome::Interrupted => {
            tracing::info!(stream = name, run = run_id.0, error = %e, "run interrupted")
        }
        // a command that prints the failure itself does not need it logged at warn as well
        Some(e) if observer.shows_failures() => {
            tracing::info!(stream = name, run = run_id.0, outcome = outcome.as_str(), error = %e, "run did not succeed")
        }
        Some(e) => {
            tracing::warn!(stream = name, run = run_id.0, outcome = outcome.as_str(), error = %e, "run did not succeed")
        }
    }
    let result = result.map(|()| summary);
    observer.finished(name, &result);
    result
}

/// Renews the lease of `run` every [`holdfast_store::RUN_HEARTBEAT`], for as
/// long as it is polled (a failure is logged: the next commit renews too).
async fn heartbeat(store: &dyn Store, name: &str, run: RunId) -> std::convert::Infallible {
    let mut tick = tokio::time::interval(holdfast_store::RUN_HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = store.renew_run(run, Utc::now()).await {
            tracing::warn!(stream = name, run = run.0, error = %e, "could not renew the run's lease");
        }
    }
}

/// How many times ending a run is tried before giving up, and the pause
/// before each retry: a store that just failed a write may take it again.
const RECORD_RETRIES: [Duration; 2] = [Duration::from_millis(250), Duration::from_secs(1)];

/// Records the end of `run`: the grown shape (so the next run compares
/// against everything seen), the attempts made after the last commit (e.g.
/// the ones that failed the run), and its outcome. Each step is tried even
/// when an earlier one failed, and marking the outcome is retried; the first
/// error is returned.
async fn record_end(
    source: &dyn Source,
    store: &dyn Store,
    name: &str,
    run: &Run<'_>,
    (outcome, error, finished): (RunOutcome, Option<&str>, chrono::DateTime<Utc>),
) -> Result<(), holdfast_store::StoreError> {
    let mut first = None;
    if let Some(shape) = run.known_shape_json()
        && let Err(e) = store.save_shape(name, &shape, Utc::now()).await
    {
        first.get_or_insert(e);
    }
    if let Err(e) = store.log_requests(&source.take_requests()).await {
        first.get_or_insert(e);
    }
    let mut pauses = RECORD_RETRIES.iter();
    loop {
        match store.finish_run(run.run, outcome, error, finished).await {
            Ok(()) => break,
            Err(e) => match pauses.next() {
                Some(pause) => {
                    tracing::warn!(stream = name, error = %e, "could not record the end of the run; trying again");
                    tokio::time::sleep(*pause).await;
                }
                None => {
                    first.get_or_insert(e);
                    break;
                }
            },
        }
    }
    first.map_or(Ok(()), Err)
}

/// What a run starts from.
pub(super) struct Begun {
    pub(super) run_id: RunId,
    pub(super) saved: StreamState,
    pub(super) progress: Progress,
    pub(super) known: Option<holdfast_records::Shape>,
}

/// Everything before a run starts: its table, its saved state and known
/// shape, and its row in the runs table.
async fn begin(
    store: &dyn Store,
    info: &StreamInfo,
    options: SyncOptions,
) -> Result<Begun, SyncError> {
    let name = info.name.as_str();
    store
        .prepare_table(&info.table)
        .await
        .map_err(SyncError::store(name))?;
    let saved = if options.full_refresh {
        StreamState::default()
    } else {
        store
            .load_state(name)
            .await
            .map_err(SyncError::store(name))?
            .unwrap_or_default()
    };
    let progress = saved.progress.clone().unwrap_or_else(|| Progress {
        run_cursor: saved.cursor.clone(),
        ..Progress::default()
    });
    let known = store
        .load_shape(name)
        .await
        .map_err(SyncError::store(name))?
        .and_then(|text| match serde_json::from_str(&text) {
            Ok(shape) => Some(shape),
            Err(e) => {
                // Drift is then measured from this run's pages on: said, not silent.
                tracing::warn!(
                    stream = name,
                    error = %e,
                    "the stream's saved response shape cannot be read; drift is compared \
                     from this run's pages on"
                );
                None
            }
        });
    let run_id = store
        .start_run(name, Utc::now())
        .await
        .map_err(SyncError::store(name))?;
    Ok(Begun {
        run_id,
        saved,
        progress,
        known,
    })
}

async fn run_all_chains(run: &Run<'_>, info: &StreamInfo) -> Result<(), SyncError> {
    let name = info.name.as_str();
    let (cursor, position, partition, parent_record) = {
        let p = run.lock_progress();
        (
            p.run_cursor.clone(),
            p.position.clone(),
            p.partition.clone(),
            p.parent.clone(),
        )
    };
    let cursor = cursor
        .map(|c| cursor_minus(&info.cursor_format, &c, info.lookback))
        .transpose()
        .map_err(|e| SyncError::unreadable_cursor(&info.name, info.cursor_field.as_deref(), &e))?;
    let scope = |parent: Option<Value>| ReadScope {
        run: Some(run.run.0),
        cursor: cursor.clone(),
        parent,
        extra_params: Vec::new(),
        path: None,
    };
    let Some(parent) = &info.parent else {
        let start = position.unwrap_or(Value::Null);
        return run.chain(scope(None), start, Checkpoint::Top).await;
    };
    // A child stream: finish the chain that was in progress, then one chain per
    // parent after the last one finished, in primary key order, up to
    // `parallel` chains at once. The parent's table may not exist yet (never
    // synced): create it empty, so the answer is "no parents", not an SQL error.
    run.store
        .prepare_table(&parent.table)
        .await
        .map_err(SyncError::store(name))?;
    let parallel = run.source.parallel_chains(name).max(1);
    let mut after = partition;
    if let (Some(position), Some(record), Some(key)) = (position, parent_record, after.clone()) {
        let checkpoint = Checkpoint::Exact {
            key,
            parent: record.clone(),
        };
        run.chain(scope(Some(record)), position, checkpoint).await?;
    }
    let mut any = after.is_some();
    loop {
        let batch = run
            .store
            .parent_records(&parent.table, after.as_deref(), 200)
            .await
            .map_err(SyncError::store(name))?;
        if batch.is_empty() {
            break;
        }
        any = true;
        for window in batch.chunks(parallel) {
            if parallel == 1 {
                let p = &window[0];
                let checkpoint = Checkpoint::Exact {
                    key: p.key.clone(),
                    parent: p.record.clone(),
                };
                run.chain(scope(Some(p.record.clone())), Value::Null, checkpoint)
                    .await?;
            } else {
                let checkpoint = Checkpoint::Window {
                    watermark: after.clone(),
                };
                let chains = window.iter().map(|p| {
                    run.chain(
                        scope(Some(p.record.clone())),
                        Value::Null,
                        checkpoint.clone(),
                    )
                });
                for result in futures::future::join_all(chains).await {
                    result?;
                }
                let last = window[window.len() - 1].key.clone();
                run.store
                    .save_state(name, &run.window_done(last), Utc::now())
                    .await
                    .map_err(SyncError::store(name))?;
            }
            after = Some(window[window.len() - 1].key.clone());
        }
    }
    if !any {
        return Err(SyncError::NoParents {
            stream: name.to_owned(),
            parent: parent.stream.clone(),
        });
    }
    run.store
        .save_state(name, &run.final_state(), Utc::now())
        .await
        .map_err(SyncError::store(name))
}

#[cfg(test)]
mod tests;
