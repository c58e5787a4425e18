//! The values that cross the [`Store`](crate::Store) interface.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A stream table: its name, primary key columns and mapped columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// Table name (checked to be an identifier by the spec).
    pub name: String,
    /// Primary key columns, in order (one or more).
    pub primary_key: Vec<String>,
    /// Columns computed by the stream's `map:`, in order ([`RecordRow::values`] follow it).
    pub columns: Vec<Column>,
}

impl TableSpec {
    /// A table with only its key (and `_raw`).
    pub fn new(name: impl Into<String>, primary_key: Vec<String>) -> Self {
        TableSpec {
            name: name.into(),
            primary_key,
            columns: Vec::new(),
        }
    }
}

/// A mapped column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
}

/// What a mapped column holds (the store picks the SQL type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Any JSON value (objects and arrays as JSON text).
    Any,
    /// Text (also exact decimals, RFC 3339 timestamps and dates).
    Text,
    /// A whole number.
    Integer,
    /// true/false.
    Boolean,
}

impl ColumnKind {
    /// The lowercase name stored in a table registry (`any`, `text`, `integer`, `boolean`).
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::Any => "any",
            ColumnKind::Text => "text",
            ColumnKind::Integer => "integer",
            ColumnKind::Boolean => "boolean",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<ColumnKind> {
        Some(match s {
            "any" => ColumnKind::Any,
            "text" => ColumnKind::Text,
            "integer" => ColumnKind::Integer,
            "boolean" => ColumnKind::Boolean,
            _ => return None,
        })
    }
}

/// One problem with a record: where (a JSON pointer) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// RFC 6901 pointer into the raw record, or `/column` for a mapped column.
    pub pointer: String,
    /// What is wrong, found vs expected.
    pub message: String,
}

/// One record to upsert.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    /// Primary key values, one per [`TableSpec::primary_key`] column; each a string or number.
    pub key: Vec<Value>,
    /// The record as compact JSON text.
    pub raw: String,
    /// Mapped values, one per [`TableSpec::columns`] entry.
    pub values: Vec<Value>,
}

impl RecordRow {
    /// A row with no mapped values.
    pub fn new(key: Vec<Value>, raw: String) -> Self {
        RecordRow {
            key,
            raw,
            values: Vec::new(),
        }
    }
}

/// A record kept out of the stream table, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantinedRecord {
    /// Why it was not written, in one line (e.g. "missing primary key field `id`").
    pub reason: String,
    /// The record as received, compact JSON text.
    pub raw: String,
    /// Every problem found, with where.
    pub violations: Vec<Violation>,
}

/// Identifies a run in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RunId(pub i64);

impl RunId {
    /// The run a webhook event's write is recorded under (`_updated_run` /
    /// `_last_run` of rows it wrote): no sync run has this id.
    pub const WEBHOOK: RunId = RunId(0);

    /// Whether this is [`RunId::WEBHOOK`]: a webhook event wrote the row.
    pub fn is_webhook(self) -> bool {
        self == RunId::WEBHOOK
    }
}

/// What the last sighting of a record did to its row (a stream table's
/// `_last_change`, stored as its [`code`](LastChange::code)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LastChange {
    /// Seen again with the same content (code 0).
    Unchanged,
    /// New to the table (code 1).
    Created,
    /// Its content changed (code 2).
    Updated,
    /// A webhook delete event, a sync's `deleted_when:` or a reconciliation
    /// tombstoned it (code 3).
    Deleted,
    /// A sync saw it again after a sync or a reconciliation had tombstoned
    /// it: the tombstone is lifted (code 4).
    Restored,
}

impl LastChange {
    /// The integer stored in `_last_change`.
    pub fn code(self) -> i64 {
        match self {
            LastChange::Unchanged => 0,
            LastChange::Created => 1,
            LastChange::Updated => 2,
            LastChange::Deleted => 3,
            LastChange::Restored => 4,
        }
    }

    /// The change a stored `_last_change` code names, if it names one.
    pub fn from_code(code: i64) -> Option<LastChange> {
        Some(match code {
            0 => LastChange::Unchanged,
            1 => LastChange::Created,
            2 => LastChange::Updated,
            3 => LastChange::Deleted,
            4 => LastChange::Restored,
            _ => return None,
        })
    }

    /// The lowercase word shown (`created`, `updated`, `unchanged`, `deleted`).
    pub fn as_str(self) -> &'static str {
        match self {
            LastChange::Unchanged => "unchanged",
            LastChange::Created => "created",
            LastChange::Updated => "updated",
            LastChange::Deleted => "deleted",
            LastChange::Restored => "restored",
        }
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a stream has committed so far: the resume point of a sync.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamState {
    /// The incremental cursor of the last completed run (the highest
    /// `cursor_field` value it saw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Value>,
    /// The run in progress, if the last run did not finish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
}

/// Where an unfinished run stands: enough to resume it exactly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The cursor value this run sends (fixed for the whole run, so a resumed
    /// run asks for the same data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_cursor: Option<Value>,
    /// The highest cursor value seen so far in this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_seen: Option<Value>,
    /// Child streams: the primary key of the parent whose chain is in progress
    /// (or, with `position` empty, the last parent finished).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Vec<Value>>,
    /// Child streams: the parent record of `partition`, so a resumed chain
    /// renders its templates with the same values it started with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Value>,
    /// The source's position of the next page to read in the current chain;
    /// `None` when the chain of `partition` is finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Value>,
    /// Pages committed so far in this run.
    #[serde(default)]
    pub pages: u64,
}

