//! The dashboard: one HTML page, its script and its style sheet, compiled
//! into the binary (no build step, no CDN) and served open at `/` and
//! `/assets/…`; the page asks for the admin token and reads `/api/`.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const INDEX: &str = include_str!("index.html");
const APP: &str = include_str!("app.js");
const STREAM: &str = include_str!("stream.js");
const STYLE: &str = include_str!("style.css");

/// A strict policy: only this origin's script, style, images and API.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

/// `/`, `/assets/app.js`, `/assets/stream.js` and `/assets/style.css`.
pub(crate) fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/assets/app.js", get(app))
        .route("/assets/stream.js", get(stream))
        .route("/assets/style.css", get(style))
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
}

/// `GET /`: the dashboard page.
async fn index() -> impl IntoResponse {
    asset("text/html; charset=utf-8", INDEX)
}

/// `GET /assets/app.js`.
async fn app() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", APP)
}

/// `GET /assets/stream.js`: the stream view.
async fn stream() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", STREAM)
}

/// `GET /assets/style.css`.
async fn style() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLE)
}
