//! The contact listings, one handler per pagination style, plus the deals of a contact.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CONTENT_TYPE, HOST, LINK};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::data::{Contact, Item, Render, deals};
use crate::error::ApiError;
use crate::query::Params;
use crate::state::MockState;
use crate::token;

/// Contacts per chunk of the streamed `none` listing.
const CHUNK: usize = 1000;

/// `GET /{style}/contacts`.
pub(crate) async fn list(
    State(state): State<MockState>,
    style: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let Path(style) = style.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let params = Params::parse(query.as_deref());
    let host = || host(&headers);
    match style.as_str() {
        "cursor" => cursor(&state, &params),
        "next_url" => next_url(&state, &params, &host()),
        "offset" => offset(&state, &params),
        "page" => page(&state, &params),
        "link_header" => link_header(&state, &params, &host()),
        "github" => github(&state, &params, &host()),
        "none" => none(&state, &params),
        other => crate::search::list(&state, other, &params, &headers).unwrap_or_else(|| {
            Err(ApiError::not_found(format!(
                "unknown pagination style `{other}`; use one of cursor, next_url, offset, page, \
             link_header, github, none, header_token, stripe, jira, shopify"
            )))
        }),
    }
}

/// `GET /v2/contacts`: the cursor style.
pub(crate) async fn v2(
    State(state): State<MockState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    cursor(&state, &Params::parse(query.as_deref()))
}

/// `GET /v2/contacts/deleted`: the contacts deleted (`POST /_mock/delete`),
/// as a tombstone endpoint answers: `{"data": [{"id": 3, "deleted": true}]}`
/// in the order they were deleted, one page.
pub(crate) async fn deleted(State(state): State<MockState>) -> Json<Value> {
    let ids = state.with_touches(|t| t.deleted_ids());
    let data: Vec<Value> = ids
        .into_iter()
        .map(|id| json!({ "id": id, "deleted": true }))
        .collect();
    Json(json!({ "data": data }))
}

/// `GET /v2/contacts/{id}/deals`.
pub(crate) async fn contact_deals(
    State(state): State<MockState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let item = contact_by_id(&state, id)?;
    Ok(Json(json!({ "data": deals(state.config().seed, item) })))
}

fn cursor(state: &MockState, params: &Params) -> Result<Response, ApiError> {
    let (from, limit) = (start(params, "cursor")?, params.limit("limit")?);
    let phantom = params.number("lie_more", 0)?;
    let since = params.since()?;
    let ((items, more), total) = state.with_touches(|t| (t.after(from, limit), t.count(since)));
    let next = more.then(|| next_token(&items));
    // `has_more` and `total` count the phantom records; the cursor does not.
    let meta = json!({
        "next_cursor": next,
        "has_more": more || phantom > 0,
        "total": total.saturating_add(phantom),
    });
    // `fields=id`: the keys only, as APIs with a field selector answer
    if params.get("fields") == Some("id") {
        let data: Vec<Value> = items.iter().map(|i| json!({ "id": i.id })).collect();
        return Ok(Json(json!({ "data": data, "meta": meta })).into_response());
    }
    page_body(state, &items, &[("meta", meta)])
}

