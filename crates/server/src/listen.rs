//! Serving HTTP under limits, so that slow or greedy
//! clients cannot hold it: at most `max_connections` connections at once
//! (further ones wait in the listen backlog), request headers within
//! `header_timeout` (hyper's header read timeout, idle keep-alive
//! connections included), each request's body and answer within
//! `request_timeout` (408), and bodies outside the webhooks up to
//! `max_api_body` (413; each webhook has its own `max_body`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower_http::limit::RequestBodyLimitLayer;

use crate::api::problem;

/// What the server allows one client (`holdfast serve`'s flags in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's headers (`--header-timeout`).
    pub header_timeout: Duration,
    /// Time to send a body and be answered (`--request-timeout`).
    pub request_timeout: Duration,
    /// Connections served at once (`--max-connections`).
    pub max_connections: usize,
    /// Largest body outside the webhooks (`--max-api-body`).
    pub max_api_body: usize,
}

impl Default for Limits {
    /// `holdfast serve`'s defaults: 10 s for headers, 30 s per request, 512
    /// connections, 1 MiB bodies.
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 512,
            max_api_body: 1 << 20,
        }
    }
}

impl Limits {
    /// Bounds the request bodies of `routes` by `max_api_body`: a larger
    /// `Content-Length` is answered 413 before the handler runs, and a
    /// chunked body stops being read past the limit.
    pub(crate) fn bound_bodies(&self, routes: Router) -> Router {
        routes
            .layer(RequestBodyLimitLayer::new(self.max_api_body))
            .layer(middleware::map_response_with_state(
                self.max_api_body,
                explain_too_large,
            ))
    }

    /// Bounds every request of `app` (reading its body, answering it) by
    /// `request_timeout`: past it the client gets 408 and, its body unread,
    /// the connection is closed.
    pub(crate) fn bound_time(&self, app: Router) -> Router {
        app.layer(middleware::from_fn_with_state(
            self.request_timeout,
            deadline,
        ))
    }
}

/// Serves `app` on `listener` under `limits` until `stop` is cancelled;
/// then stops accepting and lets open requests finish (at most a header and
/// a request timeout; connections still open after that are dropped).
/// Every connection is a task of this one's own set, reaped as it ends.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stop: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut connections = JoinSet::new();
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    loop {
        // a slot first: at the limit, new connections wait in the backlog
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            Some(ended) = connections.join_next(), if !connections.is_empty() => {
                reaped(ended);
                continue;
            }
            () = stop.cancelled() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection closed on an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    let grace = limits.header_timeout + limits.request_timeout;
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace = %humantime::format_duration(grace),
            connections = connections.len(),
            "connections still open at shutdown were dropped"
        );
        connections.shutdown().await;
    }
    while let Some(ended) = connections.join_next().await {
        reaped(ended);
    }
}

/// Logs a connection task that panicked (hyper turns a handler's panic
/// into a closed connection; this is for the rest).
fn reaped(ended: Result<(), tokio::task::JoinError>) {
    if let Err(e) = ended
        && e.is_panic()
    {
        tracing::error!(error = %e, "a connection task panicked");
    }
}

/// Answers 408 when `next` takes longer than `timeout`.
async fn deadline(
    axum::extract::State(timeout): axum::extract::State<Duration>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            let limit = humantime::format_duration(timeout);
            tracing::warn!(path, limit = %limit, "request not read and answered in time");
            problem(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request was not read and answered within {limit} \
                     (`holdfast serve --request-timeout`); send the whole body at once"
                ),
            )
        }
    }
}

/// Turns the plain-text 413 of the body limit into the API's JSON error,
/// naming the limit and the flag that sets it.
async fn explain_too_large(
    axum::extract::State(limit): axum::extract::State<usize>,
    response: Response,
) -> Response {
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the request body is over {limit} bytes (`holdfast serve --max-api-body`); \
             send less, or raise the limit"
        ),
    )
}

/// A failed `accept`: a client that gave up is nothing; anything else (no
/// file descriptors left, say) is logged and waited out for a moment.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(
        error = %e,
        "cannot accept connections (file descriptors exhausted? raise `ulimit -n` \
         or lower --max-connections); trying again in 1 s"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
}
