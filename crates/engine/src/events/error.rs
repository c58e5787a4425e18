//! Why a webhook event cannot be applied.

use super::version::VersionError;

/// Why an event cannot be applied, in one line. These are permanent: the
/// event belongs in the dead-letter state, not a retry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The queued job's payload is not an event.
    #[error("the queued event cannot be read: {0}")]
    Unreadable(serde_json::Error),
    /// The event's webhook was removed from the connector file.
    #[error("webhook `{0}` is not in the connector file any more")]
    UnknownWebhook(String),
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(serde_json::Error),
    /// A `when:` or `delete_when:` failed to evaluate.
    #[error("`{field}` could not be evaluated: {reason}")]
    Condition {
        /// Its key path (`webhooks.crm.route[0].when`).
        field: String,
        /// What failed.
        reason: String,
    },
    /// The route's `record:` path found nothing.
    #[error("no record at `{path}` (`{at}.record`)")]
    NoRecord {
        /// The JSONPath as written.
        path: String,
        /// The route's key path.
        at: String,
    },
    /// The webhook's `version:` path found nothing.
    #[error("no version at `{path}` (`{at}`); without it the event could overwrite a newer record")]
    NoVersion {
        /// The JSONPath as written.
        path: String,
        /// The key path of `version:`.
        at: String,
    },
    /// The version found cannot be ordered.
    #[error("`{at}` (`{path}`): {error}")]
    BadVersion {
        /// The key path of `version:`.
        at: String,
        /// The JSONPath as written.
        path: String,
        /// Why.
        error: VersionError,
    },
    /// A route names a stream the router has no rules for.
    #[error("stream `{0}` is not routed")]
    NotRouted(String),
    /// A deleting event's record has no primary key.
    #[error("stream `{stream}`: the deleted record has no key: {reason}")]
    NoKey {
        /// The stream.
        stream: String,
        /// What is missing.
        reason: String,
    },
    /// The record fails its stream's schema or `map:`.
    #[error("stream `{stream}`: the record is invalid: {summary}")]
    Invalid {
        /// The stream.
        stream: String,
        /// The violations, summarized.
        summary: String,
    },
}
