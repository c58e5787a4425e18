//! The proxy: every request gets its sequence number, draws a fault from
//! the profile, and is answered by the fault or forwarded to the target
//! (changed, delayed or duplicated as the fault says). Absolute URLs of the
//! target in answers (next-page links, `Location`, `Link`) are rewritten to
//! the proxy, so a client keeps going through it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;
use url::Url;

use crate::drift::drift;
use crate::{Fault, Profile};

/// What a proxy stands in front of and how it misbehaves.
#[derive(Debug, Clone)]
pub struct ChaosConfig {
    /// The API behind the proxy (scheme, host, port and a path prefix).
    pub target: Url,
    /// The faults.
    pub profile: Profile,
    /// The seed of rate-drawn faults: the same seed and request order give
    /// the same faults.
    pub seed: u64,
}

/// One request the proxy saw and what it did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Seen {
    /// 1 for the first request.
    pub seq: u64,
    /// When it arrived.
    pub at: DateTime<Utc>,
    /// Method.
    pub method: String,
    /// Path and query as received.
    pub target: String,
    /// The fault injected, if any (its [`Fault::name`]).
    pub fault: Option<&'static str>,
    /// The status answered (`None` when the answer was cut off or never sent).
    pub status: Option<u16>,
    /// Until when an injected `429` asked the client to wait.
    pub retry_after_until: Option<DateTime<Utc>>,
}

/// The proxy's log in numbers.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Requests received.
    pub requests: u64,
    /// Faults injected, by name.
    pub faults: BTreeMap<&'static str, u64>,
    /// Requests that arrived while an injected `429`'s `Retry-After` still
    /// ran (beyond a 100 ms allowance for requests already on their way).
    pub retry_after_violations: u64,
}

/// A running chaos proxy. Dropping it stops it.
pub struct Chaos {
    addr: SocketAddr,
    state: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Chaos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chaos")
            .field("addr", &self.addr)
            .field("profile", &self.state.config.profile.name)
            .finish()
    }
}

struct Shared {
    config: ChaosConfig,
    client: reqwest::Client,
    seq: AtomicU64,
    log: Mutex<Vec<Seen>>,
    /// The proxy's own origin, for rewriting links (set once bound).
    origin: String,
}

