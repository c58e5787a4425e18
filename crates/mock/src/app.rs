//! A web app with no public API, behind the portal's login: what a user
//! would capture in a browser's developer tools (a HAR file).
//!
//! Active when the mock's auth is [`MockAuth::Session`](crate::MockAuth::Session):
//! `POST /login` lands on `GET /home`, whose script asks for a bearer token,
//! pages through the contact list with it and fetches each contact:
//!
//! - `GET /home` (a live `mock_session` cookie; else a `302` to `/login`, and
//!   no session request spent): the list page. It loads `/static/app.css`,
//!   `/static/app.js` and `/static/logo.png`, and, with
//!   [`MockConfig::analytics_url`](crate::MockConfig::analytics_url), an
//!   image beacon `{analytics_url}/collect?page=%2Fhome&event=pageview`.
//!   When the script is done, `<div id="status">` reads `done N`.
//! - `GET /static/...`: the page's assets, open to anyone.
//! - `GET /api/session` (the session cookie): `{"token": "tok_…", "user":
//!   {"username": "…"}}`, the bearer token of that session (the same token
//!   for the same session).
//! - `GET /api/contacts?limit=N&cursor=C` (`Authorization: Bearer <token>`):
//!   `{"data": [{"id", "name", "email", "updated_at"}, …], "next_cursor":
//!   "<opaque>" | null}`, in `updated_at` order (`limit` defaults to 100).
//! - `GET /api/contacts/{id}` (the bearer token): the whole contact, as the
//!   other endpoints serve it (phone, company, …); 404 for unknown ids.
//!
//! The `/api/` routes are data requests: counted, logged, delayed, rate
//! limited and faulted like the others. Each spends one request of the
//! session (`requests_per_session`), and a token dies with its session:
//! without a live session cookie (`/api/session`) or a bearer token of a
//! live session, they answer `401 {"error": "unauthorized"}`, not a redirect.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use crate::config::MockAuth;
use crate::data::{Contact, Item, Render};
use crate::error::ApiError;
use crate::portal::to_login;
use crate::query::Params;
use crate::sessions::{SESSION_COOKIE, cookie};
use crate::state::MockState;
use crate::token;

/// Where the app's API lives (every path under it is a data request).
pub(crate) const API: &str = "/api/";
/// The route that hands out bearer tokens.
const SESSION_PATH: &str = "/api/session";

const APP_JS: &str = include_str!("../assets/app.js");
const APP_CSS: &str = include_str!("../assets/app.css");
const LOGO_PNG: &[u8] = include_bytes!("../assets/logo.png");

/// Whether `req`, a request under [`API`], may pass: `/api/session` with a
/// live session cookie, the others with a bearer token of a live session.
/// Spends one request of that session.
pub(crate) fn admit(state: &MockState, req: &Request) -> bool {
    let portal = state.portal();
    if req.uri().path() == SESSION_PATH {
        portal.spend_session(req.headers())
    } else {
        portal.admit_bearer(req.headers())
    }
}

/// `GET /home`: the app's list page (does not spend a session request).
pub(crate) async fn home(State(state): State<MockState>, headers: HeaderMap) -> Response {
    let live = cookie(&headers, SESSION_COOKIE)
        .is_some_and(|id| state.portal().book().sessions.contains_key(&id));
    if !live {
        return to_login();
    }
    let beacon = state
        .config()
        .analytics_url
        .as_deref()
        .map(|base| {
            let url = format!(
                "{}/collect?page=%2Fhome&event=pageview",
                base.trim_end_matches('/')
            );
            format!(
                "<img id=\"beacon\" src=\"{}\" alt=\"\" width=\"1\" height=\"1\">",
                escape(&url)
            )
        })
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <title>Contacts · Mock CRM</title>\
         <link rel=\"stylesheet\" href=\"/static/app.css\">\
         <script src=\"/static/app.js\" defer></script></head><body>\
         <header><img src=\"/static/logo.png\" alt=\"\" width=\"16\" height=\"16\">\
         <h1>Welcome back</h1><span id=\"user\"></span></header><main>\
         <div id=\"status\">loading</div>\
         <table id=\"contacts\"><thead><tr><th>Id</th><th>Name</th><th>Email</th>\
         <th>Company</th><th>Phone</th></tr></thead><tbody></tbody></table>\
         </main>{beacon}</body></html>"
    ))
    .into_response()
}

/// `GET /static/app.js`.
pub(crate) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS.as_bytes())
}

/// `GET /static/app.css`.
pub(crate) async fn style() -> Response {
    asset("text/css; charset=utf-8", APP_CSS.as_bytes())
}

/// `GET /static/logo.png`.
pub(crate) async fn logo() -> Response {
    asset("image/png", LOGO_PNG)
}

fn asset(mime: &'static str, bytes: &'static [u8]) -> Response {
    (
        [
            (CONTENT_TYPE, mime),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /api/session`: the session's bearer token and who is signed in.
pub(crate) async fn session(State(state): State<MockState>, headers: HeaderMap) -> Response {
    let username = match &state.config().auth {
        Some(MockAuth::Session { username, .. }) => username.clone(),
        _ => String::new(),
    };
    match state.portal().token_for(state.config().seed, &headers) {
        Some(token) => no_store(Json(json!({
            "token": token,
            "user": { "username": username },
        }))),
        None => ApiError::unauthorized().into_response(),
    }
}

/// `GET /api/contacts`: a page of contact summaries and the next cursor.
pub(crate) async fn contacts(
    State(state): State<MockState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref());
    let limit = params.limit("limit")?;
    let from = match params.get("cursor").filter(|c| !c.is_empty()) {
        Some(cursor) => token::decode("cursor", cursor)?,
        None => 0,
    };
    let (items, more) = state.with_touches(|t| t.after(from, limit));
    let render = state.render();
    let data = items
        .iter()
        .map(|item| summary(render, *item))
        .collect::<Result<Vec<_>, _>>()?;
    let next = items
        .last()
        .filter(|_| more)
        .map(|last| token::encode(last.updated + 1));
    Ok(no_store(Json(json!({ "data": data, "next_cursor": next }))))
}

/// `GET /api/contacts/{id}`: the whole contact.
pub(crate) async fn contact(
    State(state): State<MockState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let item = crate::pages::contact_by_id(&state, id)?;
    let body =
        serde_json::to_vec(&Contact::render(state.render(), item)).map_err(ApiError::internal)?;
    Ok(no_store(([(CONTENT_TYPE, "application/json")], body)))
}

/// A contact as the list shows it: id, full name, email, `updated_at`.
fn summary(render: Render, item: Item) -> Result<Value, ApiError> {
    let full = serde_json::to_value(Contact::render(render, item)).map_err(ApiError::internal)?;
    let name = match (&full["name"]["first"], &full["name"]["last"]) {
        (Value::String(first), Value::String(last)) => Value::String(format!("{first} {last}")),
        _ => Value::Null,
    };
    Ok(json!({
        "id": item.id,
        "name": name,
        "email": full["email"],
        "updated_at": full["updated_at"],
    }))
}

fn no_store(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `text` safe inside an HTML attribute value.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