/// GitHub's style: page numbers (`page` from 1, `per_page`) and a `Link`
/// header in GitHub's order, several links in one header: `prev`, `next`,
/// `last`, `first` (only those that apply; the last page has no `next` and
/// no `last`). `lie_more=N` counts N phantom records in the page count, so
/// the real last page still has a `last` link, to a page that is never served;
/// `broken_link` leaves out the first link's closing `>`.
fn github(state: &MockState, params: &Params, host: &str) -> Result<Response, ApiError> {
    let (since, per_page) = (params.since()?, params.limit("per_page")?);
    let phantom = params.number("lie_more", 0)?;
    let page = params.number("page", 1)?.max(1);
    let position = (page - 1).saturating_mul(per_page as u64);
    let (total, items) =
        state.with_touches(|t| (t.count(since), t.slice(since, position, per_page)));
    let real_last = total.div_ceil(per_page as u64).max(1);
    let claimed_last = total
        .saturating_add(phantom)
        .div_ceil(per_page as u64)
        .max(1);
    let at = |n: u64| {
        let n = n.to_string();
        let per = per_page.to_string();
        let query = params.encode_with(&[("page", &n), ("per_page", &per)], &["page", "per_page"]);
        format!("<http://{host}/github/contacts?{query}>")
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", at(page - 1)));
    }
    if page < real_last {
        links.push(format!("{}; rel=\"next\"", at(page + 1)));
    }
    if page < claimed_last {
        links.push(format!("{}; rel=\"last\"", at(claimed_last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", at(1)));
    }
    let mut response = page_body(state, &items, &[])?;
    if !links.is_empty() {
        let mut links = links.join(", ");
        if params.get("broken_link").is_some() {
            // An upstream bug: the first target is never closed.
            links = links.replacen('>', "", 1);
        }
        let value = HeaderValue::try_from(links)
            .map_err(|_| ApiError::bad_request("the Host header cannot be echoed in a link"))?;
        response.headers_mut().insert(LINK, value);
    }
    Ok(response)
}

fn next_url(state: &MockState, params: &Params, host: &str) -> Result<Response, ApiError> {
    let (from, limit) = (start(params, "page_token")?, params.limit("limit")?);
    let (items, more) = state.with_touches(|t| t.after(from, limit));
    let next = more.then(|| link(host, "next_url", params, Some(&next_token(&items)), limit));
    page_body(state, &items, &[("links", json!({ "next": next }))])
}

fn link_header(state: &MockState, params: &Params, host: &str) -> Result<Response, ApiError> {
    let (from, limit) = (start(params, "page_token")?, params.limit("limit")?);
    let (items, more) = state.with_touches(|t| t.after(from, limit));
    let mut links = format!(
        "<{}>; rel=\"first\"",
        link(host, "link_header", params, None, limit)
    );
    if more {
        let next = link(
            host,
            "link_header",
            params,
            Some(&next_token(&items)),
            limit,
        );
        links.push_str(&format!(", <{next}>; rel=\"next\""));
    }
    let mut response = page_body(state, &items, &[])?;
    let value = HeaderValue::try_from(links)
        .map_err(|_| ApiError::bad_request("the Host header cannot be echoed in a link"))?;
    response.headers_mut().insert(LINK, value);
    Ok(response)
}

fn offset(state: &MockState, params: &Params) -> Result<Response, ApiError> {
    let (since, limit) = (params.since()?, params.limit("limit")?);
    let offset = params.number("offset", 0)?;
    let phantom = params.number("lie_more", 0)?;
    let (total, items) = state.with_touches(|t| (t.count(since), t.slice(since, offset, limit)));
    page_body(
        state,
        &items,
        &[("total", json!(total.saturating_add(phantom)))],
    )
}

fn page(state: &MockState, params: &Params) -> Result<Response, ApiError> {
    let (since, per_page) = (params.since()?, params.limit("per_page")?);
    let page = params.number("page", 1)?;
    if page == 0 {
        return Err(ApiError::bad_request(
            "invalid `page`: pages start at 1, got `0`",
        ));
    }
    let position = (page - 1).saturating_mul(per_page as u64);
    let (total, items) =
        state.with_touches(|t| (t.count(since), t.slice(since, position, per_page)));
    let total_pages = total.div_ceil(per_page as u64);
    let tail = [("page", json!(page)), ("total_pages", json!(total_pages))];
    page_body(state, &items, &tail)
}

/// Every matching contact in one response, streamed in chunks so memory stays flat.
fn none(state: &MockState, params: &Params) -> Result<Response, ApiError> {
    let since = params.since()?;
    // The whole response keeps the shape it started with.
    let (state, render) = (state.clone(), state.render());
    let chunks = futures::stream::unfold(Some((since, true)), move |next| {
        let state = state.clone();
        async move {
            let (from, first) = next?;
            let (items, more) = state.with_touches(|t| t.after(from, CHUNK));
            let mut buf = Vec::with_capacity(items.len() * 400 + 16);
            if first {
                buf.extend_from_slice(b"{\"data\":[");
            } else if !items.is_empty() {
                buf.push(b',');
            }
            let written = write_items(&mut buf, render, &items);
            if !more {
                buf.extend_from_slice(b"]}");
            }
            let next = items
                .last()
                .filter(|_| more)
                .map(|i| (i.updated + 1, false));
            Some((written.map(|()| Bytes::from(buf)), next))
        }
    });
    Ok((
        [(CONTENT_TYPE, "application/json")],
        Body::from_stream(chunks),
    )
        .into_response())
}

/// Where a walk starts: the decoded `token_param`, else `updated_since`.
fn start(params: &Params, token_param: &str) -> Result<u64, ApiError> {
    let since = params.since()?;
    match params.get(token_param).filter(|t| !t.is_empty()) {
        Some(t) => Ok(token::decode(token_param, t)?.max(since)),
        None => Ok(since),
    }
}

fn next_token(items: &[Item]) -> String {
    token::encode(items.last().map_or(0, |i| i.updated + 1))
}

/// An absolute link to `style`, carrying every other request parameter forward.
fn link(host: &str, style: &str, params: &Params, token: Option<&str>, limit: usize) -> String {
    let limit = limit.to_string();
    let mut first = vec![("limit", limit.as_str())];
    if let Some(token) = token {
        first.insert(0, ("page_token", token));
    }
    let query = params.encode_with(&first, &["page_token", "limit"]);
    format!("http://{host}/{style}/contacts?{query}")
}

fn host(headers: &HeaderMap) -> String {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    host.unwrap_or("localhost").to_owned()
}

/// `{"data":[...], <tail>}` as a JSON response.
fn page_body(
    state: &MockState,
    items: &[Item],
    tail: &[(&str, Value)],
) -> Result<Response, ApiError> {
    let mut buf = Vec::with_capacity(items.len() * 400 + 128);
    buf.extend_from_slice(b"{\"data\":[");
    write_items(&mut buf, state.render(), items).map_err(ApiError::internal)?;
    buf.push(b']');
    for (key, value) in tail {
        buf.push(b',');
        serde_json::to_writer(&mut buf, key).map_err(ApiError::internal)?;
        buf.push(b':');
        serde_json::to_writer(&mut buf, value).map_err(ApiError::internal)?;
    }
    buf.push(b'}');
    Ok(([(CONTENT_TYPE, "application/json")], buf).into_response())
}

/// Appends `items` as comma-separated JSON objects.
pub(crate) fn write_items(
    buf: &mut Vec<u8>,
    render: Render,
    items: &[Item],
) -> serde_json::Result<()> {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        serde_json::to_writer(&mut *buf, &Contact::render(render, *item))?;
    }
    Ok(())
}

/// The contact a `{id}` path segment names: 400 for a segment that is not a
/// whole number, 404 for an id with no (live) contact.
pub(crate) fn contact_by_id(
    state: &MockState,
    id: Result<Path<String>, PathRejection>,
) -> Result<Item, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let id: u64 = id.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "invalid contact id `{id}`: expected a whole number"
        ))
    })?;
    state
        .with_touches(|t| t.item(id))
        .ok_or_else(|| ApiError::not_found(format!("no contact with id {id}")))
}
