//! Endpoints that paginate the ways some real APIs do, beyond the
//! `/{style}/contacts` query-parameter styles:
//!
//! - `POST /v2/contacts/search`, HubSpot-like: a JSON body
//!   `{"filter": {"updated_since": "…"}, "limit": n, "after": "…"}`, answered
//!   with `{"total": n, "results": [...], "paging": {"next": {"after": "…",
//!   "link": "http://…/v2/contacts/search?after=…"}}}` (no `paging` on the
//!   last page); an `after` in the query (the `link`) wins over the body's. An unknown key in the body or the filter,
//!   or a value of the wrong type, is a 400, so a wrong body is loud.
//! - `GET /header_token/contacts`: the next page's token in the `X-Next-Token`
//!   response header (none on the last page); the token comes back as the
//!   `page_token` query parameter or the `X-Page-Token` request header.
//! - `GET /stripe/contacts`: Stripe's list: `starting_after=<id>` and `limit`,
//!   answered with `{"object": "list", "data": [...], "has_more": bool}`.
//!   `drop_has_more` leaves `has_more` out; `lie_more` always says `true`.
//! - `GET /jira/contacts`: Jira's `startAt`/`maxResults`, answered with
//!   `{"startAt", "maxResults", "total", "issues": [...]}`; `maxResults` is
//!   capped at `cap` (default 1000), as Jira caps it.
//! - `GET /shopify/contacts`: Shopify's cursor links: the `Link` header's
//!   `rel="next"` is `?page_info=<token>&limit=<n>` only. A request with
//!   `page_info` and a filter (`updated_since`) is a 400, as Shopify refuses
//!   it; `bare_links` leaves `limit` out of the links.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_TYPE, HOST, LINK};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::data::{Contact, Item};
use crate::error::ApiError;
use crate::query::Params;
use crate::state::MockState;
use crate::token;

/// Most records one search page holds.
const MAX_SEARCH_LIMIT: u64 = 200;

/// `POST /v2/contacts/search`; `?after=` in the query (from the answer's
/// `paging.next.link`) takes the place of the body's `after`.
pub(crate) async fn search(
    State(state): State<MockState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let query = Params::parse(query.as_deref());
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body must be JSON: {e}")))?;
    let Value::Object(body) = body else {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    };
    only_keys(&body, "body", &["filter", "limit", "after"])?;
    let since = match body.get("filter") {
        None | Some(Value::Null) => 0,
        Some(Value::Object(filter)) => {
            only_keys(filter, "filter", &["updated_since"])?;
            match filter.get("updated_since") {
                None | Some(Value::Null) => 0,
                Some(Value::String(s)) if s.is_empty() => 0,
                Some(Value::String(s)) => crate::dates::parse_since(s).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "invalid `filter.updated_since`: expected an RFC 3339 time, got `{s}`"
                    ))
                })?,
                Some(other) => return Err(wrong("filter.updated_since", "a string", other)),
            }
        }
        Some(other) => return Err(wrong("filter", "an object", other)),
    };
    let limit = match body.get("limit") {
        None => 10,
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) if (1..=MAX_SEARCH_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "invalid `limit`: expected 1 to {MAX_SEARCH_LIMIT}, got {n}"
                )));
            }
        },
        Some(other) => return Err(wrong("limit", "a number", other)),
    };
    let from = match query
        .get("after")
        .map(|a| Value::String(a.to_owned()))
        .as_ref()
        .or(body.get("after"))
    {
        None | Some(Value::Null) => since,
        Some(Value::String(t)) => token::decode("after", t)?.max(since),
        Some(other) => return Err(wrong("after", "a string", other)),
    };
    let ((items, more), total) =
        state.with_touches(|t| (t.after(from, limit as usize), t.count(since)));
    let mut answer = json!({ "total": total, "results": rendered(&state, &items) });
    if more && let Some(last) = items.last() {
        let after = token::encode(last.updated + 1);
        let link = format!("http://{}/v2/contacts/search?after={after}", host(&headers));
        answer["paging"] = json!({ "next": { "after": after, "link": link } });
    }
    Ok(axum::Json(answer).into_response())
}

/// `GET /{style}/contacts` for the styles of this module; `None` for others.
pub(crate) fn list(
    state: &MockState,
    style: &str,
    params: &Params,
    headers: &HeaderMap,
) -> Option<Result<Response, ApiError>> {
    Some(match style {
        "header_token" => header_token(state, params, headers),
        "stripe" => stripe(state, params),
        "jira" => jira(state, params),
        "shopify" => shopify(state, params, headers),
        _ => return None,
    })
}

