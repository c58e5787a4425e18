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
    /// How the job's files are fetched.
    pub download: Download,
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

/// `download:` how a done job's files are fetched.
#[derive(Debug, Clone)]
pub enum Download {
    /// `download: "$.files[*].url"`: the file URLs are in the last poll
    /// answer (one or more).
    Urls(Path),
    /// `download: { request: …, next: … }`: the first file is asked for with
    /// a request, and each file's answer may name the next one.
    Request(Box<DownloadRequest>),
}

/// `download: { request, next }`: files fetched by request, e.g. Salesforce
/// Bulk 2.0's `…/jobs/query/{id}/results` and its `Sforce-Locator` chain.
#[derive(Debug, Clone)]
pub struct DownloadRequest {
    /// The request of the first file (templates over `job`, `env`, `secret`).
    pub request: BulkRequest,
    /// How a file's answer names the next file; `None`: there is one file.
    pub next: Option<DownloadNext>,
}

/// `next:` a response header that names the next file of a download.
#[derive(Debug, Clone)]
pub struct DownloadNext {
    /// The response header holding the next file's token, e.g. `Sforce-Locator`.
    pub header: String,
    /// The query parameter the token is sent in, e.g. `locator`.
    pub param: String,
    /// The header's value on the last file, e.g. `null`. When set, an answer
    /// without the header is an error; when not, a missing or empty header
    /// marks the last file.
    pub last: Option<String>,
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
