//! Errors from turning responses into records.

/// A response could not be turned into records or a next page.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum RecordsError {
    /// An incremental cursor that cannot be read as a time or a number, so
    /// `lookback` cannot move it back.
    #[error("the cursor {value} cannot be read as a time or a number ({tried})")]
    Cursor {
        /// The cursor as JSON (cut to 100 characters).
        value: String,
        /// The forms tried.
        tried: String,
    },
    /// The API returned a pagination token it had already returned in this chain.
    #[error(
        "the API returned the {what} `{token}` twice in one chain, so pagination would loop; \
         check `paginate.next` points at the next-page token, or add `stop_when`"
    )]
    Loop {
        /// "cursor" or "next URL".
        what: &'static str,
        /// The repeated token (URLs are redacted by the caller).
        token: String,
    },
    /// More pages than `max_pages` allows.
    #[error(
        "more than {max} {} in one chain (`paginate.max_pages`); raise it if the API really \
         has that many, or fix `stop_when`",
        if *max == 1 { "page" } else { "pages" }
    )]
    TooManyPages {
        /// The limit.
        max: u64,
    },
    /// The next-page value is of the wrong type.
    #[error("`{path}` should give a string (or number) next-page token, found {found}")]
    BadToken {
        /// The JSONPath.
        path: String,
        /// What was there.
        found: String,
    },
    /// The records path selects nothing because what it reads from is not in
    /// the body: the answer is not the list it should be, so "no records"
    /// would be a guess.
    #[error(
        "`records: {path}` finds no list in this answer: {found}; if the API moved its records, \
         change `records:`; if this answer means \"nothing here\", add an `errors:` rule with \
         `action: skip` that matches it"
    )]
    NoRecords {
        /// The records path.
        path: String,
        /// What the body has instead (its top-level keys, or its type).
        found: String,
    },
    /// The next page number or offset does not fit in 64 bits.
    #[error(
        "the next {what} after {at} does not fit in 64 bits, so pagination cannot go on; \
         check `paginate.start` (and `max_pages`)"
    )]
    Overflow {
        /// "page number" or "offset".
        what: &'static str,
        /// The current page number or offset.
        at: u64,
    },
    /// A next URL that cannot be parsed.
    #[error("the next-page URL `{url}` is not a valid URL: {reason}")]
    BadUrl {
        /// The URL as received.
        url: String,
        /// Why.
        reason: String,
    },
    /// A `Link` header that is not an RFC 8288 link list.
    #[error(
        "the `Link` header `{header}` cannot be read ({reason}), so where the next page is \
         cannot be told; the API sent a header that is not RFC 8288"
    )]
    BadLinkHeader {
        /// The header value(s), cut to 300 characters (redacted by the caller).
        header: String,
        /// What is wrong and where.
        reason: String,
    },
    /// The strategy found no next page while the response says there is more.
    #[error(
        "page {page} of this chain has no next page, but {signal}: the API stopped early and \
         records are missing, so the run fails; if the signal itself is wrong, fix or remove it \
         in `paginate`"
    )]
    EndedEarly {
        /// The page number in this chain (1-based).
        page: u64,
        /// What said there is more.
        signal: String,
    },
    /// No next page, but the `Link` header's `rel="last"` page was not read.
    #[error(
        "page {page} of this chain has no next page, but its `Link` header's rel=\"last\" \
         <{last}> was not reached: the API stopped early and records are missing, so the run fails"
    )]
    LastNotReached {
        /// The page number in this chain (1-based).
        page: u64,
        /// The `last` link, resolved (redacted by the caller).
        last: String,
    },
    /// A named end signal matched nothing in any page of the chain.
    #[error(
        "`paginate.{key}` ({path}) matched nothing in the {pages} page(s) of this chain, so it \
         cannot tell whether the chain is complete; check the path against a response body"
    )]
    SignalMissing {
        /// `expect_more` or `expect_total`.
        key: &'static str,
        /// The JSONPath.
        path: String,
        /// Pages read.
        pages: u64,
    },
    /// A named end signal of the wrong type.
    #[error("`paginate.{key}` ({path}) should give {want}, found {found}")]
    BadSignal {
        /// `expect_more` or `expect_total`.
        key: &'static str,
        /// The JSONPath.
        path: String,
        /// What it should be.
        want: &'static str,
        /// What was there (cut to 80 characters).
        found: String,
    },
    /// A page does not say, in the form the strategy reads, whether or where
    /// the next page is (`last_record`'s `more`, `relay`'s `pageInfo`).
    #[error(
        "page {page} of this chain: {problem}; whether more records follow cannot be told, so \
         the run fails rather than guess; check `paginate` against a response body"
    )]
    NextUnclear {
        /// The page number in this chain (1-based).
        page: u64,
        /// What is missing or wrong (values cut to 80 characters).
        problem: String,
    },
    /// An offset or page-number page answered exactly like the page before.
    #[error(
        "page {page} of this chain is the same as the page before it: the API seems to ignore \
         the `{param}` parameter, so paging would never end; check `paginate.param` against the \
         API's documentation"
    )]
    RepeatedPage {
        /// The page number in this chain (1-based).
        page: u64,
        /// The offset or page parameter sent.
        param: String,
    },
}

/// A `map:` that does not compile into a [`Mapper`](crate::Mapper).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapError {
    /// Two fields write the same column.
    #[error("column `{column}` is mapped twice")]
    MappedTwice {
        /// The column.
        column: String,
    },
    /// A column's `expr:` or `transform:` expression does not compile.
    #[error("column `{column}`: {message}")]
    Expression {
        /// The column.
        column: String,
        /// The expression and why it does not compile.
        message: String,
    },
}

/// A stream's schema or `map:` that does not compile into [`RecordRules`](crate::RecordRules).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{field}`: {message}")]
pub struct RulesError {
    /// The key path of the setting (`streams.deals.schema`, `streams.deals.map`).
    pub field: String,
    /// What went wrong.
    pub message: String,
}
