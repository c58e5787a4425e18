//! `holdfast serve` against slow and greedy clients (issue 13): connections
//! that send part of a request and hold are closed after the header timeout
//! and do not keep a genuine webhook out; a body trickled byte by byte is
//! cut off at the request timeout; every route bounds the body it reads.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::time::{Duration, Instant};

use common::{Sandbox, Serve, local_client, post, wait_drained};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const SECRET: &str = "issue-13-slow-clients";
const TOKEN: &str = "issue-13-admin-token";
/// Connections that send part of a request, then hold.
const HALF_OPEN: usize = 300;

/// One webhook (HMAC-SHA256 of the body in `X-Signature`) into `contacts`,
/// and one action; the connection is never called.
const CONFIG: &str = r#"
connections:
  crm: { base_url: "http://127.0.0.1:9" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    map: { email: "$.email" }
webhooks:
  crm_events:
    path: /hooks/crm
    verify: { scheme: hmac_sha256, secret: "{{ env.HOOK_SECRET }}", header: X-Signature, encoding: hex }
    event_id: "$.id"
    route: [ { stream: contacts, record: "$.data" } ]
actions:
  create_note:
    connection: crm
    request: { method: POST, path: /v2/notes, json: "{{ input }}" }
"#;

fn env() -> [(&'static str, &'static str); 2] {
    [("HOOK_SECRET", SECRET), ("HOLDFAST_ADMIN_TOKEN", TOKEN)]
}

fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_config(CONFIG);
    sandbox
}

/// A contact event and its `X-Signature` header.
fn signed_event(id: &str, contact: i64) -> (String, Vec<(String, String)>) {
    let body =
        json!({ "id": id, "data": { "id": contact, "email": format!("c{contact}@example.com") } })
            .to_string();
    (body.clone(), vec![("X-Signature".to_owned(), sign(&body))])
}

fn sign(body: &str) -> String {
    common::hmac_sha256_hex(SECRET, body.as_bytes())
}

fn addr(serve: &Serve) -> String {
    serve
        .url
        .strip_prefix("http://")
        .expect("http URL")
        .to_owned()
}

/// Whether the server closed `stream`: a read gives EOF or a reset.
/// `None` while it is open with nothing to read.
fn closed_now(stream: &TcpStream) -> Option<bool> {
    let mut buf = [0u8; 256];
    match stream.try_read(&mut buf) {
        Ok(0) => Some(true),
        Ok(_) => Some(false),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(_) => Some(true),
    }
}

