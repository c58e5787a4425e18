//! One run of one stream: the page loop of each request chain.

use std::sync::Mutex;

use chrono::Utc;
use holdfast_records::{cursor_max, primary_key};
use holdfast_store::{
    PageCommit, PageOutcome, Progress, QuarantinedRecord, RecordRow, RunId, Store, StreamState,
};
use serde_json::Value;

use super::Observer;
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
}

/// A page turned into rows, ready to commit.
struct Prepared {
    rows: Vec<RecordRow>,
    quarantined: Vec<QuarantinedRecord>,
}

impl<'a> Run<'a> {
    pub(super) fn new(
        source: &'a dyn Source,
        store: &'a dyn Store,
        info: &'a StreamInfo,
        run: RunId,
        saved_cursor: Option<Value>,
        progress: Progress,
        observer: &'a dyn Observer,
    ) -> Self {
        Run {
            source,
            store,
            info,
            observer,
            run,
            saved_cursor,
            progress: Mutex::new(progress),
            counters: Mutex::new(Counters::default()),
        }
    }

    /// Reads one chain from `start` to its end, committing every page; while a
    /// page commits, the next one is fetched.
    pub(super) async fn chain(
        &self,
        scope: ReadScope,
        start: Value,
        checkpoint: Checkpoint,
    ) -> Result<(), SyncError> {
        let name = self.info.name.as_str();
        let mut reader = self
            .source
            .read(name, scope)
            .map_err(SyncError::source(name))?;
        let mut page = reader
            .read_page(&start)
            .await
            .map_err(SyncError::source(name))?;
        loop {
            let next = page.next.take();
            // Turning records into rows runs on the blocking pool, so it
            // overlaps with fetching and parsing the next page on this task
            // and with SQLite's own thread committing. It raises the cursor's
            // high-water mark first, which the state below must include.
            let prepare = self.prepare(page);
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
                reader.read_page(&next)
            );
            let (outcome, prepared) = committed?;
            self.tally(outcome, &prepared);
            page = fetched.map_err(SyncError::source(name))?;
        }
    }

    /// The state once every chain is done: the new cursor, no progress.
    pub(super) fn final_state(&self) -> StreamState {
        let max_seen = self.lock_progress().max_seen.clone();
        let cursor = match (&self.saved_cursor, max_seen) {
            (saved, Some(seen)) => cursor_max(saved.as_ref(), &seen),
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

    /// The counters so far.
    pub(super) fn counters(&self) -> Counters {
        *self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn lock_progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts turning `page` into rows on the blocking pool; the cursor's
    /// high-water mark is updated here, before the page is committed.
    fn prepare(&self, page: Page) -> impl Future<Output = Result<Prepared, SyncError>> + use<> {
        if let Some(field) = &self.info.cursor_field {
            let mut progress = self.lock_progress();
            for record in &page.records {
                if let Some(v) = record.get(field) {
                    progress.max_seen = cursor_max(progress.max_seen.as_ref(), v);
                }
            }
        }
        let key = self.info.table.primary_key.clone();
        let stream = self.info.name.clone();
        let task = tokio::task::spawn_blocking(move || prepare_rows(page.records, &key));
        async move {
            task.await.map_err(|e| SyncError::Source {
                stream,
                source: crate::SourceError::Other(format!("preparing a page failed: {e}")),
            })
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
            c.quarantined += prepared.quarantined.len() as u64;
        }
        self.observer.page(
            &self.info.name,
            prepared.rows.len(),
            outcome,
            prepared.quarantined.len(),
        );
    }

    async fn commit(
        &self,
        prepared: &Prepared,
        state: &StreamState,
    ) -> Result<PageOutcome, SyncError> {
        let name = self.info.name.as_str();
        let requests = self.source.take_requests();
        self.store
            .commit_page(PageCommit {
                run: self.run,
                stream: name,
                table: &self.info.table,
                records: &prepared.rows,
                quarantined: &prepared.quarantined,
                state,
                requests: &requests,
                now: Utc::now(),
            })
            .await
            .map_err(SyncError::store(name))
    }
}

/// Records to rows: key extracted, JSON written once; records without a
/// usable key go to quarantine with the reason.
fn prepare_rows(records: Vec<Value>, key: &[String]) -> Prepared {
    let mut rows = Vec::with_capacity(records.len());
    let mut quarantined = Vec::new();
    for record in records {
        let raw = serde_json::to_string(&record).unwrap_or_default();
        match primary_key(&record, key) {
            Ok(key) => rows.push(RecordRow { key, raw }),
            Err(reason) => quarantined.push(QuarantinedRecord { reason, raw }),
        }
    }
    Prepared { rows, quarantined }
}
