//! One run of one stream: the page loop of each request chain.

use std::sync::Mutex;

use chrono::Utc;
use std::sync::Arc;

use holdfast_records::{Shape, cursor_max, cursor_readable};
use holdfast_spec::OnInvalid;
use holdfast_store::prelude::*;
use holdfast_store::{DriftRow, PageCommit, PageOutcome, Progress, RunId, StreamState};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::Observer;
use super::rows::{Prepared, prepare_rows};
use crate::SyncError;
use crate::source::{Page, ReadScope, Source, StreamInfo};

/// How a chain's pages record where to resume.
#[derive(Debug, Clone)]
pub(super) enum Checkpoint {
    /// A stream without a parent: the next page's position.
    Top,
    /// One child chain at a time: its parent and the next page's position,
    /// so a resumed run continues inside the chain.
    Exact {
        /// The parent's key.
        key: Vec<Value>,
        /// The parent record (templates need it to resume).
        parent: Value,
    },
    /// Several child chains at once: resume restarts the window of parents
    /// after `watermark` (re-applying a page is a no-op).
    Window {
        /// The last parent whose chain finished before this window.
        watermark: Option<Vec<Value>>,
    },
}

/// The counters of a run so far.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counters {
    pub(super) pages: u64,
    pub(super) counts: PageOutcome,
    pub(super) quarantined: u64,
    pub(super) drift: u64,
    /// Answers an `errors:` rule skipped (each ended its chain).
    pub(super) skipped: u64,
    /// Records read, and how many of them carried a cursor value (for an
    /// incremental stream): none of many means the cursor cannot move.
    pub(super) read: u64,
    pub(super) with_cursor: u64,
}

/// A run in progress; shared by the chains it runs at once.
pub(super) struct Run<'a> {
    pub(super) source: &'a dyn Source,
    pub(super) store: &'a dyn Store,
    info: &'a StreamInfo,
    observer: &'a dyn Observer,
    pub(super) run: RunId,
    /// The cursor of the last completed run.
    saved_cursor: Option<Value>,
    pub(super) progress: Mutex<Progress>,
    pub(super) counters: Mutex<Counters>,
    /// The stream's known response shape, grown page by page.
    pub(super) known: Mutex<Option<Shape>>,
    /// The known shape when the run started (for `contract: freeze`).
    frozen: Option<Arc<Shape>>,
    /// Drift already recorded in this run, by kind and path.
    reported: Mutex<std::collections::HashSet<(&'static str, String)>>,
    /// Cancelled: stop after the page being committed.
    stop: &'a CancellationToken,
    /// Each mapped column and its JSONPath (`None`: computed).
    map_paths: Vec<(String, Option<String>)>,
    /// Which mapped columns' paths matched in this run so far, and over how many records.
    map_seen: Mutex<(Vec<bool>, u64)>,
}

/// A page (or, summed, a run) with at least this many records in which a
/// `map:` path matched nothing is reported as `map_empty`. Fewer is weak
/// evidence (an optional field may be absent from a handful of records),
/// except when the path matched nothing in a whole stream's run.
const MAP_EMPTY_RECORDS: u64 = 10;

impl<'a> Run<'a> {
    pub(super) fn new(
        source: &'a dyn Source,
        store: &'a dyn Store,
        info: &'a StreamInfo,
        observer: &'a dyn Observer,
        begun: super::Begun,
        stop: &'a CancellationToken,
    ) -> Self {
        Run {
            source,
            store,
            info,
            observer,
            run: begun.run_id,
            saved_cursor: begun.saved.cursor,
            progress: Mutex::new(begun.progress),
            counters: Mutex::new(Counters::default()),
            frozen: begun.known.clone().map(Arc::new),
            reported: Mutex::new(std::collections::HashSet::new()),
            known: Mutex::new(begun.known),
            stop,
            map_seen: Mutex::new((vec![false; info.rules.map_paths().len()], 0)),
            map_paths: info.rules.map_paths(),
        }
    }

