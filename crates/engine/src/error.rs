//! Errors of the engine: from sources, and from syncs.

use holdfast_http::HttpError;
use holdfast_records::{RecordsError, RulesError};
use holdfast_store::StoreError;

/// A source could not produce a page.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The request failed.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// Pagination went wrong.
    #[error("{url}: {source}")]
    Paginate {
        /// The URL of the page, redacted.
        url: String,
        /// What went wrong.
        source: RecordsError,
    },
    /// The answer does not hold the stream's records where `records:` says.
    #[error("{url}: {source}")]
    Records {
        /// The URL of the page, redacted.
        url: String,
        /// What was found instead.
        source: RecordsError,
    },
    /// A body in the stream's `format:` does not decode (a ragged CSV row,
    /// a cut-off gzip stream, a SOAP Fault).
    #[error("{url}: {format} body: {source}")]
    Decode {
        /// The URL of the page, redacted.
        url: String,
        /// The format name (`csv`, `jsonl`, `xml`).
        format: &'static str,
        /// What is wrong, and on which line.
        source: holdfast_decode::DecodeError,
    },
    /// A setting of the connector file could not be used: a template that
    /// does not render (or renders to something unusable), a schema or map
    /// that does not compile.
    #[error("`{field}`: {message}")]
    Config {
        /// The key path of the setting (e.g. `streams.deals.request.path`).
        field: String,
        /// What went wrong.
        message: String,
    },
    /// Reading a stream's first page to test its connection failed.
    #[error("stream `{stream}` (testing connection `{connection}`): {source}")]
    Probe {
        /// The stream whose first page was read.
        stream: String,
        /// The connection under test.
        connection: String,
        /// What went wrong.
        source: Box<SourceError>,
    },
    /// The source has no such stream.
    #[error("no stream `{0}` in this source")]
    UnknownStream(String),
    /// Anything else, said plainly.
    #[error("{0}")]
    Other(String),
}

impl From<RulesError> for SourceError {
    /// A schema or map that does not compile is a setting that cannot be used.
    fn from(e: RulesError) -> Self {
        SourceError::Config {
            field: e.field,
            message: e.message,
        }
    }
}

/// A stream's sync failed. Everything committed before the failure stays,
/// and the next run resumes from it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The source failed.
    #[error("stream `{stream}`: {source}")]
    Source {
        /// The stream.
        stream: String,
        /// The cause.
        source: SourceError,
    },
    /// The store failed.
    #[error("stream `{stream}`: {source}")]
    Store {
        /// The stream.
        stream: String,
        /// The cause.
        source: StoreError,
    },
    /// A record failed its checks and the stream says `on_invalid: fail`.
    #[error(
        "stream `{stream}`: a record is invalid: {summary}; nothing of its page was written \
         (on_invalid: fail). Fix the schema or map, or set `on_invalid: quarantine`; the record: {excerpt}"
    )]
    Invalid {
        /// The stream.
        stream: String,
        /// Its violations, in one line.
        summary: String,
        /// The start of the record.
        excerpt: String,
    },
    /// A child stream's parent has no records in the store.
    #[error(
        "stream `{stream}` reads one chain per record of `{parent}`, but `{parent}` has no \
         records in the store yet; sync `{parent}` first (`holdfast sync {parent} {stream}`)"
    )]
    NoParents {
        /// The child stream.
        stream: String,
        /// The parent stream.
        parent: String,
    },
    /// The run failed, and then its failure could not be recorded in the
    /// store either: it shows as `running` until the next run of the stream
    /// marks it interrupted.
    #[error(
        "{original}; besides, the run could not be marked failed in the store ({recording}), \
         so `holdfast runs` shows it as running until the next sync of the stream"
    )]
    Unrecorded {
        /// Why the run failed.
        original: Box<SyncError>,
        /// Why its failure could not be recorded.
        recording: StoreError,
    },
    /// The run was asked to stop (a shutdown); it stopped after its last
    /// committed page, and the next run resumes from there.
    #[error(
        "stream `{stream}`: stopped before the end (shutdown); the next run resumes from the last committed page"
    )]
    Interrupted {
        /// The stream.
        stream: String,
    },
}

impl SyncError {
    /// `stream`'s cursor (in `cursor_field`) cannot be read (`cause`), so its
    /// `lookback` cannot be applied: the error names the value and how to fix it.
    pub(crate) fn unreadable_cursor(
        stream: &str,
        cursor_field: Option<&str>,
        cause: &RecordsError,
    ) -> SyncError {
        SyncError::Source {
            stream: stream.to_owned(),
            source: SourceError::Config {
                field: format!("streams.{stream}.incremental"),
                message: format!(
                    "{cause}, so `lookback` cannot move it back; name how the API writes \
                     `{}` with `cursor_format:` (a strftime pattern such as \
                     \"%d.%m.%Y %H:%M:%S\", or rfc3339, epoch_seconds, epoch_millis), \
                     or remove `lookback`",
                    cursor_field.unwrap_or("the cursor"),
                ),
            },
        }
    }

    pub(crate) fn source(stream: &str) -> impl FnOnce(SourceError) -> SyncError + '_ {
        move |source| SyncError::Source {
            stream: stream.to_owned(),
            source,
        }
    }

    /// Whether the store failed (the run itself, or recording it).
    pub fn is_store(&self) -> bool {
        matches!(self, SyncError::Store { .. } | SyncError::Unrecorded { .. })
    }

    pub(crate) fn store(stream: &str) -> impl FnOnce(StoreError) -> SyncError + '_ {
        move |source| SyncError::Store {
            stream: stream.to_owned(),
            source,
        }
    }
}
