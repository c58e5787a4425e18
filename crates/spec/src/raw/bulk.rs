//! `bulk:` an asynchronous export job: create it, poll it until it is done,
//! download the files it names, read their records.

use std::fmt;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::{Entries, Scalar};

/// An asynchronous bulk export, e.g.
///
/// ```yaml
/// bulk:
///   create: { method: POST, path: /v2/exports, json: { object: contacts, format: csv } }
///   job_id: "$.id"
///   poll:
///     request: { path: "/v2/exports/{{ job.id }}" }
///     every: 2s
///     until: "body.state == 'done'"
///     failed_when: "body.state == 'failed'"
///     timeout: 30m
///   download: "$.files[*].url"
///   rows: "$.row_count"
/// ```
///
/// A stream with `bulk:` takes no `request:`, `paginate:` or `records:`;
/// its files are read by the stream's `format:` (default `jsonl`). The job's
/// id is saved with the stream's position as soon as the job exists, so a
/// crash resumes polling (or downloading) the same job and never starts a
/// second export. Records are committed every `checkpoint_every`; after a
/// crash the file is downloaded again and the records already committed are
/// skipped.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a bulk export (a mapping with `create:`, `job_id:`, `poll:` and `download:`)"
)]
pub(crate) struct RawBulk {
    /// Required. The request that starts the export; its method defaults to
    /// `POST`. Its templates read `cursor` (the incremental cursor, empty on
    /// a first run), `env` and `secret`. It is sent once per export: it is
    /// retried only when it surely did not reach the server (the connection
    /// could not be made, or a `429` refused it).
    pub(crate) create: Option<RawBulkRequest>,
    /// Required. An RFC 9535 JSONPath to the job's id in the create
    /// answer, e.g. `"$.id"`; templates read it as `{{ job.id }}`.
    pub(crate) job_id: Option<String>,
    /// Required. How to ask whether the job is done.
    pub(crate) poll: Option<RawBulkPoll>,
    /// Required. Where the files are: an RFC 9535 JSONPath to the file URLs
    /// in the last poll answer, one URL or several, e.g. `"$.files[*].url"`
    /// (a relative URL is joined to the connection's `base_url`; a URL on
    /// another host is fetched without credentials, and only if the host is
    /// under the connection's `allowed_hosts:`, for pre-signed storage
    /// links); or a request for the results, e.g. `{ request: { path:
    /// "/jobs/{{ job.id }}/results" }, next: { header: Sforce-Locator,
    /// param: locator, last: "null" } }`.
    pub(crate) download: Option<RawDownload>,
    /// An RFC 9535 JSONPath to the number of records the job says it
    /// exported, in the last poll answer, e.g. `"$.row_count"`: reading
    /// fewer (or more) is an error, not a quiet success.
    pub(crate) rows: Option<String>,
    /// Records per committed page while reading the files, at least 1.
    /// Default 1000: the records of about three pages are in memory at
    /// once (one read, one being committed), so large nested records with
    /// a large value here cost memory; each commit costs one transaction.
    pub(crate) checkpoint_every: Option<Scalar>,
    /// The most bytes one downloaded file may have, e.g. `10GB`. Default
    /// `4GB`. Files go to disk, not to memory, whatever their size.
    pub(crate) max_download: Option<Scalar>,
}

/// A request of a bulk job, e.g. `{ path: "/v2/exports/{{ job.id }}" }`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a request (a mapping with `path:`, e.g. `{ path: /v2/exports }`)"
)]
pub(crate) struct RawBulkRequest {
    /// `GET` or `POST`. Default `POST` for `create`, `GET` for `poll.request`.
    pub(crate) method: Option<String>,
    /// Required. Joined to the connection's `base_url`, e.g. `/v2/exports`.
    pub(crate) path: Option<String>,
    /// Query parameters; one that renders empty is not sent.
    #[serde(default)]
    pub(crate) params: Entries<Scalar>,
    /// Extra headers.
    #[serde(default)]
    pub(crate) headers: Entries<Scalar>,
    /// The JSON body: a mapping whose string values are templates; a value
    /// that is one `{{ … }}` keeps its type.
    pub(crate) json: Option<yaml_serde::Value>,
}

