//! A stream's `request:`: method, path, params, headers and a body
//! (`json:` or `graphql:`).

use serde::Deserialize;

use super::{Entries, Scalar};

/// The request of a stream. Templates here may use `env`, `secret`, `cursor`
/// (the saved incremental cursor, empty on a first run) and, in a child
/// stream, the parent record under its `for_each.as` name.
///
/// A search endpoint that takes a JSON body:
///
/// ```yaml
/// request:
///   method: POST
///   path: /crm/v3/objects/contacts/search
///   json:
///     filterGroups:
///       - filters: [ { propertyName: lastmodifieddate, operator: GTE, value: "{{ cursor }}" } ]
///     limit: 100
/// ```
///
/// A GraphQL query (always `POST`, body `{"query": …, "variables": …}`):
///
/// ```yaml
/// request:
///   path: /graphql
///   graphql:
///     query: |
///       query Products($first: Int!, $after: String) {
///         products(first: $first, after: $after) {
///           nodes { id title updatedAt }
///           pageInfo { hasNextPage endCursor }
///         }
///       }
///     variables: { first: 50, after: null }
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a request (a mapping with `path:`)")]
pub(crate) struct RawRequest {
    /// `GET` or `POST`. Default `GET`, or `POST` when the request has a
    /// `json:` or `graphql:` body (a `GET` with a body is an error).
    pub(crate) method: Option<String>,
    /// Required. Joined to the connection's `base_url`, e.g. `/v2/contacts`.
    pub(crate) path: Option<String>,
    /// Query parameters, e.g. `{ updated_since: "{{ cursor }}", limit: 100 }`.
    /// A parameter that renders empty is not sent.
    #[serde(default)]
    pub(crate) params: Entries<Scalar>,
    /// Extra headers for this stream.
    #[serde(default)]
    pub(crate) headers: Entries<Scalar>,
    /// A JSON body, sent with `Content-Type: application/json`: any YAML
    /// value. Every string in it is a template (same variables as
    /// `params:`). A string that is exactly one `{{ … }}` keeps the type of
    /// its value (`"{{ cursor }}"` is a string, `"{{ contact.id }}"` the
    /// parent's number, a missing value `null`); any other string renders
    /// to a string. Numbers, booleans and nulls are sent as written. Not
    /// with `graphql:`.
    pub(crate) json: Option<yaml_serde::Value>,
    /// A GraphQL request: `{ query: "…", variables: { … } }`, sent as
    /// `POST` with the body `{"query": …, "variables": …}`. A `200` answer
    /// whose `errors` list is not empty is an error (see [`RawGraphql`]).
    pub(crate) graphql: Option<RawGraphql>,
    /// A text body with its own content type, e.g. a SOAP envelope:
    /// `{ content_type: "text/xml; charset=utf-8", text: "<soap:Envelope …>" }`.
    /// Not with `json:` or `graphql:`.
    pub(crate) body: Option<RawTextBody>,
}

/// `body:` of a stream's request: text sent as it is written, e.g.
///
/// ```yaml
/// body:
///   content_type: "text/xml; charset=utf-8"
///   text: |
///     <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
///       <soap:Body><GetCustomers><Since>{{ cursor }}</Since></GetCustomers></soap:Body>
///     </soap:Envelope>
/// ```
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a text body (a mapping with `content_type:` and `text:`)"
)]
pub(crate) struct RawTextBody {
    /// Required. Sent as `Content-Type`, e.g. `text/xml; charset=utf-8`,
    /// `application/soap+xml`, `text/plain`.
    pub(crate) content_type: Option<String>,
    /// Required. The body, a template (same variables as `params:`). With
    /// an XML content type every value rendered into it is XML-escaped
    /// (`&`, `<`, `>`, `"`, `'`), so a cursor or a parent's field cannot
    /// break out of its element; the text itself is sent as written.
    pub(crate) text: Option<String>,
}

/// `graphql:` of a stream's request.
///
/// The answer is checked before anything in it is used: a top-level
/// `errors` list that is not empty fails the page, even when `data` holds
/// records (partial data is never written). An error whose
/// `extensions.code`, `code` or `type` says the API is throttling
/// (`THROTTLED`, `RATE_LIMITED`, `RATE_LIMIT_EXCEEDED`, `TOO_MANY_REQUESTS`,
/// any case) is retried like a 503; any other fails the stream with the
/// errors' messages. The connection's own `errors:` rules are checked
/// first, so a rule can `skip` or `retry` a particular GraphQL error.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a GraphQL request (a mapping with `query:` and optional `variables:`)"
)]
pub(crate) struct RawGraphql {
    /// Required. The GraphQL document, sent as written: it is not a
    /// template (GraphQL's own braces would clash), so values go in
    /// `variables:`.
    pub(crate) query: Option<String>,
    /// The variables: a mapping whose string leaves are templates, typed as
    /// in `json:` (a string that is exactly one `{{ … }}` keeps its type).
    /// Relay pagination sets the cursor variable (`after`) itself. Default `{}`.
    pub(crate) variables: Option<yaml_serde::Value>,
    /// The operation to run when `query` holds several (`operationName`).
    pub(crate) operation_name: Option<String>,
}
