//! One run of one stream: the page loop of each request chain.

use chrono::Utc;
use holdfast_records::{cursor_max, primary_key};
use holdfast_store::{
    PageCommit, PageOutcome, Progress, QuarantinedRecord, RecordRow, RunId, Store, StreamState,
};
use serde_json::Value;

use super::Observer;
use crate::SyncError;
use crate::source::{Page, ReadScope, Source, StreamInfo};

/// The state of a run in progress and the counters it has so far.
pub(super) struct Run<'a> {
    source: &'a dyn Source,
    pub(super) store: &'a dyn Store,
    info: &'a StreamInfo,
    observer: &'a dyn Observer,
    run: RunId,
    /// The cursor of the last completed run.
    saved_cursor: Option<Value>,
    pub(super) progress: Progress,
    pub(super) pages: u64,
    pub(super) counts: PageOutcome,
    pub(super) quarantined: u64,
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
            progress,
            pages: 0,
            counts: PageOutcome::default(),
            quarantined: 0,
        }
    }

    /// Reads one chain from `start` to its end, committing every page; while a
    /// page commits, the next one is fetched.
    pub(super) async fn chain(
        &mut self,
        scope: ReadScope,
        start: Value,
        partition: Option<Vec<Value>>,
    ) -> Result<(), SyncError> {
        let name = self.info.name.as_str();
        let parent = scope.parent.clone();
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
            let state = self.state_after(next.clone(), partition.clone(), parent.clone());
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
        let cursor = match (&self.saved_cursor, &self.progress.max_seen) {
            (saved, Some(seen)) => cursor_max(saved.as_ref(), seen),
            (saved, None) => saved.clone(),
        };
        StreamState {
            cursor,
            progress: None,
        }
    }

    /// Starts turning `page` into rows on the blocking pool; the cursor's
    /// high-water mark is updated here, before the page is committed.
    fn prepare(&mut self, page: Page) -> impl Future<Output = Result<Prepared, SyncError>> + use<> {
        if let Some(field) = &self.info.cursor_field {
            for record in &page.records {
                if let Some(v) = record.get(field) {
                    self.progress.max_seen = cursor_max(self.progress.max_seen.as_ref(), v);
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
    fn state_after(
        &mut self,
        next: Option<Value>,
        partition: Option<Vec<Value>>,
        parent: Option<Value>,
    ) -> StreamState {
        self.progress.pages += 1;
        let is_child = self.info.parent.is_some();
        if next.is_none() && !is_child {
            return self.final_state();
        }
        self.progress.parent = next.as_ref().and(parent);
        self.progress.position = next;
        self.progress.partition = partition;
        StreamState {
            cursor: self.saved_cursor.clone(),
            progress: Some(self.progress.clone()),
        }
    }

    fn tally(&mut self, outcome: PageOutcome, prepared: &Prepared) {
        self.pages += 1;
        self.counts.created += outcome.created;
        self.counts.updated += outcome.updated;
        self.counts.unchanged += outcome.unchanged;
        self.quarantined += prepared.quarantined.len() as u64;
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
        let outcome = self
            .store
            .commit_page(PageCommit {
                run: self.run,
                stream: name,
                table: &self.info.table,
                records: &prepared.rows,
                quarantined: &prepared.quarantined,
                state,
                now: Utc::now(),
            })
            .await
            .map_err(SyncError::store(name))?;
        Ok(outcome)
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
