//! What a store holds, as it holds it: the values that move a store's
//! content to another store (`holdfast store migrate`), metadata included.
//!
//! Exports read in a stable order in pages (`after`, `limit`), so a copy
//! never holds a whole table in memory; imports write verbatim (nothing is
//! recomputed: versions, tombstones, first-seen times and run ids stay) and
//! upsert, so copying the same page twice changes nothing.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{LastChange, QuarantineRow, RunId, StreamState, TableSpec, Violation};

/// Everything a store knows by name: stream tables, stream states, shapes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// Stream tables as registered (primary key and mapped columns with
    /// their kinds), by name.
    pub tables: Vec<TableSpec>,
    /// Saved stream states (resume points), by stream.
    pub states: Vec<NamedState>,
    /// Known response shapes, by stream.
    pub shapes: Vec<NamedShape>,
}

impl Inventory {
    /// Whether the store holds no stream table and no stream state.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.states.is_empty()
    }
}

/// A stream's saved state, with its name.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedState {
    /// The stream.
    pub stream: String,
    /// Its resume point.
    pub state: StreamState,
    /// When it was last saved.
    pub updated_at: DateTime<Utc>,
}

/// A stream's known response shape, with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedShape {
    /// The stream.
    pub stream: String,
    /// The shape (JSON text).
    pub shape: String,
    /// When it was last saved.
    pub updated_at: DateTime<Utc>,
}

/// Which rows of a stream table [`RecordStore::list_records`](crate::RecordStore::list_records)
/// reads: always in primary-key order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordQuery {
    /// Only rows after this key (exclusive): where the previous page ended.
    pub after: Option<Vec<Value>>,
    /// Only the row with this key.
    pub key: Option<Vec<Value>>,
    /// Only rows whose content changed at or after this time (`_updated_at`).
    pub updated_since: Option<DateTime<Utc>>,
    /// Tombstoned rows (`_deleted_at` set) too; without it they are left out.
    pub deleted: bool,
    /// The change feed: only rows whose change sequence is above this,
    /// in change order (`seq`) instead of key order.
    pub changed_after: Option<i64>,
    /// At most this many rows.
    pub limit: u32,
}

impl RecordQuery {
    /// Every row, tombstones included, `limit` at a time after `after` (an export page).
    pub fn export(after: Option<&[Value]>, limit: u32) -> Self {
        RecordQuery {
            after: after.map(<[Value]>::to_vec),
            deleted: true,
            limit,
            ..RecordQuery::default()
        }
    }
}

/// One row of a stream table with all its metadata, as exported and imported.
///
/// `raw` is the record's JSON text; a store may keep its content rather
/// than its spelling (PostgreSQL's JSONB reorders keys), so compare it as
/// JSON, not as text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedRecord {
    /// Primary key values, one per [`TableSpec::primary_key`] column.
    pub key: Vec<Value>,
    /// The record as JSON text.
    pub raw: String,
    /// Mapped values, one per [`TableSpec::columns`] entry (booleans as 0/1,
    /// as [`RecordStore::record`](crate::RecordStore::record) reads them).
    pub values: Vec<Value>,
    /// First seen.
    pub first_seen: DateTime<Utc>,
    /// Content last changed.
    pub updated_at: DateTime<Utc>,
    /// The run that last changed it ([`RunId::WEBHOOK`]: a webhook event).
    pub updated_run: RunId,
    /// Last seen.
    pub last_seen: DateTime<Utc>,
    /// The run that last saw it ([`RunId::WEBHOOK`]: a webhook event).
    pub last_run: RunId,
    /// What the last sighting did.
    pub last_change: LastChange,
    /// The version of the last webhook event applied.
    pub version: Option<String>,
    /// When it was tombstoned (a webhook delete event, `deleted_when:` or a reconciliation).
    pub deleted_at: Option<DateTime<Utc>>,
    /// Its place in the table's change sequence: every write that changes
    /// a row's content or liveness gives it the next number, in commit
    /// order (`None` where a store has not numbered it).
    pub seq: Option<i64>,
}

/// A quarantine row as exported and imported: open or resolved, with its id
/// (which `holdfast quarantine retry` names) and run.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedQuarantine {
    /// Row id.
    pub id: i64,
    /// The stream it came from.
    pub stream: String,
    /// The run that last saw it (imported runs keep their ids).
    pub run: RunId,
    /// Why it was quarantined.
    pub reason: String,
    /// The payload as received.
    pub raw: String,
    /// Every problem found.
    pub violations: Vec<Violation>,
    /// When it was last quarantined.
    pub at: DateTime<Utc>,
    /// How many times syncs have seen it invalid.
    pub seen: u64,
    /// When a retry moved it into its table, if one did.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The run that resolved it.
    pub resolved_run: Option<RunId>,
}

impl ExportedQuarantine {
    /// A listed quarantine `row` with how it was resolved, if it was.
    pub fn new(
        row: QuarantineRow,
        resolved_at: Option<DateTime<Utc>>,
        resolved_run: Option<RunId>,
    ) -> ExportedQuarantine {
        ExportedQuarantine {
            id: row.id,
            stream: row.stream,
            run: row.run,
            reason: row.reason,
            raw: row.raw,
            violations: row.violations,
            at: row.at,
            seen: row.seen,
            resolved_at,
            resolved_run,
        }
    }
}