impl Chaos {
    /// Starts a proxy for `config` listening on `listen` (port 0 picks one).
    ///
    /// # Errors
    /// The address cannot be bound, or the HTTP client cannot be built.
    pub async fn start(config: ChaosConfig, listen: SocketAddr) -> std::io::Result<Chaos> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(std::io::Error::other)?;
        let state = Arc::new(Shared {
            config,
            client,
            seq: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            origin: format!("http://{addr}"),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "the chaos proxy stopped");
            }
        });
        Ok(Chaos {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by the target's path prefix: the
    /// base URL a client uses instead of the target's.
    pub fn url(&self) -> String {
        let path = self.state.config.target.path();
        format!("{}{}", self.state.origin, path.trim_end_matches('/'))
    }

    /// Every request seen so far, in arrival order.
    pub fn log(&self) -> Vec<Seen> {
        self.state
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The log in numbers.
    pub fn summary(&self) -> Summary {
        Summary::of(&self.log())
    }

    /// Stops listening and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Chaos {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Summary {
    /// Counts faults and `Retry-After` violations in `log` (one proxy's, or
    /// several proxies' together).
    pub fn of(log: &[Seen]) -> Summary {
        summarize(log)
    }
}

fn summarize(log: &[Seen]) -> Summary {
    let mut summary = Summary {
        requests: log.len() as u64,
        ..Summary::default()
    };
    let grace = chrono::Duration::milliseconds(100);
    let mut windows: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    let mut sorted: Vec<&Seen> = log.iter().collect();
    sorted.sort_by_key(|s| s.at);
    for seen in sorted {
        if let Some(fault) = seen.fault {
            *summary.faults.entry(fault).or_default() += 1;
        }
        if windows
            .iter()
            .any(|(from, until)| seen.at > *from + grace && seen.at < *until)
        {
            summary.retry_after_violations += 1;
        }
        if let Some(until) = seen.retry_after_until {
            windows.push((seen.at, until));
        }
    }
    summary
}

async fn handle(State(state): State<Arc<Shared>>, request: Request) -> Response {
    let seq = state.seq.fetch_add(1, Ordering::SeqCst) + 1;
    let at = Utc::now();
    let fault = state.config.profile.draw(seq, state.config.seed);
    let method = request.method().as_str().to_owned();
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    // Logged on arrival: a request the client gives up on (a timeout) is
    // dropped with its handler, and must still be counted.
    state
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Seen {
            seq,
            at,
            method,
            target,
            fault: fault.map(Fault::name),
            status: None,
            retry_after_until: None,
        });
    let (response, retry_after_until) = answer(&state, fault, request).await;
    let status = (!matches!(fault, Some(Fault::CutOff))).then(|| response.status().as_u16());
    let mut log = state.log.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(seen) = log.iter_mut().rev().find(|s| s.seq == seq) {
        seen.status = status;
        seen.retry_after_until = retry_after_until;
    }
    drop(log);
    response
}

fn json(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn answer(
    state: &Shared,
    fault: Option<Fault>,
    request: Request,
) -> (Response, Option<DateTime<Utc>>) {
    let profile = &state.config.profile;
    match fault {
        Some(Fault::TooMany) => {
            let secs = profile.retry_after.as_secs().max(1);
            let until = Utc::now() + chrono::Duration::seconds(secs as i64);
            let mut r = json(
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"error":"rate limited (chaos)"}"#,
            );
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return (r, Some(until));
        }
        Some(Fault::ServerError) => {
            return (
                json(
                    StatusCode::SERVICE_UNAVAILABLE,
                    r#"{"error":"service unavailable (chaos)"}"#,
                ),
                None,
            );
        }
        Some(Fault::Timeout) => {
            tokio::time::sleep(profile.hold).await;
            return (
                json(
                    StatusCode::GATEWAY_TIMEOUT,
                    r#"{"error":"gateway timeout (chaos)"}"#,
                ),
                None,
            );
        }
        Some(Fault::Html) => {
            let page = "<!doctype html><html><head><title>Sign in</title></head>\
                        <body><form action=\"/login\">Session expired</form></body></html>";
            return (
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    page,
                )
                    .into_response(),
                None,
            );
        }
        Some(Fault::ErrorBody) => {
            return (
                json(
                    StatusCode::OK,
                    r#"{"success":false,"error":{"code":"INTERNAL","message":"try again (chaos)"}}"#,
                ),
                None,
            );
        }
        Some(Fault::ExpiredToken) => {
            let mut r = json(
                StatusCode::UNAUTHORIZED,
                r#"{"error":"invalid_token","error_description":"the access token expired (chaos)"}"#,
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            return (r, None);
        }
        _ => {}
    }
    if fault == Some(Fault::Reorder) {
        tokio::time::sleep(profile.reorder_delay).await;
    }
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, 64 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => {
            return (
                (
                    StatusCode::BAD_REQUEST,
                    format!("chaos: could not read the request: {e}"),
                )
                    .into_response(),
                None,
            );
        }
    };
    let url = upstream_url(state, &parts.uri, fault == Some(Fault::PageCap));
    let send = || {
        let mut builder = state.client.request(parts.method.clone(), url.clone());
        for (k, v) in &parts.headers {
            if !matches!(
                k.as_str(),
                "host" | "content-length" | "connection" | "accept-encoding" | "transfer-encoding"
            ) {
                builder = builder.header(k, v);
            }
        }
        builder.body(body.clone()).send()
    };
    let upstream = match send().await {
        Ok(r) => r,
        Err(e) => {
            return (
                (
                    StatusCode::BAD_GATEWAY,
                    format!("chaos: the target did not answer: {e}"),
                )
                    .into_response(),
                None,
            );
        }
    };
    if fault == Some(Fault::Duplicate) {
        // The same delivery again; its answer is not the client's.
        let _ = send().await;
    }
    let status = upstream.status();
    let headers = forwarded_headers(state, upstream.headers());
    let bytes = match upstream.bytes().await {
        Ok(b) => b,
        Err(e) => {
            return (
                (
                    StatusCode::BAD_GATEWAY,
                    format!("chaos: the target's body failed: {e}"),
                )
                    .into_response(),
                None,
            );
        }
    };
    let mut bytes = rewrite_links(state, bytes);
    if fault == Some(Fault::FieldToObject)
        && status.is_success()
        && let Some(drifted) = drift(&bytes)
    {
        bytes = Bytes::from(drifted);
    }
    let body = match fault {
        Some(Fault::SlowBody) => slow(bytes),
        Some(Fault::CutOff) => cut_off(bytes),
        _ => Body::from(bytes),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    (response, None)
}

/// The target's URL for a request to the proxy: the target's prefix and
/// the request's path and query (the page size lowered for a page cap).
fn upstream_url(state: &Shared, uri: &axum::http::Uri, cap: bool) -> Url {
    let mut url = state.config.target.clone();
    url.set_path(uri.path());
    url.set_query(uri.query());
    if cap {
        let limit = state.config.profile.page_cap;
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let capped = matches!(
                    k.as_ref(),
                    "limit" | "_limit" | "per_page" | "page_size" | "pageSize"
                ) && v.parse::<u64>().is_ok_and(|n| n > limit);
                (
                    k.into_owned(),
                    if capped {
                        limit.to_string()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        if !pairs.is_empty() {
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    url
}

fn target_origin(state: &Shared) -> String {
    state.config.target.origin().ascii_serialization()
}

fn forwarded_headers(state: &Shared, upstream: &reqwest::header::HeaderMap) -> HeaderMap {
    let origin = target_origin(state);
    let mut out = HeaderMap::new();
    for (k, v) in upstream {
        if matches!(
            k.as_str(),
            "content-length" | "content-encoding" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        let value = match v.to_str() {
            Ok(text) if text.contains(&origin) => {
                HeaderValue::from_str(&text.replace(&origin, &state.origin)).unwrap_or(v.clone())
            }
            _ => v.clone(),
        };
        out.append(k.clone(), value);
    }
    out
}

fn rewrite_links(state: &Shared, bytes: Bytes) -> Bytes {
    let origin = target_origin(state);
    match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains(&origin) => Bytes::from(text.replace(&origin, &state.origin)),
        _ => bytes,
    }
}

/// The body in 8 pieces, 150 ms apart.
fn slow(bytes: Bytes) -> Body {
    let size = bytes.len().div_ceil(8).max(1);
    let pieces: Vec<Bytes> = (0..bytes.len())
        .step_by(size)
        .map(|i| bytes.slice(i..(i + size).min(bytes.len())))
        .collect();
    let stream = futures::stream::unfold(pieces.into_iter(), |mut rest| async move {
        let piece = rest.next()?;
        tokio::time::sleep(Duration::from_millis(150)).await;
        Some((Ok::<Bytes, std::io::Error>(piece), rest))
    });
    Body::from_stream(stream)
}

/// Half the body, then the connection cut (an error mid-body).
fn cut_off(bytes: Bytes) -> Body {
    let half = bytes.slice(..bytes.len() / 2);
    let pieces = vec![Ok(half), Err(std::io::Error::other("cut off (chaos)"))];
    Body::from_stream(futures::stream::iter(pieces))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(ms: i64, until_ms: Option<i64>) -> Seen {
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("time");
        Seen {
            seq: 0,
            at: t0 + chrono::Duration::milliseconds(ms),
            method: "GET".into(),
            target: "/".into(),
            fault: until_ms.map(|_| "429"),
            status: Some(200),
            retry_after_until: until_ms.map(|u| t0 + chrono::Duration::milliseconds(u)),
        }
    }

    #[test]
    fn requests_inside_a_retry_after_are_violations() {
        let log = vec![
            seen(0, Some(1000)),
            seen(50, None),   // already on its way: allowed
            seen(400, None),  // too early
            seen(1200, None), // after the wait
        ];
        let s = summarize(&log);
        assert_eq!(s.retry_after_violations, 1);
        assert_eq!(s.faults.get("429"), Some(&1));
        assert_eq!(s.requests, 4);
    }
}
