//! The connector interface: what any source of records implements.

use std::time::Duration;

use async_trait::async_trait;
use holdfast_store::{RequestRow, TableSpec};
use serde_json::Value;

use crate::SourceError;

/// What the engine needs to know about one stream of a source.
#[derive(Debug, Clone)]
pub struct StreamInfo {
    /// The stream's name.
    pub name: String,
    /// Its table and primary key.
    pub table: TableSpec,
    /// Top-level field holding the incremental cursor, if the stream is incremental.
    pub cursor_field: Option<String>,
    /// How far back from the saved cursor a run starts.
    pub lookback: Duration,
    /// How the cursor is written (compared and moved back in that form).
    pub cursor_format: holdfast_spec::CursorFormat,
    /// For child streams: the parent, whose records each start one request chain.
    pub parent: Option<ParentInfo>,
    /// What records must satisfy, and the columns they map to
    /// (`Default::default()`: only a primary key).
    pub rules: holdfast_records::SharedRules,
}

/// A child stream's parent.
#[derive(Debug, Clone)]
pub struct ParentInfo {
    /// The parent stream's name.
    pub stream: String,
    /// The parent's table (child chains walk it in primary key order).
    pub table: TableSpec,
}

/// What one request chain reads.
#[derive(Debug, Clone, Default)]
pub struct ReadScope {
    /// The run reading it (for the request log).
    pub run: Option<i64>,
    /// The incremental cursor to send (lookback already applied); `None` on a full refresh.
    pub cursor: Option<Value>,
    /// For child streams, the parent record of this chain.
    pub parent: Option<Value>,
    /// Query parameters set on top of the stream's own (a keys-only
    /// reconciliation scan's `keys_only:`); the same name replaces the stream's.
    pub extra_params: Vec<(String, String)>,
    /// A path read instead of the stream's (a reconciliation's `scan:`).
    pub path: Option<String>,
}

/// One page read from a source.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The records, in the order received.
    pub records: Vec<Value>,
    /// Where the next page is (saved with this page's commit), or `None` when
    /// the chain is finished.
    pub next: Option<Value>,
    /// `(asked, got)` when the page held fewer records than asked for yet
    /// announced a next page: the API caps its page size (recorded as drift).
    pub capped: Option<(u64, u64)>,
    /// An `errors:` rule with `action: skip` said this answer carries no
    /// data, so the chain ended here: counted in the run's summary, so a
    /// skip is seen, not mistaken for an empty API.
    pub skipped: bool,
}

/// A source of records: a connector.
///
/// The engine calls [`connect`](Source::connect) once, then for each stream
/// (parents before children) opens a [`PageReader`] per request chain and
/// reads pages until one has no `next`, committing each page before it asks
/// for the one after next. Positions are opaque JSON the engine saves, so a
/// sync interrupted anywhere resumes at the last committed page.
#[async_trait]
pub trait Source: Send + Sync {
    /// The streams this source offers.
    fn streams(&self) -> Vec<StreamInfo>;

    /// Checks that the remote side is reachable and the credentials work.
    ///
    /// # Errors
    /// Whatever prevents reading.
    async fn connect(&self) -> Result<(), SourceError> {
        Ok(())
    }

    /// Opens a request chain of `stream` for `scope`.
    ///
    /// # Errors
    /// An unknown stream, or a scope the stream cannot use.
    fn read(&self, stream: &str, scope: ReadScope)
    -> Result<Box<dyn PageReader + '_>, SourceError>;

    /// Turns a pushed event (a webhook payload) into records of `stream`.
    /// The default treats the payload itself as the one record.
    ///
    /// # Errors
    /// A payload the stream cannot use.
    async fn handle_event(&self, stream: &str, event: Value) -> Result<Vec<Value>, SourceError> {
        let _ = stream;
        Ok(vec![event])
    }

    /// The `reconcile:` settings of `stream`, if it has them (what `serve`
    /// runs a queued reconciliation with). Default: none.
    fn reconcile_settings(&self, stream: &str) -> Option<holdfast_spec::Reconcile> {
        let _ = stream;
        None
    }

    /// How many request chains of `stream` (one per parent, for a child
    /// stream) the engine may run at once. Default 1.
    fn parallel_chains(&self, stream: &str) -> usize {
        let _ = stream;
        1
    }

    /// Request log rows gathered since the last call; the engine writes them
    /// with the next page it commits. Default: none.
    fn take_requests(&self) -> Vec<RequestRow> {
        Vec::new()
    }

    /// Releases connections and other resources.
    async fn disconnect(&self) {}
}

/// One request chain of a stream.
#[async_trait]
pub trait PageReader: Send {
    /// Reads the page at `position` (`Value::Null` is the first page).
    ///
    /// # Errors
    /// The request failed, the response was not usable, or pagination went wrong.
    async fn read_page(&mut self, position: &Value) -> Result<Page, SourceError>;
}
