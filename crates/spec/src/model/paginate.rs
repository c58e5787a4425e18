//! Pagination strategies and their guards.

use super::{Path, Pointer, Template};

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
    /// A token from each page, sent with the next request.
    Cursor {
        /// Where the token is in the response.
        next: Next,
        /// Where it is sent.
        param: Place,
    },
    /// A full URL in the body.
    NextUrl {
        /// Where the URL is in the body.
        next: Path,
        /// Whether the stream's own params are added to the next URL.
        params: NextParams,
    },
    /// RFC 8288 `Link: <…>; rel="next"`.
    LinkHeader {
        /// Whether the stream's own params are added to the next URL.
        params: NextParams,
    },
    /// An offset and a limit; ends on an empty page.
    Offset {
        /// Where the offset is sent.
        param: Place,
        /// Where the limit is sent.
        limit_param: Place,
        /// Page size asked for.
        limit: u64,
    },
    /// Page numbers; ends on an empty page.
    Page {
        /// Where the page number is sent.
        param: Place,
        /// First page number (usually 1 or 0).
        start: u64,
        /// Where the page size is sent, if the API takes one.
        size_param: Option<Place>,
        /// Page size asked for (also what "short page" is measured against).
        size: Option<u64>,
    },
    /// The last record's `field`, sent with the next request while `more` is true (Stripe).
    LastRecord {
        /// The top-level record field whose value is sent.
        field: String,
        /// Where it is sent.
        param: Place,
        /// A boolean in the body: more pages follow. Required on every page.
        more: Path,
    },
    /// A GraphQL Relay connection: `pageInfo { hasNextPage endCursor }`.
    Relay {
        /// Where the `pageInfo` object is in the body.
        page_info: Path,
        /// Where `endCursor` is sent (default the body's `/variables/after`).
        param: Place,
    },
}

/// Where a cursor strategy finds the next page's token.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// A JSONPath into the body (`next:`).
    Body(Path),
    /// A response header (`next_header:`).
    Header(String),
}

/// Where a pagination value is sent (`in:`).
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// A query parameter of this name (`in: query`, the default).
    Query(String),
    /// A request header of this name (`in: header`).
    Header(String),
    /// A JSON Pointer into the request body (`in: body`, `at:`).
    Body(Pointer),
}

impl Place {
    /// The query parameter name, when the value goes in the query.
    pub fn query(&self) -> Option<&str> {
        match self {
            Place::Query(name) => Some(name),
            _ => None,
        }
    }
}

impl std::fmt::Display for Place {
    /// `query parameter `cursor``, `header `X-Page``, `body at `/after``.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Query(name) => write!(f, "query parameter `{name}`"),
            Place::Header(name) => write!(f, "header `{name}`"),
            Place::Body(p) => write!(f, "body at `{}`", p.source),
        }
    }
}

/// What a next URL (`next_url`, `link_header`) is sent with (`params:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NextParams {
    /// `drop` (default): the URL exactly as the API gave it.
    #[default]
    Drop,
    /// `keep`: plus each of the stream's `params:` the URL lacks.
    Keep,
}

/// A stop condition checked after each page.
#[derive(Debug, Clone)]
pub enum StopWhen {
    /// A JSONPath to a boolean in the body.
    Path(Path),
    /// A Jinja expression over `body`, `headers`, `records` (count) and `page` (number).
    Condition(Template),
}
