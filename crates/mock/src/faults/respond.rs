//! The response each fault produces; every one of them is free of real records.

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;

use super::profile::{Fault, FaultProfile};
use crate::error::ApiError;

/// The body of an `html` fault: what an expired SSO session typically serves.
const LOGIN_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\
<body><h1>Sign in to continue</h1><form method=\"post\" action=\"/login\">\
<input name=\"email\"><input name=\"password\" type=\"password\">\
<button>Sign in</button></form></body></html>\n";
/// The body of an `error_body` fault.
const ERROR_BODY: &str =
    r#"{"success": false, "error": {"code": "INTERNAL", "message": "try again"}}"#;
/// The body of a `malformed` fault.
const MALFORMED: &str = r#"{"data": [{"id": 1,,]"#;
/// How long a truncated body pauses before aborting, so its first half is flushed.
const FLUSH_PAUSE: Duration = Duration::from_millis(20);

/// A `429` asking the client to wait `wait`, in seconds (rounded up) or as an HTTP date
/// (rounded up to the next second). Also returns how long the client must really wait.
pub(crate) fn too_many(wait: Duration, http_date: bool) -> (Response, Duration) {
    let (value, enforced) = if http_date {
        let now = Utc::now();
        let at = now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX);
        let whole = at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0);
        let at = DateTime::from_timestamp(whole, 0).unwrap_or(at);
        let enforced = (at - now).to_std().unwrap_or(wait);
        (at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(), enforced)
    } else {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        (secs.to_string(), Duration::from_secs(secs))
    };
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, "too many requests");
    if let Ok(value) = HeaderValue::try_from(value) {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    (response, enforced)
}

/// The response of every fault but [`Fault::TooMany`] (see [`too_many`]); `req` and `next`
/// produce the real response that [`Fault::Truncated`] cuts.
pub(crate) async fn respond(
    fault: Fault,
    profile: &FaultProfile,
    req: Request,
    next: Next,
) -> Response {
    match fault {
        // The data layer answers these itself, to note the Retry-After deadline.
        Fault::TooMany => too_many(profile.retry_after, profile.retry_after_http_date).0,
        Fault::ServerError => error(StatusCode::INTERNAL_SERVER_ERROR, "internal server error"),
        Fault::Unavailable | Fault::Down => {
            error(StatusCode::SERVICE_UNAVAILABLE, "service unavailable")
        }
        Fault::Slow => {
            tokio::time::sleep(profile.slow_delay).await;
            error(StatusCode::GATEWAY_TIMEOUT, "gateway timeout")
        }
        Fault::Dropped => {
            // A body that fails before its first byte makes hyper close the connection
            // without writing the status line.
            let fail = futures::stream::once(async { Err::<Bytes, _>(aborted("dropped")) });
            Body::from_stream(fail).into_response()
        }
        Fault::Html => ([(CONTENT_TYPE, "text/html; charset=utf-8")], LOGIN_PAGE).into_response(),
        Fault::ErrorBody => ([(CONTENT_TYPE, "application/json")], ERROR_BODY).into_response(),
        Fault::Malformed => ([(CONTENT_TYPE, "application/json")], MALFORMED).into_response(),
        Fault::Truncated => truncate(next.run(req).await).await,
    }
}

/// The first half of `response`'s body (of its first chunk if its length is unknown),
/// then an aborted connection.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let full = body.size_hint().exact();
    let mut chunks = body.into_data_stream();
    let mut head = Vec::new();
    let mut target = full.map(|n| usize::try_from(n / 2).unwrap_or(usize::MAX));
    while let Some(Ok(chunk)) = chunks.next().await {
        let want = *target.get_or_insert(chunk.len() / 2);
        let take = want.saturating_sub(head.len()).min(chunk.len());
        head.extend_from_slice(&chunk[..take]);
        if head.len() >= want {
            break;
        }
    }
    drop(chunks);
    parts.headers.remove(CONTENT_LENGTH);
    if let Some(full) = full {
        parts
            .headers
            .insert(CONTENT_LENGTH, HeaderValue::from(full));
    }
    let cut = futures::stream::once(async move { Ok(Bytes::from(head)) }).chain(
        futures::stream::once(async {
            tokio::time::sleep(FLUSH_PAUSE).await;
            Err(aborted("truncated"))
        }),
    );
    Response::from_parts(parts, Body::from_stream(cut))
}

fn aborted(fault: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        format!("{fault} by fault injection"),
    )
}

fn error(status: StatusCode, message: &str) -> Response {
    ApiError {
        status,
        message: message.to_owned(),
    }
    .into_response()
}