/// `download:` a JSONPath to the file URLs, or a request for the results.
#[derive(Debug)]
pub(crate) enum RawDownload {
    /// `download: "$.files[*].url"`.
    Path(String),
    /// `download: { request: …, next: … }`.
    Request(Box<RawDownloadRequest>),
}

/// `download: { request, next }`: the results asked for by request, e.g.
///
/// ```yaml
/// download:
///   request: { path: "/services/data/v62.0/jobs/query/{{ job.id }}/results" }
///   next: { header: Sforce-Locator, param: locator, last: "null" }
/// ```
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a results request (a mapping with `request:` and optionally `next:`)"
)]
pub(crate) struct RawDownloadRequest {
    /// Required. The request of the first file; its method defaults to
    /// `GET` and its templates read `job.id`, `env` and `secret`. Sent with
    /// the connection's credentials (it is on the connection's origin).
    pub(crate) request: Option<RawBulkRequest>,
    /// When the results come in several files: the response header that
    /// names the next one. Without `next:` the first answer is the only file.
    pub(crate) next: Option<RawDownloadNext>,
}

/// `next:` a response header that names the next file, e.g. `{ header:
/// Sforce-Locator, param: locator, last: "null" }`: each file's answer
/// carries a token in `header`; the next file is the same request with the
/// token in query parameter `param`, until the header says `last`. A token
/// seen before is an error (the chain would loop).
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a next-file rule (a mapping with `header:` and `param:`)"
)]
pub(crate) struct RawDownloadNext {
    /// Required. The response header with the next file's token.
    pub(crate) header: Option<String>,
    /// Required. The query parameter the token is sent in.
    pub(crate) param: Option<String>,
    /// The header's value on the last file, e.g. `"null"` (Salesforce).
    /// With it, an answer without the header is an error (a proxy that
    /// drops headers would otherwise end the export early); without it, a
    /// missing or empty header marks the last file.
    pub(crate) last: Option<String>,
}

impl<'de> Deserialize<'de> for RawDownload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DownloadVisitor)
    }
}

struct DownloadVisitor;

impl<'de> Visitor<'de> for DownloadVisitor {
    type Value = RawDownload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a JSONPath to the file URLs (`\"$.files[*].url\"`) or a results request \
             (`{ request: { path: … } }`)",
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDownload, E> {
        Ok(RawDownload::Path(v.to_owned()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawDownload, A::Error> {
        RawDownloadRequest::deserialize(MapAccessDeserializer::new(map))
            .map(|r| RawDownload::Request(Box::new(r)))
    }
}

/// `poll:` how a job's progress is asked for.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a poll (a mapping with `request:` and `until:`)"
)]
pub(crate) struct RawBulkPoll {
    /// Required. The status request; its templates read `job.id` besides
    /// `env` and `secret`, e.g. `{ path: "/v2/exports/{{ job.id }}" }`.
    pub(crate) request: Option<RawBulkRequest>,
    /// Time between two polls, more than `0s`. Default `5s`.
    pub(crate) every: Option<Scalar>,
    /// Required. A condition over the poll answer's `body` and `headers`
    /// that says the files are ready, e.g. `"body.state == 'done'"`.
    pub(crate) until: Option<String>,
    /// A condition over `body` and `headers` that says the job failed, e.g.
    /// `"body.state == 'failed'"`: the sync then fails, quoting the answer,
    /// and writes nothing.
    pub(crate) failed_when: Option<String>,
    /// How long the job may take before the sync fails (it is not
    /// cancelled), more than `0s`. Default `1h`.
    pub(crate) timeout: Option<Scalar>,
}