/// One page to apply atomically.
#[derive(Debug, Clone)]
pub struct PageCommit<'a> {
    /// The run the page belongs to.
    pub run: RunId,
    /// The stream name.
    pub stream: &'a str,
    /// The table the records go into.
    pub table: &'a TableSpec,
    /// Records to upsert by primary key.
    pub records: &'a [RecordRow],
    /// Records the API marks deleted (the stream's `deleted_when:`): kept
    /// as tombstones (`_deleted_at` set, content updated), never removed.
    pub tombstones: &'a [RecordRow],
    /// Keys a tombstone endpoint (`deletes:`) reports deleted: the row with
    /// the key is marked deleted and keeps its content (a key never seen
    /// gets a bare tombstone holding the endpoint's record).
    pub deletions: &'a [RecordRow],
    /// Records to quarantine.
    pub quarantined: &'a [QuarantinedRecord],
    /// The stream's state after this page.
    pub state: &'a StreamState,
    /// Request log rows gathered since the last commit (any stream's).
    pub requests: &'a [RequestRow],
    /// Quarantine rows that these records resolve (a quarantine retry).
    pub resolved: &'a [i64],
    /// The stream's known response shape after this page (JSON), if it changed.
    pub shape: Option<&'a str>,
    /// Drift seen on this page.
    pub drift: &'a [DriftRow],
    /// Commit time.
    pub now: DateTime<Utc>,
}

impl TryFrom<i64> for LastChange {
    type Error = crate::StoreError;

    /// Reads a stored `_last_change`.
    ///
    /// # Errors
    /// [`StoreErrorKind::Schema`](crate::StoreErrorKind::Schema) for a code
    /// no holdfast writes.
    fn try_from(code: i64) -> Result<LastChange, crate::StoreError> {
        LastChange::from_code(code).ok_or_else(|| {
            crate::StoreError::new(
                crate::StoreErrorKind::Schema,
                "reading a stream table",
                format!("`_last_change` is {code}, which names no change (0 to 4)"),
            )
        })
    }
}

/// What a committed page did to the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageOutcome {
    /// Records new to the table.
    pub created: u64,
    /// Records whose content changed.
    pub updated: u64,
    /// Records seen again with the same content (a tombstone seen deleted again counts here).
    pub unchanged: u64,
    /// Records newly tombstoned (`deleted_when:` matched a live row).
    pub deleted: u64,
    /// Tombstones lifted: a record a sync or a reconciliation had marked
    /// deleted was seen alive again.
    pub restored: u64,
}

impl PageOutcome {
    /// Records written: created, updated, unchanged, tombstoned or restored.
    pub fn written(&self) -> u64 {
        self.created + self.updated + self.unchanged + self.deleted + self.restored
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Still going (or its process died; see `Interrupted`).
    Running,
    /// Every page was read and committed.
    Succeeded,
    /// Stopped on an error; state is at the last committed page.
    Failed,
    /// Its process ended without finishing it; the next run resumes it.
    Interrupted,
}

impl RunOutcome {
    /// The lowercase name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Running => "running",
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Failed => "failed",
            RunOutcome::Interrupted => "interrupted",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<RunOutcome> {
        Some(match s {
            "running" => RunOutcome::Running,
            "succeeded" => RunOutcome::Succeeded,
            "failed" => RunOutcome::Failed,
            "interrupted" => RunOutcome::Interrupted,
            _ => return None,
        })
    }

    /// Reads an outcome as a store holds it.
    ///
    /// # Errors
    /// [`StoreErrorKind::Schema`](crate::StoreErrorKind::Schema) for a name
    /// no holdfast writes.
    pub fn from_stored(s: &str) -> Result<RunOutcome, crate::StoreError> {
        RunOutcome::parse(s).ok_or_else(|| {
            crate::StoreError::new(
                crate::StoreErrorKind::Schema,
                "reading runs",
                format!("unknown run outcome `{s}`"),
            )
        })
    }
}

/// A run as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// Its id.
    pub id: RunId,
    /// The stream.
    pub stream: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended, if it did.
    pub finished_at: Option<DateTime<Utc>>,
    /// Pages committed.
    pub pages: u64,
    /// Counters over all its pages.
    pub outcome_counts: PageOutcome,
    /// Records quarantined.
    pub quarantined: u64,
    /// How it ended.
    pub outcome: RunOutcome,
    /// The error that ended it, if any.
    pub error: Option<String>,
    /// The process running it (`PID@HOST#START`, see
    /// [`RunHolder`](crate::RunHolder)); `None` for runs recorded before leases.
    pub holder: Option<String>,
    /// Until when its lease holds (renewed while it runs).
    pub lease_until: Option<DateTime<Utc>>,
    /// When its last page committed.
    pub last_page_at: Option<DateTime<Utc>>,
}