/// Reads until the server closes `stream` (EOF or reset), at most `limit`;
/// what it sent.
async fn read_to_close(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Sends `head` (and `body`) on a new connection and reads the answer to
/// the end: its status and body.
async fn raw_request(addr: &str, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("send head");
    stream.write_all(body).await.expect("send body");
    let got = read_to_close(&mut stream, Duration::from_secs(30))
        .await
        .unwrap_or_else(|| panic!("no answer, or the connection kept open, after {head:?}"));
    let text = String::from_utf8_lossy(&got).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_half_open_connections_do_not_keep_a_webhook_out() {
    let sandbox = sandbox();
    let header_timeout = Duration::from_secs(8);
    let serve = Serve::start(&sandbox, &["--header-timeout", "8s"], &env()).await;
    let addr = addr(&serve);

    let opened_at = Instant::now();
    let mut held = Vec::with_capacity(HALF_OPEN);
    for i in 0..HALF_OPEN {
        let mut stream = TcpStream::connect(&addr)
            .await
            .unwrap_or_else(|e| panic!("half-open connection {i}: {e}"));
        stream
            .write_all(b"POST /hooks/crm HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Signature: ")
            .await
            .expect("send part of a request");
        held.push(stream);
    }
    let opened = opened_at.elapsed();

    let (body, headers) = signed_event("evt-genuine", 7);
    let sent_at = Instant::now();
    let (status, answer) = post(
        &local_client(),
        &format!("{}/hooks/crm", serve.url),
        &headers,
        body,
    )
    .await
    .expect("the genuine webhook is answered");
    let answered = sent_at.elapsed();
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("queued")),
        "{answer}"
    );
    let still_open = held.iter().filter(|s| closed_now(s).is_none()).count();
    eprintln!(
        "{HALF_OPEN} half-open connections opened in {opened:?}; the genuine webhook was \
         accepted in {answered:?} with {still_open} of them still held"
    );
    assert_eq!(
        still_open, HALF_OPEN,
        "accepted while every half-open connection was still held open"
    );

    // every held connection is closed by the server after the header timeout
    let mut last_close = Duration::ZERO;
    for (i, stream) in held.iter_mut().enumerate() {
        let got = read_to_close(stream, header_timeout + Duration::from_secs(20))
            .await
            .unwrap_or_else(|| {
                panic!("half-open connection {i} still open long after the header timeout")
            });
        assert!(
            got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
            "connection {i} got {:?}",
            String::from_utf8_lossy(&got)
        );
        last_close = last_close.max(opened_at.elapsed());
    }
    eprintln!(
        "all {HALF_OPEN} half-open connections were closed by the server {last_close:?} after \
         the first was opened (header timeout {header_timeout:?})"
    );
    assert!(
        last_close >= header_timeout,
        "closed by the header timeout, not before it: {last_close:?}"
    );

    // and the genuine event was applied
    let pool = sandbox.pool().await;
    wait_drained(&pool, Duration::from_secs(30)).await;
    let email: Option<String> = sqlx::query_scalar("SELECT email FROM contacts WHERE id = 7")
        .fetch_optional(&pool)
        .await
        .expect("read contacts");
    assert_eq!(email.as_deref(), Some("c7@example.com"));
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_a_trickled_body_is_cut_off() {
    let sandbox = sandbox();
    let serve = Serve::start(&sandbox, &["--request-timeout", "2s"], &env()).await;
    let body =
        json!({ "id": "evt-slow", "data": { "id": 8, "notes": "n".repeat(300) } }).to_string();
    let signature = sign(&body);
    let mut stream = TcpStream::connect(addr(&serve)).await.expect("connect");
    let head = format!(
        "POST /hooks/crm HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         X-Signature: {}\r\nContent-Length: {}\r\n\r\n",
        signature,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("send head");
    let (mut reader, mut writer) = stream.into_split();
    // one byte every 100 ms: the whole body would take over 30 s
    let bytes = body.into_bytes();
    let total = bytes.len();
    let trickle = tokio::spawn(async move {
        let mut sent = 0;
        for b in bytes {
            if writer.write_all(&[b]).await.is_err() {
                break;
            }
            sent += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        sent
    });
    let started = Instant::now();
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), reader.read_to_end(&mut got)).await;
    let took = started.elapsed();
    assert!(read.is_ok(), "the server never cut the slow body off");
    let sent = trickle.await.expect("trickle task");
    let text = String::from_utf8_lossy(&got);
    eprintln!("trickled body cut off after {took:?} ({sent} of {total} bytes sent)");
    assert!(
        text.starts_with("HTTP/1.1 408"),
        "408 for a body slower than --request-timeout: {text}"
    );
    assert!(
        text.contains("--request-timeout"),
        "the answer names the limit: {text}"
    );
    assert!(sent < total, "cut off before the body was complete");

    // nothing of it was queued
    let pool = sandbox.pool().await;
    let jobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _holdfast_jobs")
        .fetch_one(&pool)
        .await
        .expect("count jobs");
    assert_eq!(jobs, 0);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_every_route_bounds_its_body() {
    let sandbox = sandbox();
    let serve = Serve::start(&sandbox, &["--workers", "0"], &env()).await;
    let addr = addr(&serve);
    let over = 2 * 1024 * 1024;
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    // a Content-Length over the limit is refused before any body is read
    for (method, path) in [
        ("POST", "/api/actions/create_note"),
        ("POST", "/api/queue/retry"),
        ("POST", "/api/streams/contacts/sync"),
        ("GET", "/api/queue"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
    ] {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\n\
             Content-Length: {over}\r\nConnection: close\r\n\r\n"
        );
        let (status, body) = raw_request(&addr, &head, b"").await;
        assert_eq!(status, 413, "{method} {path}: {body}");
        let error: Value = serde_json::from_str(&body)
            .unwrap_or_else(|_| panic!("{method} {path}: a JSON error: {body:?}"));
        assert!(
            error["error"]
                .as_str()
                .is_some_and(|e| e.contains("--max-api-body")),
            "{method} {path}: {error}"
        );
    }
    // a chunked body is read only up to the limit (1 MiB by default)
    let limit = 1024 * 1024;
    let head = format!(
        "POST /api/actions/create_note HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
         {:x}\r\n",
        limit + 1
    );
    let (status, body) = raw_request(&addr, &head, &vec![b' '; limit + 1]).await;
    assert_eq!(status, 413, "chunked over the limit: {body}");
    // a webhook keeps its own `max_body` (1 MiB by default)
    let (event, headers) = signed_event("evt-big", 9);
    let head = format!(
        "POST /hooks/crm HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Signature: {}\r\n\
         Content-Length: {over}\r\nConnection: close\r\n\r\n",
        headers[0].1
    );
    let (status, body) = raw_request(&addr, &head, b"").await;
    assert_eq!(status, 413, "webhook over max_body: {body}");
    // requests under the limits still work
    let client = local_client();
    let (status, answer) = post(
        &client,
        &format!("{}/hooks/crm", serve.url),
        &headers,
        event,
    )
    .await
    .expect("POST webhook");
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = post(
        &client,
        &format!("{}/api/actions/create_note", serve.url),
        &[("Authorization".to_owned(), format!("Bearer {TOKEN}"))],
        json!({ "text": "x".repeat(500_000) }).to_string(),
    )
    .await
    .expect("POST action");
    assert_eq!(status, 202, "an action under the limit is queued: {answer}");
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_connections_over_the_limit_wait_for_a_free_slot() {
    let sandbox = sandbox();
    let limit = 20;
    let serve = Serve::start(
        &sandbox,
        &["--max-connections", "20", "--header-timeout", "3s"],
        &env(),
    )
    .await;
    let addr = addr(&serve);
    // every slot held by a connection that sends nothing
    let mut closes = tokio::task::JoinSet::new();
    for _ in 0..limit {
        let mut stream = TcpStream::connect(&addr).await.expect("connect");
        closes.spawn(async move {
            read_to_close(&mut stream, Duration::from_secs(30))
                .await
                .expect("closed by the server");
            Instant::now()
        });
    }
    // give the server time to accept them all, so the webhook comes after
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (body, headers) = signed_event("evt-waits", 11);
    let (status, answer) = post(
        &local_client(),
        &format!("{}/hooks/crm", serve.url),
        &headers,
        body,
    )
    .await
    .expect("the webhook is answered once a slot frees");
    let answered = Instant::now();
    assert_eq!(status, 200, "{answer}");
    let mut first_close = None::<Instant>;
    while let Some(closed) = closes.join_next().await {
        let closed = closed.expect("close task");
        first_close = Some(first_close.map_or(closed, |f| f.min(closed)));
    }
    let first_close = first_close.expect("connections were held");
    assert!(
        answered >= first_close,
        "the 21st connection was served only after the server closed a held one"
    );
    drop(serve);
}
