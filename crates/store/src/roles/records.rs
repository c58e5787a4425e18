//! [`RecordStore`]: stream tables and their records, stream states, runs and quarantine.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{
    ExportedRecord, PageCommit, PageOutcome, ParentRecord, QuarantineRow, Reconciliation,
    RecordQuery, RunHolder, RunId, RunOutcome, RunRow, StoreError, StoredRecord, StreamState,
    Sweep, SweepOutcome, TableSpec,
};

/// Stream tables and what a sync writes into them: records (one page per
/// [`commit_page`](RecordStore::commit_page)), stream states (resume
/// points), runs and quarantine.
///
/// Every method that records time takes `now`, so callers (and tests) own the clock.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Creates the stream table `table` if it is missing, or checks that the
    /// existing one has the same primary key.
    ///
    /// # Errors
    /// [`StoreErrorKind::Schema`](crate::StoreErrorKind::Schema) when the table exists with another primary key.
    async fn prepare_table(&self, table: &TableSpec) -> Result<(), StoreError>;

    /// The saved state of `stream`, or `None` if it never committed a page.
    async fn load_state(&self, stream: &str) -> Result<Option<StreamState>, StoreError>;

    /// Forgets the state of `stream` (its cursor and resume point): the next
    /// run is a full refresh. Records stay.
    async fn reset_state(&self, stream: &str) -> Result<(), StoreError>;

    /// Records the start of a run of `stream` by this process (see
    /// [`RecordStore::start_run_as`]).
    async fn start_run(&self, stream: &str, now: DateTime<Utc>) -> Result<RunId, StoreError> {
        self.start_run_as(stream, &RunHolder::this_process(), now)
            .await
    }

    /// Records the start of a run of `stream` held by `holder`, its lease
    /// until `now` + [`RUN_LEASE`](crate::RUN_LEASE). Runs of the same stream left `running`
    /// (their process died) are marked `interrupted`, ending at their last
    /// committed page (or their start).
    async fn start_run_as(
        &self,
        stream: &str,
        holder: &RunHolder,
        now: DateTime<Utc>,
    ) -> Result<RunId, StoreError>;

    /// Renews the lease of a running run until `now` + [`RUN_LEASE`](crate::RUN_LEASE) (page
    /// commits renew it too). A run no longer running is left alone.
    async fn renew_run(&self, run: RunId, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Applies one page atomically: upserts, quarantine, run counters, state;
    /// the run's last page time becomes `page.now` and its lease is renewed.
    async fn commit_page(&self, page: PageCommit<'_>) -> Result<PageOutcome, StoreError>;

    /// Saves the state of `stream` without a page (e.g. when a child stream
    /// finished its last parent).
    async fn save_state(
        &self,
        stream: &str,
        state: &StreamState,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Records how a run ended.
    async fn finish_run(
        &self,
        run: RunId,
        outcome: RunOutcome,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The most recent runs, newest first (all streams, or one), as they
    /// stand now: a `running` run whose process is gone is shown
    /// `interrupted` (see [`settle`](crate::settle)).
    async fn runs(&self, stream: Option<&str>, limit: u32) -> Result<Vec<RunRow>, StoreError>;

    /// Records of a parent table in primary-key order, after `after` (exclusive),
    /// at most `limit` of them: how child streams walk their parents without
    /// loading them all.
    async fn parent_records(
        &self,
        table: &TableSpec,
        after: Option<&[Value]>,
        limit: u32,
    ) -> Result<Vec<ParentRecord>, StoreError>;

    /// Rows of stream table `table` as `query` selects them, in primary-key
    /// order, with their metadata and mapped values (the records API reads
    /// the local copy through this).
    ///
    /// # Errors
    /// [`StoreErrorKind::InvalidData`](crate::StoreErrorKind::InvalidData) when `query.after` or
    /// `query.key` does not fit the table's key.
    async fn list_records(
        &self,
        table: &TableSpec,
        query: &RecordQuery,
    ) -> Result<Vec<ExportedRecord>, StoreError>;

    /// One record of a stream table by primary key.
    async fn record(
        &self,
        table: &TableSpec,
        key: &[Value],
    ) -> Result<Option<StoredRecord>, StoreError>;

    /// Unresolved quarantine rows of `stream` whose raw payload has these
    /// values at these top-level fields (for `explain`).
    async fn quarantined_by_key(
        &self,
        stream: &str,
        fields: &[String],
        key: &[Value],
    ) -> Result<Vec<QuarantineRow>, StoreError>;

    /// Unresolved quarantined records, newest first (all streams, or one).
    async fn quarantine(
        &self,
        stream: Option<&str>,
        limit: u32,
    ) -> Result<Vec<QuarantineRow>, StoreError>;

    /// Ends a complete reconciliation scan: counts the live rows of
    /// `sweep.table` the scan did not see and, unless they are beyond its
    /// limits, applies its action to them — counted, decided and applied in
    /// one transaction.
    async fn sweep_missing(&self, sweep: &Sweep<'_>) -> Result<SweepOutcome, StoreError>;

    /// A keys-only scan saw `keys` upstream: their live rows are marked seen
    /// by `run` at `now` (`_last_seen`, `_last_run`; nothing else changes).
    /// Returns how many of the (distinct) keys have no live row: records
    /// missing locally, or tombstoned here but alive upstream.
    async fn touch_keys(
        &self,
        table: &TableSpec,
        run: RunId,
        keys: &[Vec<Value>],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Records a reconciliation (one per run; recording it again replaces it).
    async fn save_reconciliation(&self, reconciliation: &Reconciliation) -> Result<(), StoreError>;

    /// The most recent reconciliations, newest first (all streams, or one).
    async fn reconciliations(
        &self,
        stream: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Reconciliation>, StoreError>;
}