impl RunRow {
    /// Records the run read (written, tombstoned or quarantined), as a
    /// finished run's summary counts them.
    pub fn records(&self) -> u64 {
        self.outcome_counts.written() + self.quarantined
    }
}

/// A parent stream's record, as child streams see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParentRecord {
    /// Its primary key values.
    pub key: Vec<Value>,
    /// The record.
    pub record: Value,
}

/// A change in a stream's response shape, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftRow {
    /// The stream.
    pub stream: String,
    /// The run that saw it (set by the store from the page's run when committed with one).
    pub run: Option<RunId>,
    /// When.
    pub at: DateTime<Utc>,
    /// `field_added`, `field_removed`, `type_changed`, `became_nullable`, `page_size_capped`.
    pub kind: String,
    /// The field path (`amount`, `tags[]`).
    pub path: String,
    /// What it was.
    pub before: String,
    /// What it is now.
    pub after: String,
    /// An example payload (JSON text), if any.
    pub example: Option<String>,
}

/// A stored record, for `explain`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// The raw record last received.
    pub raw: String,
    /// The mapped columns, in table order (name, value).
    pub columns: Vec<(String, Value)>,
    /// First seen.
    pub first_seen: DateTime<Utc>,
    /// Content last changed, and by which run.
    pub updated_at: DateTime<Utc>,
    /// The run that last changed it.
    pub updated_run: RunId,
    /// Last seen, and by which run.
    pub last_seen: DateTime<Utc>,
    /// The run that last saw it.
    pub last_run: RunId,
    /// What the last sighting did. [`RunId::WEBHOOK`] in `updated_run` /
    /// `last_run` means a webhook event wrote it.
    pub last_change: LastChange,
    /// The version of the last webhook event applied (`None` if only syncs wrote it).
    pub version: Option<String>,
    /// When a webhook delete event tombstoned it, if one did.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A quarantined record as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantineRow {
    /// Row id.
    pub id: i64,
    /// The stream it came from.
    pub stream: String,
    /// The run that saw it.
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
}

/// One HTTP attempt, as the request log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRow {
    /// The run that sent it, if any.
    pub run: Option<RunId>,
    /// The stream that sent it, if any.
    pub stream: Option<String>,
    /// The connection.
    pub connection: String,
    /// The endpoint as written in the connector file (groups latency and success rates).
    pub endpoint: Option<String>,
    /// When the attempt started.
    pub at: DateTime<Utc>,
    /// "GET", "POST".
    pub method: String,
    /// The URL with secrets removed.
    pub url: String,
    /// The status, if the server answered.
    pub status: Option<u16>,
    /// How long the attempt took.
    pub duration: Duration,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Body bytes received.
    pub bytes: u64,
    /// The error class when it failed (`status_5xx`, `timeout`, `not_json`, …).
    pub error: Option<String>,
    /// What the error said (redacted, with a body excerpt).
    pub message: Option<String>,
    /// Time waited before this attempt.
    pub waited: Duration,
    /// The `Deprecation` header, if the server sent one.
    pub deprecation: Option<String>,
    /// The `Sunset` header, if the server sent one.
    pub sunset: Option<String>,
}

/// Health of one endpoint over a window of the request log.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointStats {
    /// The connection.
    pub connection: String,
    /// The endpoint (or the URL path when none was recorded).
    pub endpoint: String,
    /// Attempts in the window.
    pub attempts: u64,
    /// Attempts that failed.
    pub failed: u64,
    /// Latency percentiles of the attempts.
    pub p50: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// The latest `Deprecation` header seen, if any.
    pub deprecation: Option<String>,
    /// The latest `Sunset` header seen, if any.
    pub sunset: Option<String>,
}

/// Failed attempts of one error class, as the request log holds them over a
/// window: per connection and stream (`None`: requests of no stream, such as
/// actions).
#[derive(Debug, Clone, PartialEq)]
pub struct FailureMode {
    /// The connection.
    pub connection: String,
    /// The stream that sent them, if any.
    pub stream: Option<String>,
    /// The error class (`status_429`, `status_5xx`, `timeout`, `not_json`, …).
    pub error: String,
    /// Failed attempts of this class in the window.
    pub count: u64,
    /// The first of them.
    pub first_at: DateTime<Utc>,
    /// The last of them.
    pub last_at: DateTime<Utc>,
    /// The status of the last one, when the server answered.
    pub last_status: Option<u16>,
    /// What the last one said (redacted, with a body excerpt).
    pub last_message: Option<String>,
}

impl EndpointStats {
    /// Share of attempts that succeeded, 0..=1.
    pub fn success_rate(&self) -> f64 {
        if self.attempts == 0 {
            1.0
        } else {
            (self.attempts - self.failed) as f64 / self.attempts as f64
        }
    }
}
