//! `paginate:` of a stream: the strategies and where their values go.

use serde::Deserialize;

use super::Scalar;

/// Pagination, chosen by `type:`.
///
/// Every strategy also takes `stop_when:` (a JSONPath starting with `$` to
/// a boolean in the body, or a Jinja condition over `body`, `headers`,
/// `records` and `page`, without braces), `max_pages:` (fail past this many
/// pages in one chain; at least 1), and the end signals `expect_more:` (a
/// JSONPath to a boolean: true on the page the chain ends at is an error)
/// and `expect_total:` (a JSONPath to the number of records: fewer read by
/// the chain's end is an error; with `offset` and `page`, a chain read from
/// its start ends as soon as that many records are in, without asking for
/// an empty page).
///
/// **Where a value goes.** A strategy that sends a value (a cursor token,
/// an offset and limit, a page number and size) takes `in:`
/// - `query` (default): the query parameter `param:`;
/// - `header`: the request header `param:`;
/// - `body`: the JSON Pointer (RFC 6901) `at:` into the request's `json:`
///   or `graphql:` body, e.g. `/after` or `/variables/after` (objects on the
///   way are created). Offsets, limits, page numbers and sizes are JSON
///   numbers there, tokens strings. The body sent for each page is the
///   rendered body with the value set at the pointer.
///
/// Examples, one per API style:
///
/// ```yaml
/// # HubSpot search: the `after` token in the POST body
/// paginate: { type: cursor, next: "$.paging.next.after", in: body, at: /after }
/// # the next token in a response header, sent back as a query parameter
/// paginate: { type: cursor, next_header: X-Next-Token, param: page_token }
/// # Stripe: the last record's id, while `has_more` says so
/// paginate: { type: last_record, field: id, param: starting_after, more: "$.has_more" }
/// # Jira: startAt/maxResults with a total
/// paginate: { type: offset, param: startAt, limit_param: maxResults, limit: 50, expect_total: "$.total" }
/// # Shopify REST: page_info links; the next URL is followed as given
/// paginate: { type: link_header }
/// # GraphQL (Relay connections)
/// paginate: { type: relay, page_info: "$.data.products.pageInfo" }
/// ```
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[serde(expecting = "a paginate mapping with `type:`")]
pub(crate) enum RawPaginate {
    /// `{ type: none }`: a single request.
    None {
        /// Stop condition.
        stop_when: Option<String>,
        /// Page limit.
        max_pages: Option<Scalar>,
        /// End signal: a JSONPath to "more pages follow".
        expect_more: Option<String>,
        /// End signal: a JSONPath to the chain's record count.
        expect_total: Option<String>,
    },
    /// `{ type: cursor, next: "$.meta.next_cursor", param: cursor }`: a
    /// token from each page, sent with the next request; the chain ends when
    /// there is none (missing, null, false or ""). The token is read from
    /// the body (`next:`, a JSONPath) or from a response header
    /// (`next_header: X-Next-Token`): exactly one of the two.
    Cursor {
        /// JSONPath to the next page's token in the body.
        next: Option<String>,
        /// The response header holding the next page's token (instead of `next`).
        next_header: Option<String>,
        /// The query parameter (or header, with `in: header`) the token is
        /// sent as; required unless `in: body`.
        param: Option<String>,
        /// `query` (default), `header` or `body`.
        #[serde(rename = "in")]
        place: Option<String>,
        /// With `in: body`: the JSON Pointer the token is set at, e.g. `/after`.
        at: Option<String>,
        /// Stop condition.
        stop_when: Option<String>,
        /// Page limit.
        max_pages: Option<Scalar>,
        /// End signal: a JSONPath to "more pages follow".
        expect_more: Option<String>,
        /// End signal: a JSONPath to the chain's record count.
        expect_total: Option<String>,
    },
    /// `{ type: next_url, next: "$.links.next" }`: a full URL in the body.
    NextUrl {
        /// Required. JSONPath to the next page's URL in the body.
        next: Option<String>,
        /// `drop` (default) or `keep`; see `link_header`.
        params: Option<String>,
        /// Stop condition.
        stop_when: Option<String>,
        /// Page limit.
        max_pages: Option<Scalar>,
        /// End signal: a JSONPath to "more pages follow".
        expect_more: Option<String>,
        /// End signal: a JSONPath to the chain's record count.
        expect_total: Option<String>,
    },
    /// `{ type: link_header }`: RFC 8288 `Link: <…>; rel="next"`.
    ///
    /// A next URL is requested exactly as the API gave it (`params: drop`,
    /// the default): the stream's own `params:` are not sent again, which is
    /// what APIs like Shopify's `page_info` links want (they refuse filters
    /// next to `page_info`). `params: keep` adds each of the stream's
    /// parameters the next URL lacks (for APIs whose links carry only the
    /// page token). The method, headers and any `json:`/`graphql:` body are
    /// sent again with every next URL as with the first request.
    LinkHeader {
        /// `drop` (default) or `keep`.
        params: Option<String>,
        /// Stop condition.
        stop_when: Option<String>,
        /// Page limit.
        max_pages: Option<Scalar>,
        /// End signal: a JSONPath to "more pages follow".
        expect_more: Option<String>,
        /// End signal: a JSONPath to the chain's record count.
        expect_total: Option<String>,
    },
    /// `{ type: offset, param: offset, limit_param: limit, limit: 100 }`;
    /// ends on an empty page (a short page may be an API's cap), or once
    /// `expect_total` records are in.
    Offset {
        /// Offset parameter (or header) name. Default `offset`.
        param: Option<String>,
        /// Limit parameter (or header) name. Default `limit`.
        limit_param: Option<String>,
        /// Page size asked for. Default 100.
        limit: Option<Scalar>,
        /// `query` (default), `header` or `body`.
        #[serde(rename = "in")]
        place: Option<String>,
        /// With `in: body`: the JSON Pointer of the offset, e.g. `/startAt`.
        at: Option<String>,
        /// With `in: body`: the JSON Pointer of the limit, e.g. `/maxResults`.
        limit_at: Option<String>,
        /// Stop condition.
        stop_when: Option<String>,
        /// Page limit.
        max_pages: Option<Scalar>,
        /// End signal: a JSONPath to "more pages follow".
        expect_more: Option<String>,
        /// End signal: a JSONPath to the chain's record count.
        expect_total: Option<String>,
    },
    /// `{ type: page, param: page, start: 1, size_param: per_page, size: 100 }`;
    /// ends on an empty page, or once `expect_total` records are in.
    Page {
        /// Page parameter (or header) name. Default `page`.
        param: Option<String>,
        /// First page number. Default 1.
        start: Option<Scalar>,
        /// Page size parameter (or header) name, if the API takes one (needs `size`).
        size_param: Option<String>,
        /// Page size asked for.
        size: Option<Scalar>,
        /// `query` (default), `header` or `body`.
        #[serde(rename = "in")]
        place: Option<String>,
        /// With `in: body`: the JSON Pointer of the page number, e.g. `/page`.
        at: Option<String>,
        /// With `in: body`: the JSON Pointer of the page size (needs `size`).
        size_at: Option<String>,
        /// Stop condition.
        stop_when: Option<String>,
        /// Page limit.
        max_pages: Option<Scalar>,
        /// End signal: a JSONPath to "more pages follow".
        expect_more: Option<String>,
        /// End signal: a JSONPath to the chain's record count.
        expect_total: Option<String>,
    },
    /// `{ type: last_record, field: id, param: starting_after, more: "$.has_more" }`:
    /// the next page starts after the last record of this one (Stripe).
    /// A next page is asked for only while `more` is true; `more` missing or
    /// not a boolean is an error (never read as "done"), and so is `more`
    /// true on an empty page or a last record without `field`.
    LastRecord {
        /// Required. The top-level record field whose value (of the page's
        /// last record) is sent, e.g. `id`.
        field: Option<String>,
        /// Required. JSONPath to the boolean "more pages follow", e.g. `"$.has_more"`.
        more: Option<String>,
        /// The query parameter (or header) it is sent as; required unless `in: body`.
        param: Option<String>,
        /// `query` (default), `header` or `body`.
        #[serde(rename = "in")]
        place: Option<String>,
        /// With `in: body`: the JSON Pointer the value is set at.
        at: Option<String>,
        /// Stop condition.
        stop_when: Option<String>,
        /// Page limit.
        max_pages: Option<Scalar>,
        /// End signal: a JSONPath to "more pages follow".
        expect_more: Option<String>,
        /// End signal: a JSONPath to the chain's record count.
        expect_total: Option<String>,
    },
    /// `{ type: relay, page_info: "$.data.products.pageInfo" }`: a GraphQL
    /// (Relay) connection. Reads `hasNextPage` and `endCursor` of the object
    /// at `page_info`, and sets `endCursor` at `/variables/after` of the
    /// body while `hasNextPage` is true. `hasNextPage` missing or not a
    /// boolean, or true with no `endCursor`, is an error.
    Relay {
        /// Required. JSONPath to the connection's `pageInfo` object.
        page_info: Option<String>,
        /// `body` (default), `query` or `header`.
        #[serde(rename = "in")]
        place: Option<String>,
        /// With `in: body`: the JSON Pointer of the cursor. Default
        /// `/variables/after`.
        at: Option<String>,
        /// With `in: query` or `in: header`: the parameter (or header) name.
        param: Option<String>,
        /// Stop condition.
        stop_when: Option<String>,
        /// Page limit.
        max_pages: Option<Scalar>,
        /// End signal: a JSONPath to "more pages follow".
        expect_more: Option<String>,
        /// End signal: a JSONPath to the chain's record count.
        expect_total: Option<String>,
    },
}
