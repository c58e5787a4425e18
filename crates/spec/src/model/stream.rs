//! Streams: request chains whose records land in one table.

use std::path::PathBuf;
use std::time::Duration;

use super::{Body, Bulk, FieldMap, Format, Method, Paginate, Path, Template};

/// One stream: a request chain whose records land in one table.
#[derive(Debug, Clone)]
pub struct Stream {
    /// The name under `streams:`.
    pub name: String,
    /// The connection it reads through.
    pub connection: String,
    /// The first request of each chain.
    pub request: Request,
    /// How to get from one page to the next.
    pub paginate: Paginate,
    /// How bodies are read: JSON (the default), JSON Lines, CSV or XML.
    pub format: Format,
    /// Where the records are in a response body (after `format` decoded it).
    pub records: Path,
    /// Fields that identify a record; one or more top-level keys.
    pub primary_key: Vec<String>,
    /// Incremental sync settings; `None` means full refresh every run.
    pub incremental: Option<Incremental>,
    /// Child stream: one request chain per record of a parent stream.
    pub for_each: Option<ForEach>,
    /// The table records are upserted into.
    pub into: String,
    /// The JSON Schema every record must satisfy, if any.
    pub schema: Option<Schema>,
    /// What happens to a record that fails its schema or its mapping.
    pub on_invalid: OnInvalid,
    /// Whether new fields in responses are an error (`freeze`) or accepted (`evolve`).
    pub contract: Contract,
    /// The transformation layer: stored columns computed from each raw
    /// record, in file order. Empty: only the primary key and `_raw` are stored.
    pub map: Vec<FieldMap>,
    /// When `holdfast serve` syncs it; `None`: only on demand.
    pub schedule: Option<Schedule>,
    /// Read through an asynchronous export job instead of `request` and
    /// `paginate` (which then hold the create request and `none`).
    pub bulk: Option<Bulk>,
    /// How long after the last successful run the records API calls the
    /// copy stale; `None`: never.
    pub stale_after: Option<std::time::Duration>,
    /// How the API marks a deleted record (a condition over `record`):
    /// such records are kept as tombstones.
    pub deleted_when: Option<Template>,
    /// A tombstone endpoint of this other stream: every record read marks
    /// the row with its key in that stream's table (`into`, the same as
    /// the other stream's) deleted.
    pub deletes: Option<String>,
    /// The safety net: a full scan diffed against the table.
    pub reconcile: Option<Reconcile>,
}

/// `reconcile:` of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconcile {
    /// When `holdfast serve` reconciles; `None`: only `holdfast reconcile`.
    pub schedule: Option<Schedule>,
    /// What happens to rows upstream no longer has.
    pub missing: Missing,
    /// The most rows one reconciliation may delete.
    pub max_delete: MaxDelete,
    /// Rows seen this long before the scan started are spared too.
    pub grace: Duration,
    /// A keys-only scan; `None`: full records.
    pub keys_only: Option<KeyScan>,
}

/// A keys-only reconciliation scan: the stream's request (or `path`) with
/// `params` set, only the keys of what comes back compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyScan {
    /// Another path to read instead of the stream's (`scan:`).
    pub path: Option<String>,
    /// Query parameters set on the request (`keys_only:`).
    pub params: Vec<(String, String)>,
}

/// What happens to rows a complete scan did not see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Tombstoned (`_deleted_at` set; the row stays).
    SoftDelete,
    /// Removed.
    HardDelete,
    /// Counted only.
    Report,
}

/// The most rows one reconciliation may delete: both limits hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxDelete {
    /// A share of the live rows, 0..=1 (1 when only a count was given).
    pub share: f64,
    /// A count (`u64::MAX` when only a share was given).
    pub count: u64,
}

impl Default for MaxDelete {
    /// 10% of the live rows.
    fn default() -> Self {
        MaxDelete {
            share: 0.1,
            count: u64::MAX,
        }
    }
}

impl std::fmt::Display for MaxDelete {
    /// `5%`, `500`, `5% or 500`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let share = format!("{}%", (self.share * 1000.0).round() / 10.0);
        match (self.share < 1.0, self.count < u64::MAX) {
            (true, true) => write!(f, "{share} or {}", self.count),
            (false, true) => write!(f, "{}", self.count),
            _ => f.write_str(&share),
        }
    }
}

