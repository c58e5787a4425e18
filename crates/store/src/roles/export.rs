//! [`ExportStore`]: a store's content read out and written in verbatim.

use async_trait::async_trait;
use serde_json::Value;

use crate::{ExportedQuarantine, ExportedRecord, Inventory, RunId, RunRow, StoreError, TableSpec};

/// A store's content read out and written in verbatim, so it can move to
/// another store (see [`copy_store`](crate::copy_store)): paged reads in a
/// stable order, verbatim upserts.
#[async_trait]
pub trait ExportStore: Send + Sync {
    /// What the store holds by name: stream tables (as registered, mapped
    /// columns with their kinds), stream states and shapes, each sorted by name.
    async fn inventory(&self) -> Result<Inventory, StoreError>;

    /// Rows of stream table `table` in primary-key order, after `after`
    /// (exclusive), at most `limit`, with all their metadata and mapped
    /// values: a table is exported page by page, never whole.
    ///
    /// # Errors
    /// [`StoreErrorKind::InvalidData`](crate::StoreErrorKind::InvalidData) when `after` does not fit the key.
    async fn export_records(
        &self,
        table: &TableSpec,
        after: Option<&[Value]>,
        limit: u32,
    ) -> Result<Vec<ExportedRecord>, StoreError>;

    /// Writes `records` into `table` (prepared with [`prepare_table`](crate::RecordStore::prepare_table))
    /// verbatim, in one transaction: upserted by key, metadata as given,
    /// nothing recomputed. Importing the same rows again changes nothing.
    ///
    /// # Errors
    /// [`StoreErrorKind::InvalidData`](crate::StoreErrorKind::InvalidData) when a key or a mapped value does not
    /// fit the table; nothing is written then.
    async fn import_records(
        &self,
        table: &TableSpec,
        records: &[ExportedRecord],
    ) -> Result<(), StoreError>;

    /// Runs in id order after `after` (exclusive), at most `limit`.
    async fn export_runs(
        &self,
        after: Option<RunId>,
        limit: u32,
    ) -> Result<Vec<RunRow>, StoreError>;

    /// Writes runs verbatim, ids included (upserted by id), in one
    /// transaction; runs started later get ids above every imported one.
    async fn import_runs(&self, runs: &[RunRow]) -> Result<(), StoreError>;

    /// Quarantine rows (open and resolved) in id order after `after`
    /// (exclusive), at most `limit`.
    async fn export_quarantine(
        &self,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ExportedQuarantine>, StoreError>;

    /// Writes quarantine rows verbatim, ids included (upserted by id), in one
    /// transaction; their runs must exist (import runs first). Rows
    /// quarantined later get ids above every imported one.
    async fn import_quarantine(&self, rows: &[ExportedQuarantine]) -> Result<(), StoreError>;
}
