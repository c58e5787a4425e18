//! A portal without an API: a login form with a CSRF token, a session
//! cookie, and sessions that expire after a number of data requests (then
//! data endpoints redirect to the login page, as a portal does).
//!
//! Active when the mock's auth is [`MockAuth::Session`](crate::MockAuth::Session):
//!
//! - `GET /login`: an HTML form with a hidden `csrf_token` input, and a
//!   `mock_login` cookie the token is bound to.
//! - `POST /login` (form: `username`, `password`, `csrf_token`, with the
//!   `mock_login` cookie): a wrong or missing token is a `403`; wrong
//!   credentials show the form again (`200`, with an error); success sets
//!   `mock_session` and redirects (`303`) to `/home`.
//! - Data endpoints: without a live `mock_session`, a `302` to `/login`.
//! - `GET /home` and the `/api/` routes behind it: the web app (see `app`).

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::config::MockAuth;
use crate::sessions::{LOGIN_COOKIE, SESSION_COOKIE, cookie};
use crate::state::MockState;

/// Where the login form lives.
pub const LOGIN_PATH: &str = "/login";
/// The answer to a data request without a live session.
pub(crate) fn to_login() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, LOGIN_PATH)]).into_response()
}

/// `GET /login`.
pub(crate) async fn form(State(state): State<MockState>) -> Response {
    let seed = state.config().seed;
    let (nonce, csrf) = {
        let mut book = state.portal().book();
        let nonce = book.token(seed, "l");
        let csrf = book.token(seed, "c");
        book.forms.insert(nonce.clone(), csrf.clone());
        book.stats.forms += 1;
        (nonce, csrf)
    };
    with_cookie(
        Html(page(&csrf, None)).into_response(),
        LOGIN_COOKIE,
        &nonce,
    )
}

/// The form `POST /login` takes.
#[derive(Debug, Deserialize)]
pub(crate) struct Login {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /login`.
pub(crate) async fn login(
    State(state): State<MockState>,
    headers: HeaderMap,
    Form(login): Form<Login>,
) -> Response {
    let Some(MockAuth::Session {
        username,
        password,
        requests_per_session,
    }) = state.config().auth.clone()
    else {
        return (StatusCode::NOT_FOUND, "this mock has no login").into_response();
    };
    let seed = state.config().seed;
    let mut book = state.portal().book();
    let expected = cookie(&headers, LOGIN_COOKIE).and_then(|nonce| book.forms.remove(&nonce));
    if expected.as_deref() != Some(login.csrf_token.as_str()) || login.csrf_token.is_empty() {
        book.stats.bad_csrf += 1;
        return (
            StatusCode::FORBIDDEN,
            Html("<p>CSRF token missing or invalid. Reload the login page.</p>"),
        )
            .into_response();
    }
    if login.username != username || login.password != password {
        book.stats.bad_credentials += 1;
        let nonce = book.token(seed, "l");
        let csrf = book.token(seed, "c");
        book.forms.insert(nonce.clone(), csrf.clone());
        let html = page(&csrf, Some("Invalid username or password."));
        return with_cookie(Html(html).into_response(), LOGIN_COOKIE, &nonce);
    }
    let session = book.token(seed, "s");
    book.sessions.insert(session.clone(), requests_per_session);
    book.stats.logins += 1;
    let response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/home")]).into_response();
    with_cookie(response, SESSION_COOKIE, &session)
}

fn page(csrf: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\">{e}</p>"))
        .unwrap_or_default();
    format!(
        "<!doctype html><html><head><title>Sign in</title></head><body>{error}\
         <form method=\"post\" action=\"{LOGIN_PATH}\">\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
         <input name=\"username\"><input type=\"password\" name=\"password\">\
         <button>Sign in</button></form></body></html>"
    )
}

fn with_cookie(mut response: Response, name: &str, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly")) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
