//! Asynchronous bulk exports: create a job, poll it, download its files.

use std::time::Duration;

use super::{Method, Path, Template};

/// Records per committed page while a bulk file is read, by default.
pub const DEFAULT_CHECKPOINT_EVERY: u64 = 1_000;

/// The most bytes one downloaded bulk file may have, by default: 4 GB.
pub const DEFAULT_MAX_DOWNLOAD: u64 = 4_000_000_000;

/// `bulk:` a stream read through an asynchronous export job.
#[derive(Debug, Clone)]
pub struct Bulk {
    /// The request that starts the export (templates over `cursor`, `env`, `secret`).
    pub create: BulkRequest,
    /// Where the job's id is in the create answer.
    pub job_id: Path,
    /// How the job's progress is asked for.
    pub poll: BulkPoll,
    /// Where the file URLs are in the last poll answer (one or more).
    pub download: Path,
    /// Where the number of exported records is in the last poll answer, if the API says.
    pub rows: Option<Path>,
    /// Records per committed page.
    pub checkpoint_every: u64,
    /// The most bytes one file may have.
    pub max_download: u64,
}

/// One request of a bulk job.
#[derive(Debug, Clone)]
pub struct BulkRequest {
    /// GET or POST.
    pub method: Method,
    /// Path joined to the connection's base URL (or a full URL).
    pub path: Template,
    /// Query parameters; one that renders empty is not sent.
    pub params: Vec<(String, Template)>,
    /// Extra headers.
    pub headers: Vec<(String, Template)>,
    /// The JSON body: a JSON value whose strings are templates (a string
    /// that is one `{{ … }}` renders to the value's own type).
    pub json: Option<serde_json::Value>,
}

/// `poll:` how a job's progress is asked for.
#[derive(Debug, Clone)]
pub struct BulkPoll {
    /// The status request (templates over `job`, `env`, `secret`).
    pub request: BulkRequest,
    /// Time between two polls.
    pub every: Duration,
    /// A condition over `body` and `headers`: the files are ready.
    pub until: Template,
    /// A condition over `body` and `headers`: the job failed.
    pub failed_when: Option<Template>,
    /// How long the job may take.
    pub timeout: Duration,
}
