//! The transport's side of a [`Tape`](crate::tape::Tape): keeping an
//! exchange after it happened, or answering from a cassette instead of
//! the network.

use std::time::Instant;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::Transport;
use crate::tape::{Cassette, Recorder};
use crate::{HttpError, HttpErrorKind, HttpRequest, HttpResponse};

/// How many bytes of a replayed download stay in memory, for messages.
const HEAD: usize = 512;

/// Keeps the exchange just made; a body saved to a file is read back from it.
pub(super) async fn record(
    transport: &Transport,
    recorder: &Recorder,
    request: &HttpRequest,
    (status, headers): (u16, &HeaderMap),
    body: &Bytes,
    started: Instant,
) {
    let body = match &request.save_to {
        Some(save) if (200..300).contains(&status) => match tokio::fs::read(&save.path).await {
            Ok(bytes) => Bytes::from(bytes),
            Err(e) => {
                tracing::warn!(path = %save.path.display(), error = %e, "could not read a download back for the cassette");
                body.clone()
            }
        },
        _ => body.clone(),
    };
    recorder.keep(
        &transport.connection,
        request,
        status,
        headers,
        body,
        started.elapsed(),
        &transport.redactor,
    );
}

/// The cassette's answer to `request`, or a refusal naming the request it
/// does not hold (never retried: replay is strict).
pub(super) async fn replay(
    transport: &Transport,
    cassette: &Cassette,
    request: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let started = Instant::now();
    let Some(exchange) = cassette.answer(&transport.connection, &request, &transport.redactor)
    else {
        return Err(transport.fail(
            &request,
            HttpErrorKind::Refused,
            None,
            "is not in the cassette: the connector asked for a request that was not \
             recorded (replay is strict). If the connector changed on purpose, record \
             again with `holdfast record STREAM`",
        ));
    };
    let mut headers = HeaderMap::new();
    for (k, v) in &exchange.response_headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::try_from(k.as_str()),
            HeaderValue::try_from(v.as_str()),
        ) {
            // The body is stored decoded: its length and encoding are not the recorded ones.
            if k != reqwest::header::CONTENT_ENCODING && k != reqwest::header::CONTENT_LENGTH {
                headers.append(k, v);
            }
        }
    }
    let mut saved = None;
    let mut body = exchange.body.clone();
    if let Some(save) = &request.save_to
        && (200..300).contains(&exchange.status)
    {
        tokio::fs::write(&save.path, &body).await.map_err(|e| {
            transport.fail(
                &request,
                HttpErrorKind::Request,
                Some(exchange.status),
                &format!("could not write {}: {e}", save.path.display()),
            )
        })?;
        saved = Some(body.len() as u64);
        body = body.slice(..body.len().min(HEAD));
    }
    Ok(HttpResponse {
        status: exchange.status,
        headers,
        body,
        saved,
        json: None,
        skipped: false,
        url: request.url,
        redirected_to: None,
        elapsed: started.elapsed(),
    })
}
