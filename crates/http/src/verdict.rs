//! What a classifier says about an answer, and the trait of the rules that
//! say it: shared by the classify layer and the requests that carry their
//! own rules (a GraphQL `errors` list).

use reqwest::header::HeaderMap;
use serde_json::Value;

/// What a [`Classifier`] says about a response. The text of `Retry` and
/// `Fail` is the rule that said so (the connection's `errors:`), or, from a
/// request's own classifier, what the answer says (`with GraphQL errors: …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No rule matched: the status decides.
    Pass,
    /// A transient failure (retry like a 503), with the rule that said so.
    Retry(String),
    /// A permanent failure, with the rule that said so.
    Fail(String),
    /// No data and no error: the page is empty and its chain ends.
    Skip,
}

/// User rules over responses (the connector file's `errors:`).
pub trait Classifier: Send + Sync {
    /// Judges one response; `body` is the parsed JSON, or null when it is not JSON.
    fn classify(&self, status: u16, headers: &HeaderMap, body: &Value) -> Verdict;
}