/// `schedule:` when `holdfast serve` syncs a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The slots: an interval or a cron expression.
    pub trigger: Trigger,
    /// Each run starts up to this long after its slot; less than the interval.
    pub jitter: Duration,
    /// `windows:` and `blackout:`: when runs may start and go on.
    pub calendar: super::Calendar,
}

/// The slots of a [`Schedule`].
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Every multiple of this interval since the Unix epoch (at least 1s).
    Every(Duration),
    /// The times of a cron expression, in a time zone.
    Cron {
        /// The expression as written (checked to parse with `croner`).
        expression: String,
        /// The IANA time zone it is read in.
        timezone: chrono_tz::Tz,
    },
}

impl std::fmt::Display for Schedule {
    /// `every 15m (jitter 2m)`, `cron "0 6 * * *" Europe/Berlin`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.trigger {
            Trigger::Every(every) => write!(f, "every {}", humantime::format_duration(*every))?,
            Trigger::Cron {
                expression,
                timezone,
            } => write!(f, "cron \"{expression}\" {}", timezone.name())?,
        }
        if !self.jitter.is_zero() {
            write!(f, " (jitter {})", humantime::format_duration(self.jitter))?;
        }
        let calendar = &self.calendar;
        if !calendar.windows.is_empty() {
            let runs = match calendar.applies_to {
                super::WindowsApplyTo::Heavy => "heavy runs",
                super::WindowsApplyTo::All => "runs",
            };
            let windows: Vec<String> = calendar.windows.iter().map(ToString::to_string).collect();
            write!(f, "; {runs} in {}", windows.join(", "))?;
        }
        if !calendar.blackouts.is_empty() {
            let dark: Vec<String> = calendar.blackouts.iter().map(ToString::to_string).collect();
            write!(f, "; blackout {}", dark.join(", "))?;
        }
        Ok(())
    }
}

/// A stream's JSON Schema (draft 2020-12), already read.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Where it came from: the file path as written (resolved against the
    /// connector file's folder in `path`), or `inline`.
    pub origin: String,
    /// The file it was read from, when it came from a file.
    pub path: Option<PathBuf>,
    /// The schema document.
    pub document: serde_json::Value,
}

/// `on_invalid:` what to do with a record that fails validation or mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnInvalid {
    /// Keep it in quarantine with every violation, and go on (the default).
    #[default]
    Quarantine,
    /// Stop the stream before writing the page.
    Fail,
}

/// `contract:` how new fields in responses are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Contract {
    /// New fields are recorded as drift and accepted (the default).
    #[default]
    Evolve,
    /// A new field is drift and makes the record invalid (handled by `on_invalid`).
    Freeze,
}

/// The request template of a stream.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method: GET, or POST (the default with a body).
    pub method: Method,
    /// Path joined to the connection's base URL (or a full URL).
    pub path: Template,
    /// Query parameters; one that renders empty is not sent.
    pub params: Vec<(String, Template)>,
    /// Extra headers for this stream.
    pub headers: Vec<(String, Template)>,
    /// The body (`json:` or `graphql:`), sent with `Content-Type: application/json`.
    pub body: Option<Body>,
}

/// Incremental sync settings.
#[derive(Debug, Clone)]
pub struct Incremental {
    /// Top-level record field holding the cursor (e.g. `updated_at`).
    pub cursor_field: String,
    /// How far back from the saved cursor the next run starts (for late writes).
    pub lookback: Duration,
    /// How the cursor values are written.
    pub cursor_format: CursorFormat,
}

/// How an incremental cursor is written (`incremental.cursor_format`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CursorFormat {
    /// Not named: RFC 3339, `YYYY-MM-DD[T ]HH:MM:SS[.fff]`, `YYYY-MM-DD`, or
    /// epoch seconds / milliseconds (numbers or numeric strings; a whole
    /// number of 12 or more digits is milliseconds) are recognised.
    #[default]
    Auto,
    /// `rfc3339`: RFC 3339 text with any offset.
    Rfc3339,
    /// `epoch_seconds`: seconds since 1970-01-01T00:00:00Z.
    EpochSeconds,
    /// `epoch_millis`: milliseconds since 1970-01-01T00:00:00Z.
    EpochMillis,
    /// A chrono strftime pattern, e.g. `%d.%m.%Y %H:%M:%S`.
    Pattern(String),
}

/// A child stream's parent.
#[derive(Debug, Clone)]
pub struct ForEach {
    /// The parent stream's name.
    pub stream: String,
    /// The name the parent record has in templates (`{{ contact.id }}`).
    pub alias: String,
}