    /// Reads one chain from `start` to its end, committing every page; while a
    /// page commits, the next one is fetched. When `stop` is cancelled, the
    /// page being committed commits and the chain ends with
    /// [`SyncError::Interrupted`] (the fetch in flight is dropped).
    pub(super) async fn chain(
        &self,
        scope: ReadScope,
        start: Value,
        checkpoint: Checkpoint,
    ) -> Result<(), SyncError> {
        let name = self.info.name.as_str();
        let interrupted = || SyncError::Interrupted {
            stream: name.to_owned(),
        };
        if self.stop.is_cancelled() {
            return Err(interrupted());
        }
        let mut reader = self
            .source
            .read(name, scope)
            .map_err(SyncError::source(name))?;
        let first = tokio::select! {
            biased;
            () = self.stop.cancelled() => return Err(interrupted()),
            first = reader.read_page(&start) => first,
        };
        let mut page = first.map_err(SyncError::source(name))?;
        loop {
            let next = page.next.take();
            let last = next.is_none() && matches!(checkpoint, Checkpoint::Top);
            // Turning records into rows runs on the blocking pool, so it
            // overlaps with fetching and parsing the next page on this task
            // and with SQLite's own thread committing. It raises the cursor's
            // high-water mark first, which the state below must include.
            let prepare = self.prepare(page, last);
            let state = self.state_after(next.clone(), &checkpoint);
            let Some(next) = next else {
                let prepared = prepare.await?;
                let outcome = self.commit(&prepared, &state).await?;
                self.tally(outcome, &prepared);
                return Ok(());
            };
            let (committed, fetched) = tokio::join!(
                async {
                    let prepared = prepare.await?;
                    let outcome = self.commit(&prepared, &state).await?;
                    Ok::<_, SyncError>((outcome, prepared))
                },
                async {
                    tokio::select! {
                        biased;
                        () = self.stop.cancelled() => None,
                        fetched = reader.read_page(&next) => Some(fetched),
                    }
                }
            );
            let (outcome, prepared) = committed?;
            self.tally(outcome, &prepared);
            match fetched {
                Some(fetched) if !self.stop.is_cancelled() => {
                    page = fetched.map_err(SyncError::source(name))?;
                }
                _ => return Err(interrupted()),
            }
        }
    }

    /// The state once every chain is done: the new cursor, no progress.
    pub(super) fn final_state(&self) -> StreamState {
        let max_seen = self.lock_progress().max_seen.clone();
        let cursor = match (&self.saved_cursor, max_seen) {
            (saved, Some(seen)) => cursor_max(&self.info.cursor_format, saved.as_ref(), &seen),
            (saved, None) => saved.clone(),
        };
        StreamState {
            cursor,
            progress: None,
        }
    }

    /// The state saying every parent up to `watermark` is done.
    pub(super) fn window_done(&self, watermark: Vec<Value>) -> StreamState {
        let mut p = self.lock_progress();
        p.partition = Some(watermark);
        p.parent = None;
        p.position = None;
        StreamState {
            cursor: self.saved_cursor.clone(),
            progress: Some(p.clone()),
        }
    }