fn header_token(
    state: &MockState,
    params: &Params,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let limit = params.limit("limit")?;
    let token = params.get("page_token").map(str::to_owned).or_else(|| {
        headers
            .get("x-page-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let from = match token.filter(|t| !t.is_empty()) {
        Some(t) => token::decode("page_token", &t)?,
        None => params.since()?,
    };
    let (items, more) = state.with_touches(|t| t.after(from, limit));
    let mut response = json_response(&json!({ "data": rendered(state, &items) }));
    if more && let Some(last) = items.last() {
        let next = HeaderValue::try_from(token::encode(last.updated + 1))
            .map_err(|_| ApiError::internal("a token is not a header value"))?;
        response.headers_mut().insert("x-next-token", next);
    }
    Ok(response)
}

fn stripe(state: &MockState, params: &Params) -> Result<Response, ApiError> {
    let limit = params.limit("limit")?;
    let from = match params.get("starting_after").filter(|s| !s.is_empty()) {
        Some(id) => {
            let id: u64 = id.parse().map_err(|_| {
                ApiError::bad_request(format!("invalid `starting_after`: no such object `{id}`"))
            })?;
            let item = state
                .with_touches(|t| t.item(id))
                .ok_or_else(|| ApiError::bad_request(format!("no such object: `{id}`")))?;
            item.updated + 1
        }
        None => params.since()?,
    };
    let (items, more) = state.with_touches(|t| t.after(from, limit));
    let mut answer = json!({
        "object": "list",
        "url": "/v1/customers",
        "data": rendered(state, &items),
    });
    if params.get("drop_has_more").is_none() {
        answer["has_more"] = json!(more || params.get("lie_more").is_some());
    }
    Ok(json_response(&answer))
}

fn jira(state: &MockState, params: &Params) -> Result<Response, ApiError> {
    let since = params.since()?;
    let start = params.number("startAt", 0)?;
    let cap = params.number("cap", 1000)?.max(1);
    let asked = params.number("maxResults", 50)?.max(1);
    let max = asked.min(cap);
    let (total, items) =
        state.with_touches(|t| (t.count(since), t.slice(since, start, max as usize)));
    Ok(json_response(&json!({
        "startAt": start,
        "maxResults": max,
        "total": total,
        "issues": rendered(state, &items),
    })))
}

fn shopify(state: &MockState, params: &Params, headers: &HeaderMap) -> Result<Response, ApiError> {
    let limit = params.limit("limit")?;
    let from = match params.get("page_info") {
        Some(info) => {
            if params.get("updated_since").is_some() {
                return Err(ApiError::bad_request(
                    "page_info cannot be combined with filter parameters (updated_since); \
                     follow the Link header's URL as given",
                ));
            }
            token::decode("page_info", info)?
        }
        None => params.since()?,
    };
    let (items, more) = state.with_touches(|t| t.after(from, limit));
    let mut response = json_response(&json!({ "customers": rendered(state, &items) }));
    if more && let Some(last) = items.last() {
        let host = host(headers);
        let info = token::encode(last.updated + 1);
        let query = if params.get("bare_links").is_some() {
            format!("page_info={info}")
        } else {
            format!("limit={limit}&page_info={info}")
        };
        let link = format!("<http://{host}/shopify/contacts?{query}>; rel=\"next\"");
        let value = HeaderValue::try_from(link)
            .map_err(|_| ApiError::bad_request("the Host header cannot be echoed in a link"))?;
        response.headers_mut().insert(LINK, value);
    }
    Ok(response)
}

fn host(headers: &HeaderMap) -> &str {
    headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
}

/// The contacts as the server currently renders them.
fn rendered(state: &MockState, items: &[Item]) -> Vec<Contact> {
    let render = state.render();
    items.iter().map(|i| Contact::render(render, *i)).collect()
}

fn json_response(value: &Value) -> Response {
    (
        [(CONTENT_TYPE, "application/json")],
        value.to_string().into_bytes(),
    )
        .into_response()
}

/// A 400 for a key of `object` (named `what`) not in `allowed`.
fn only_keys(object: &Map<String, Value>, what: &str, allowed: &[&str]) -> Result<(), ApiError> {
    match object.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(ApiError::bad_request(format!(
            "unknown key `{key}` in the {what}; allowed: {}",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn wrong(key: &str, want: &str, found: &Value) -> ApiError {
    ApiError::bad_request(format!("invalid `{key}`: expected {want}, got {found}"))
}
