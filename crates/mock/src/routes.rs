//! The route table, and the layer every data endpoint passes: bookkeeping, latency, auth,
//! rate limit, faults.

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Uri;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::config::MockAuth;
use crate::error::ApiError;
use crate::faults::{self, Fault};
use crate::state::{MockState, Verdict};
use crate::{admin, app, notes, pages, portal};

/// The mock's routes over `state`; serve it yourself or use [`MockServer`](crate::MockServer).
pub fn router(state: MockState) -> Router {
    let data = Router::new()
        .route("/v2/contacts", get(pages::v2))
        .route("/v2/contacts/deleted", get(pages::deleted))
        .route("/v1/contacts", get(v1))
        .route("/v3/contacts", get(crate::export::list))
        .route("/v2/contacts/{id}/deals", get(pages::contact_deals))
        .route("/v2/contacts/search", post(crate::search::search))
        .route("/v2/contacts.csv", get(crate::formats::csv))
        .route("/v2/contacts.jsonl", get(crate::formats::jsonl))
        .route("/v2/contacts.xml", get(crate::formats::xml))
        .route("/v2/notes", post(notes::create))
        .route("/v2/exports", post(crate::bulk::create))
        .route("/v2/exports/{id}", get(crate::bulk::status))
        .route("/{style}/contacts", get(pages::list))
        .route("/api/session", get(app::session))
        .route("/api/contacts", get(app::contacts))
        .route("/api/contacts/{id}", get(app::contact))
        .route_layer(middleware::from_fn_with_state(state.clone(), data_layer));
    Router::new()
        .merge(data)
        .route(portal::LOGIN_PATH, get(portal::form).post(portal::login))
        .route("/home", get(app::home))
        .route("/static/app.js", get(app::script))
        .route("/static/app.css", get(app::style))
        .route("/static/logo.png", get(app::logo))
        .route("/_mock/stats", get(admin::stats))
        .route("/_mock/portal", get(admin::portal))
        .route("/_mock/notes", get(notes::log))
        .route("/_mock/exports", get(crate::bulk::log))
        .route("/v2/exports/{id}/files/{n}", get(crate::bulk::file))
        .route("/_mock/requests", get(admin::requests))
        .route("/_mock/touch", post(admin::touch))
        .route("/_mock/delete", post(admin::delete))
        .route("/_mock/edit", post(admin::edit))
        .route("/_mock/reset", post(admin::reset))
        .route("/_mock/shape", post(admin::shape))
        .route("/healthz", get(admin::healthz))
        .fallback(not_found)
        .with_state(state)
}

/// Counts the request, waits the configured latency, checks auth, then applies the rate
/// limit, the down window and the fault draw, in that order.
async fn data_layer(State(state): State<MockState>, req: Request, next: Next) -> Response {
    // The body is read here so that the request log shows it.
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let req = Request::from_parts(parts, axum::body::Body::from(body.clone()));
    let ticket = state.record(&req, &body);
    let latency = state.config().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if req.uri().path().starts_with(app::API) {
        // The web app's API: a session cookie or its bearer token, never a redirect.
        if !app::admit(&state, &req) {
            state.answered(ticket, Some(401), false);
            return ApiError::unauthorized().into_response();
        }
    } else if matches!(state.config().auth, Some(MockAuth::Session { .. })) {
        if !state.portal().admit(req.headers()) {
            state.answered(ticket, Some(302), false);
            return portal::to_login();
        }
    } else if let Some(credential) = state.credential()
        && !credential.allows(&req)
    {
        state.answered(ticket, Some(401), false);
        return ApiError::unauthorized().into_response();
    }
    let profile = &state.config().faults;
    let verdict = state.verdict(ticket);
    let (response, page) = match verdict {
        Verdict::Serve(budget) => {
            let mut response = next.run(req).await;
            if let Some(b) = budget {
                let headers = response.headers_mut();
                let reset = b.reset.as_secs_f64().ceil() as u64;
                for (name, value) in [
                    ("x-ratelimit-limit", b.limit.to_string()),
                    ("x-ratelimit-remaining", b.remaining.to_string()),
                    ("x-ratelimit-reset", reset.to_string()),
                ] {
                    if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
                        headers.insert(name, v);
                    }
                }
            }
            let page = response.status().is_success();
            (response, page)
        }
        Verdict::Limited(wait) => (too_many(&state, wait), false),
        Verdict::Fault(Fault::TooMany) => (too_many(&state, profile.retry_after), false),
        Verdict::Fault(fault) => (faults::respond(fault, profile, req, next).await, false),
    };
    // A dropped connection answers no status at all.
    let dropped = verdict == Verdict::Fault(Fault::Dropped);
    state.answered(ticket, (!dropped).then(|| response.status().as_u16()), page);
    response
}

/// A 429 asking for `wait`, noted so that earlier retries count as violations.
fn too_many(state: &MockState, wait: Duration) -> Response {
    let (response, enforced) = faults::too_many(wait, state.config().faults.retry_after_http_date);
    state.asked_to_wait(enforced);
    response
}

/// The old API version: the same listing as `/v2/contacts`, announcing its
/// retirement with `Deprecation` (RFC 9745) and `Sunset` (RFC 8594) headers.
async fn v1(state: State<MockState>, query: axum::extract::RawQuery) -> Response {
    let mut response = pages::v2(state, query).await.into_response();
    let headers = response.headers_mut();
    headers.insert(
        "deprecation",
        axum::http::HeaderValue::from_static(V1_DEPRECATED),
    );
    headers.insert("sunset", axum::http::HeaderValue::from_static(V1_SUNSET));
    response
}

/// When `/v1/contacts` was deprecated (2026-01-01, as an RFC 9745 date).
pub const V1_DEPRECATED: &str = "@1767225600";
/// When `/v1/contacts` goes away (an HTTP-date).
pub const V1_SUNSET: &str = "Wed, 01 Jul 2026 00:00:00 GMT";

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for `{}`", uri.path()))
}
