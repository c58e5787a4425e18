//! Pagination strategies and their guards.

use super::{Path, Template};

/// Pagination: the strategy plus the guards every strategy shares.
#[derive(Debug, Clone)]
pub struct Paginate {
    /// How the next page is found.
    pub strategy: Strategy,
    /// Stop when this is true for a page (besides the strategy's own end).
    pub stop_when: Option<StopWhen>,
    /// Fail the stream past this many pages in one chain (a runaway guard).
    pub max_pages: Option<u64>,
    /// A boolean in the body saying more pages follow: true on a page the
    /// chain ends at is an error.
    pub expect_more: Option<Path>,
    /// The number of records the chain should have, in the body: fewer read
    /// when the chain ends is an error.
    pub expect_total: Option<Path>,
}

/// How the next page is found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Strategy {
    /// A single request.
    None,
    /// A token in the body, sent back as a query parameter.
    Cursor {
        /// Where the token is in the body.
        next: Path,
        /// The query parameter it is sent as.
        param: String,
    },
    /// A full URL in the body.
    NextUrl {
        /// Where the URL is in the body.
        next: Path,
    },
    /// RFC 8288 `Link: <…>; rel="next"`.
    LinkHeader,
    /// `offset` + `limit` parameters; stops on a short or empty page.
    Offset {
        /// Offset parameter name.
        param: String,
        /// Limit parameter name.
        limit_param: String,
        /// Page size asked for.
        limit: u64,
    },
    /// Page numbers; stops on a short or empty page.
    Page {
        /// Page parameter name.
        param: String,
        /// First page number (usually 1 or 0).
        start: u64,
        /// Page size parameter name, if the API takes one.
        size_param: Option<String>,
        /// Page size asked for (also what "short page" is measured against).
        size: Option<u64>,
    },
}

/// A stop condition checked after each page.
#[derive(Debug, Clone)]
pub enum StopWhen {
    /// A JSONPath to a boolean in the body.
    Path(Path),
    /// A Jinja expression over `body`, `headers`, `records` (count) and `page` (number).
    Condition(Template),
}
