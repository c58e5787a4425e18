//! The mock's export jobs (see `bulk.rs` for their endpoints): what a
//! create asks for, and every job made so far.

use std::sync::Mutex;

use serde::Deserialize;

/// What `POST /v2/exports` takes (every key but `object` optional).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportRequest {
    /// What to export; only `contacts` exists.
    pub(crate) object: String,
    /// `csv` (default) or `jsonl`.
    #[serde(default)]
    pub(crate) format: Option<String>,
    /// Gzip the files.
    #[serde(default)]
    pub(crate) gzip: bool,
    /// Contacts `1..=rows` (default: the mock's `records`).
    #[serde(default)]
    pub(crate) rows: Option<u64>,
    /// Only contacts updated at or after this RFC 3339 time (an empty string: all).
    #[serde(default)]
    pub(crate) since: Option<String>,
    /// Split the rows over this many files (default 1).
    #[serde(default)]
    pub(crate) files: Option<u64>,
    /// Polls answered `pending` before `done` (default 2).
    #[serde(default)]
    pub(crate) pending_polls: Option<u64>,
    /// The job fails instead of finishing.
    #[serde(default)]
    pub(crate) fail: bool,
    /// The first link handed out for each file answers 403 (expired).
    #[serde(default)]
    pub(crate) expire_first: bool,
    /// The host the file links name (default: the one the request came to).
    #[serde(default)]
    pub(crate) file_host: Option<String>,
    /// Claim this many rows more than the files hold.
    #[serde(default)]
    pub(crate) lie_rows: u64,
    /// Cut each file off half-way, mid-row.
    #[serde(default)]
    pub(crate) truncate: bool,
    /// Pause this long between chunks of 1000 rows while streaming a file.
    #[serde(default)]
    pub(crate) delay_ms: u64,
}

/// One export job.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) request: ExportRequest,
    /// The first id exported.
    pub(crate) from: u64,
    /// How many rows.
    pub(crate) rows: u64,
    pub(crate) polls: u64,
    /// Per file: how many links were handed out (the signature).
    pub(crate) issued: Vec<u64>,
    pub(crate) downloads: u64,
}

/// Every export job of one mock.
#[derive(Debug, Default)]
pub(crate) struct Exports {
    pub(crate) jobs: Mutex<Vec<Job>>,
}

impl Exports {
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Vec<Job>) -> T) -> T {
        f(&mut self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}
