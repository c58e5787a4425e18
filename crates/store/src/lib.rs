//! The storage interface of holdfast: one [`Store`] trait, several backends.
//!
//! A sync writes through exactly one call per page, [`Store::commit_page`]:
//! the page's records are upserted by primary key, quarantined records are
//! kept with their reason, the run's counters advance and the stream's new
//! [`StreamState`] (its resume point) is saved — all in one transaction. A
//! crash between pages therefore resumes at the last committed page, and
//! applying a page again changes nothing.
//!
//! Backends: `holdfast-store-sqlite` (the embedded default).
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
mod model;

pub use error::{StoreError, StoreErrorKind};
pub use model::{
    Column, ColumnKind, DriftRow, EndpointStats, PageCommit, PageOutcome, ParentRecord, Progress,
    QuarantineRow, QuarantinedRecord, RecordRow, RequestRow, RunId, RunOutcome, RunRow,
    StoredRecord, StreamState, TableSpec, Violation,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Where holdfast keeps records, stream state, runs and quarantine.
///
/// Every method that records time takes `now`, so callers (and tests) own the clock.
#[async_trait]
pub trait Store: Send + Sync {
    /// Creates the stream table `table` if it is missing, or checks that the
    /// existing one has the same primary key.
    ///
    /// # Errors
    /// [`StoreErrorKind::Schema`] when the table exists with another primary key.
    async fn prepare_table(&self, table: &TableSpec) -> Result<(), StoreError>;

    /// The saved state of `stream`, or `None` if it never committed a page.
    async fn load_state(&self, stream: &str) -> Result<Option<StreamState>, StoreError>;

    /// Forgets the state of `stream` (its cursor and resume point): the next
    /// run is a full refresh. Records stay.
    async fn reset_state(&self, stream: &str) -> Result<(), StoreError>;

    /// Records the start of a run of `stream`. Runs of the same stream left
    /// `running` by a process that died are marked `interrupted`.
    async fn start_run(&self, stream: &str, now: DateTime<Utc>) -> Result<RunId, StoreError>;

    /// Applies one page atomically: upserts, quarantine, run counters, state.
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

    /// The most recent runs, newest first (all streams, or one).
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

    /// Appends request log rows outside a page (e.g. the attempts of a run
    /// that failed before its next commit).
    async fn log_requests(&self, rows: &[RequestRow]) -> Result<(), StoreError>;

    /// The request log of one run, in the order the attempts started.
    async fn requests(&self, run: RunId, limit: u32) -> Result<Vec<RequestRow>, StoreError>;

    /// Success rate, latency percentiles and deprecation signals per endpoint
    /// for attempts since `since`.
    async fn endpoint_stats(&self, since: DateTime<Utc>) -> Result<Vec<EndpointStats>, StoreError>;

    /// The stream's known response shape (JSON), if one was saved.
    async fn load_shape(&self, stream: &str) -> Result<Option<String>, StoreError>;

    /// Saves the stream's known response shape (JSON).
    async fn save_shape(
        &self,
        stream: &str,
        shape: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Recorded drift, newest first (all streams, or one).
    async fn drift(&self, stream: Option<&str>, limit: u32) -> Result<Vec<DriftRow>, StoreError>;

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
}