    /// The known shape as JSON, if any.
    pub(super) fn known_shape_json(&self) -> Option<String> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known.as_ref().and_then(|k| serde_json::to_string(k).ok())
    }

    /// The counters so far.
    pub(super) fn counters(&self) -> Counters {
        *self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn lock_progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts turning `page` into rows on the blocking pool; the cursor's
    /// high-water mark is updated here, before the page is committed.
    fn prepare(
        &self,
        page: Page,
        last: bool,
    ) -> impl Future<Output = Result<Prepared, SyncError>> + use<> {
        let mut unreadable = None;
        if let Some(field) = &self.info.cursor_field {
            let format = &self.info.cursor_format;
            let lookback = !self.info.lookback.is_zero();
            let mut progress = self.lock_progress();
            let mut with_cursor = 0;
            for record in &page.records {
                let Some(v) = record.get(field).filter(|v| !v.is_null()) else {
                    continue;
                };
                with_cursor += 1;
                // A lookback the next run could not apply fails this run,
                // before its first page is written, not the next one.
                if lookback
                    && unreadable.is_none()
                    && let Err(e) = cursor_readable(format, v)
                {
                    unreadable = Some(SyncError::unreadable_cursor(
                        &self.info.name,
                        self.info.cursor_field.as_deref(),
                        &e,
                    ));
                }
                progress.max_seen = cursor_max(format, progress.max_seen.as_ref(), v);
            }
            drop(progress);
            let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
            c.read += page.records.len() as u64;
            c.with_cursor += with_cursor;
        }
        if page.skipped {
            self.counters
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .skipped += 1;
        }
        let capped = page.capped;
        let key = self.info.table.primary_key.clone();
        let stream = self.info.name.clone();
        let rules = self.info.rules.clone();
        let frozen = self.frozen.clone();
        let span = tracing::Span::current();
        let task = tokio::task::spawn_blocking(move || {
            let _in_run = span.enter();
            prepare_rows(page.records, &key, &rules, frozen.as_deref())
        });
        let fail = self.info.rules.on_invalid == OnInvalid::Fail;
        async move {
            if let Some(e) = unreadable {
                return Err(e);
            }
            let mut prepared = task.await.map_err(|e| SyncError::Source {
                stream: stream.clone(),
                source: crate::SourceError::Other(format!("preparing a page failed: {e}")),
            })?;
            prepared.capped = capped;
            prepared.last = last;
            if fail && let Some(bad) = prepared.quarantined.first() {
                return Err(SyncError::Invalid {
                    stream,
                    summary: bad.reason.clone(),
                    excerpt: bad.raw.chars().take(200).collect(),
                });
            }
            Ok(prepared)
        }
    }

    /// The stream state to commit with a page whose successor is `next`.
    fn state_after(&self, next: Option<Value>, checkpoint: &Checkpoint) -> StreamState {
        if next.is_none() && matches!(checkpoint, Checkpoint::Top) {
            return self.final_state();
        }
        let mut p = self.lock_progress();
        p.pages += 1;
        match checkpoint {
            Checkpoint::Top => {
                p.position = next;
            }
            Checkpoint::Exact { key, parent } => {
                p.parent = next.as_ref().map(|_| parent.clone());
                p.position = next;
                p.partition = Some(key.clone());
            }
            Checkpoint::Window { watermark } => {
                p.parent = None;
                p.position = None;
                p.partition = watermark.clone();
            }
        }
        StreamState {
            cursor: self.saved_cursor.clone(),
            progress: Some(p.clone()),
        }
    }

    fn tally(&self, outcome: PageOutcome, prepared: &Prepared) {
        {
            let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
            c.pages += 1;
            c.counts.created += outcome.created;
            c.counts.updated += outcome.updated;
            c.counts.unchanged += outcome.unchanged;
            c.counts.deleted += outcome.deleted;
            c.counts.restored += outcome.restored;
            c.quarantined += prepared.quarantined.len() as u64;
        }
        crate::telemetry::page_committed(&self.info.name, outcome, prepared.quarantined.len());
        self.observer.page(
            &self.info.name,
            prepared.rows.len() + prepared.tombstones.len() + prepared.deletions.len(),
            outcome,
            prepared.quarantined.len(),
        );
    }

    /// Compares the page's shape with the known one: the drift it shows, and
    /// the grown shape to save when there was drift (or none was known).
    fn drift(&self, page: &Shape, accepted: &Shape) -> (Vec<DriftRow>, Option<String>) {
        if page.records == 0 {
            return (Vec::new(), None);
        }
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        let (rows, changed) = match known.as_mut() {
            None => {
                *known = Some(accepted.clone());
                (Vec::new(), accepted.records > 0)
            }
            Some(k) => {
                let mut reported = self.reported.lock().unwrap_or_else(|e| e.into_inner());
                let rows: Vec<DriftRow> = page
                    .drift_from(k)
                    .into_iter()
                    // Once per run: a frozen stream sees the same new field on every page.
                    .filter(|d| reported.insert((d.kind.as_str(), d.path.clone())))
                    .map(|d| DriftRow {
                        stream: self.info.name.clone(),
                        run: Some(self.run),
                        at: Utc::now(),
                        kind: d.kind.as_str().to_owned(),
                        path: d.path,
                        before: d.before,
                        after: d.after,
                        example: d.example.map(|e| e.to_string()),
                    })
                    .collect();
                let grew = accepted.records > 0;
                k.merge(accepted);
                let changed = !rows.is_empty() && grew;
                (rows, changed)
            }
        };
        for d in &rows {
            tracing::warn!(
                stream = %self.info.name,
                kind = %d.kind,
                path = %d.path,
                before = %d.before,
                after = %d.after,
                "schema drift"
            );
        }
        let shape = if changed {
            known.as_ref().and_then(|k| serde_json::to_string(k).ok())
        } else {
            None
        };
        (rows, shape)
    }

    /// The `map:` paths this page shows matching nothing, once per run each:
    /// a path that found no value in any record of a page of at least
    /// [`MAP_EMPTY_RECORDS`], or in any record of the run so far once the
    /// run has read that many (or reached its last page). Each is also a
    /// warning in the run's output.
    fn map_empty(&self, prepared: &Prepared) -> Vec<DriftRow> {
        let records = prepared.shape.records;
        if records == 0 || self.map_paths.is_empty() {
            return Vec::new();
        }
        let mut seen = self.map_seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.1 += records;
        let run_records = seen.1;
        let mut rows = Vec::new();
        for (i, (column, path)) in self.map_paths.iter().enumerate() {
            let Some(path) = path else { continue };
            let page_hit = prepared.matched.get(i).copied().unwrap_or(true);
            let run_hit = seen.0.get(i).copied().unwrap_or(true) || page_hit;
            if let Some(flag) = seen.0.get_mut(i) {
                *flag = run_hit;
            }
            let (empty, of) = if !run_hit && (run_records >= MAP_EMPTY_RECORDS || prepared.last) {
                (true, run_records)
            } else {
                (!page_hit && records >= MAP_EMPTY_RECORDS, records)
            };
            if !empty {
                continue;
            }
            let d = holdfast_records::Drift::map_empty(path, column, of);
            let first = self
                .reported
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((d.kind.as_str(), d.path.clone()));
            if !first {
                continue;
            }
            let scope = if of == run_records && !run_hit {
                "the run so far"
            } else {
                "a page"
            };
            self.observer.warning(
                &self.info.name,
                &format!(
                    "map path `{path}` (column `{column}`) matched nothing in {of} record{} of \
                     {scope}, so the column is stored empty; check the path against a stored \
                     record (`holdfast explain {} ID`) — recorded as drift `map_empty`",
                    if of == 1 { "" } else { "s" },
                    self.info.name,
                ),
            );
            rows.push(DriftRow {
                stream: self.info.name.clone(),
                run: Some(self.run),
                at: Utc::now(),
                kind: d.kind.as_str().to_owned(),
                path: d.path,
                before: d.before,
                after: d.after,
                example: None,
            });
        }
        rows
    }

    async fn commit(
        &self,
        prepared: &Prepared,
        state: &StreamState,
    ) -> Result<PageOutcome, SyncError> {
        let name = self.info.name.as_str();
        let requests = self.source.take_requests();
        let accepted = prepared.accepted.as_ref().unwrap_or(&prepared.shape);
        let (mut drift, shape) = self.drift(&prepared.shape, accepted);
        if let Some((asked, got)) = prepared.capped {
            let d = holdfast_records::Drift::page_size_capped(asked, got);
            let first = self
                .reported
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((d.kind.as_str(), d.path.clone()));
            if first {
                tracing::warn!(stream = %name, asked, got, "the API returned fewer records than asked on a page that is not the last: it caps its page size");
                drift.push(DriftRow {
                    stream: name.to_owned(),
                    run: Some(self.run),
                    at: Utc::now(),
                    kind: d.kind.as_str().to_owned(),
                    path: d.path,
                    before: d.before,
                    after: d.after,
                    example: None,
                });
            }
        }
        drift.extend(self.map_empty(prepared));
        for d in &drift {
            crate::telemetry::drift_seen(name, &d.kind);
        }
        if !drift.is_empty() {
            self.counters
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .drift += drift.len() as u64;
        }
        self.store
            .commit_page(PageCommit {
                run: self.run,
                stream: name,
                table: &self.info.table,
                records: &prepared.rows,
                tombstones: &prepared.tombstones,
                deletions: &prepared.deletions,
                quarantined: &prepared.quarantined,
                state,
                requests: &requests,
                resolved: &[],
                shape: shape.as_deref(),
                drift: &drift,
                now: Utc::now(),
            })
            .await
            .map_err(SyncError::store(name))
    }
}
