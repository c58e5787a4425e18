//! Issue 13: credentials go only to their connection's origin, and bodies
//! are read with a size limit.
//!
//! A hostile API on one port of 127.0.0.1 hands out URLs to a listener on
//! another port (a next URL in the body, a `Link` header, a redirect, a
//! record value used as a child's path), for every kind of auth. The
//! listener must receive nothing, each run must fail with a message naming
//! the stream and the URL, and nothing the listener would send is stored.
//! With the listener under `allowed_hosts:`, it is reached without any
//! credential or header of the connection.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::{Sandbox, runs};
use serde_json::{Value, json};

/// Credentials and header values that must never reach the listener.
const SECRETS: [&str; 6] = [
    "bearer-secret-1",
    "basic-pass-2",
    "header-key-3",
    "query-key-4",
    "tenant-header-5",
    "oauth-token-6",
];

/// What a listener saw: the path with query, and the headers.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, HeaderMap)>>>);

impl Seen {
    fn all(&self) -> Vec<(String, HeaderMap)> {
        self.0.lock().expect("seen").clone()
    }
}

async fn bind(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// The listener on another port: answers anything with a record of its own.
async fn listener(seen: Seen) -> String {
    let app = Router::new().fallback(move |request: Request| {
        let seen = seen.clone();
        async move {
            let uri = request.uri().to_string();
            seen.0
                .lock()
                .expect("seen")
                .push((uri, request.headers().clone()));
            axum::Json(json!({ "data": [ { "id": 666, "from": "listener" } ], "next": null }))
        }
    });
    bind(app).await
}

/// The hostile API: every answer points at `away`.
async fn hostile(away: String) -> String {
    let a = away.clone();
    let b = away.clone();
    let c = away.clone();
    let d = away.clone();
    let app = Router::new()
        .route(
            "/next_url",
            get(move || {
                let away = a.clone();
                async move {
                    axum::Json(json!({
                        "data": [ { "id": 1 }, { "id": 2 } ],
                        "next": format!("{away}/steal?page=2"),
                    }))
                }
            }),
        )
        .route(
            "/link",
            get(move || {
                let away = b.clone();
                async move {
                    (
                        [(header::LINK, format!("<{away}/steal?page=2>; rel=\"next\""))],
                        axum::Json(json!({ "data": [ { "id": 1 } ] })),
                    )
                }
            }),
        )
        .route(
            "/redirect",
            get(move || {
                let away = c.clone();
                async move {
                    (
                        StatusCode::FOUND,
                        [(header::LOCATION, format!("{away}/steal"))],
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/redirect307",
            get(move || {
                let away = d.clone();
                async move {
                    (
                        StatusCode::TEMPORARY_REDIRECT,
                        [(header::LOCATION, format!("{away}/steal"))],
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/parents",
            get(move || {
                let away = away.clone();
                async move {
                    axum::Json(json!({ "data": [ { "id": 7, "link": format!("{away}/steal") } ] }))
                }
            }),
        )
        .route(
            "/oauth/token",
            post(|| async {
                axum::Json(json!({
                    "access_token": "oauth-token-6", "token_type": "Bearer", "expires_in": 3600
                }))
            }),
        )
        .route(
            "/login",
            post(|| async {
                (
                    [(header::SET_COOKIE, "sid=session-cookie-7; Path=/")],
                    "welcome",
                )
            }),
        );
    bind(app).await
}

/// One connection per kind of auth, each with a pinned header.
fn connections(base: &str, extra: &str) -> String {
    let auths = [
        (
            "bearer",
            "{ type: bearer, token: bearer-secret-1 }".to_owned(),
        ),
        (
            "basic",
            "{ type: basic, username: u, password: basic-pass-2 }".to_owned(),
        ),
        (
            "key_header",
            "{ type: api_key, name: X-Api-Key, value: header-key-3 }".to_owned(),
        ),
        (
            "key_query",
            "{ type: api_key, name: api_key, value: query-key-4, in: query }".to_owned(),
        ),
        (
            "oauth",
            "{ type: oauth2, grant: client_credentials, token_url: /oauth/token, \
             client_id: c, client_secret: s }"
                .to_owned(),
        ),
        (
            "session",
            "{ type: session, login: [ { method: POST, path: /login, form: { user: u } } ] }"
                .to_owned(),
        ),
    ];
    let mut yaml = String::from("connections:\n");
    for (name, auth) in auths {
        write!(
            yaml,
            "  {name}:\n    base_url: \"{base}\"\n    headers: {{ X-Tenant: tenant-header-5 }}\n    \
             retry: {{ attempts: 2, initial: 10ms, max: 20ms }}\n    auth: {auth}\n{extra}"
        )
        .expect("write");
    }
    yaml
}

const AUTH_KINDS: [&str; 6] = [
    "bearer",
    "basic",
    "key_header",
    "key_query",
    "oauth",
    "session",
];

fn stream(name: &str, connection: &str, path: &str, paginate: &str) -> String {
    format!(
        "  {name}:\n    connection: {connection}\n    request: {{ path: \"{path}\" }}\n    \
         paginate: {paginate}\n    records: \"$.data[*]\"\n    primary_key: id\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_urls_that_leave_the_origin_are_never_requested() {
    let seen = Seen::default();
    let away = listener(seen.clone()).await;
    let base = hostile(away.clone()).await;
    let mut yaml = connections(&base, "");
    yaml.push_str("streams:\n");
    let mut names = Vec::new();
    for conn in AUTH_KINDS {
        let cases = [
            (
                "next",
                "/next_url",
                "{ type: next_url, next: \"$.next\" }".to_owned(),
            ),
            ("link", "/link", "{ type: link_header }".to_owned()),
            ("redirect", "/redirect", "{ type: none }".to_owned()),
            ("redirect307", "/redirect307", "{ type: none }".to_owned()),
            ("parents", "/parents", "{ type: none }".to_owned()),
        ];
        for (case, path, paginate) in cases {
            let name = format!("{conn}_{case}");
            yaml.push_str(&stream(&name, conn, path, &paginate));
            names.push(name);
        }
        // A child whose path the file itself points at another host (a record
        // value in it is one encoded segment, and cannot move it anywhere).
        write!(
            yaml,
            "  {conn}_child:\n    connection: {conn}\n    for_each: {{ stream: {conn}_parents, as: p }}\n    \
             request: {{ path: \"{away}/steal/{{{{ p.id }}}}\" }}\n    records: \"$.data[*]\"\n    primary_key: id\n"
        )
        .expect("write");
        names.push(format!("{conn}_child"));
    }
    let sandbox = Sandbox::new();
    sandbox.write_config(&yaml);
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(1);

    assert!(
        seen.all().is_empty(),
        "the listener on another port received requests: {:?}",
        seen.all().iter().map(|(u, _)| u).collect::<Vec<_>>()
    );
    let text = out.all_text();
    for secret in SECRETS {
        assert!(!text.contains(secret), "`{secret}` in the output:\n{text}");
    }
    let pool = sandbox.pool().await;
    let all = runs(&pool).await;
    for name in &names {
        let run = all
            .iter()
            .find(|r| &r.stream == name)
            .unwrap_or_else(|| panic!("no run of {name}: {all:?}\n{out}"));
        let parent = name.ends_with("_parents");
        assert_eq!(
            run.outcome,
            if parent { "succeeded" } else { "failed" },
            "{name}: {run:?}\n{out}"
        );
        if parent {
            continue;
        }
        let line = text
            .lines()
            .find(|l| l.contains(&format!("sync {name}:")) && l.contains("origin"))
            .unwrap_or_else(|| panic!("no line names `{name}` and the origin:\n{text}"));
        assert!(
            line.contains(&format!("{away}/steal")),
            "{name}: the message names the URL: {line}"
        );
        assert!(
            line.contains("allowed_hosts"),
            "{name}: the message says how to allow it: {line}"
        );
        // Nothing the listener would answer is stored; the page pointing away is not either.
        let stored: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{name}'"
        )))
        .fetch_one(&pool)
        .await
        .expect("query");
        if stored == 1 {
            let from_listener: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM \"{name}\" WHERE id = 666"
            )))
            .fetch_one(&pool)
            .await
            .expect("query");
            assert_eq!(from_listener, 0, "{name} stored the listener's record");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_allowed_hosts_are_reached_without_credentials_or_headers() {
    let seen = Seen::default();
    let away = listener(seen.clone()).await;
    let base = hostile(away.clone()).await;
    let port = away.rsplit(':').next().expect("port");
    let mut yaml = connections(
        &base,
        &format!("    allowed_hosts: [\"127.0.0.1:{port}\"]\n"),
    );
    yaml.push_str("streams:\n");
    let mut expected = 0;
    for conn in AUTH_KINDS {
        yaml.push_str(&stream(
            &format!("{conn}_next"),
            conn,
            "/next_url",
            "{ type: next_url, next: \"$.next\" }",
        ));
        yaml.push_str(&stream(
            &format!("{conn}_link"),
            conn,
            "/link",
            "{ type: link_header }",
        ));
        yaml.push_str(&stream(
            &format!("{conn}_redirect"),
            conn,
            "/redirect",
            "{ type: none }",
        ));
        expected += 3;
    }
    let sandbox = Sandbox::new();
    sandbox.write_config(&yaml);
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    let requests = seen.all();
    assert_eq!(requests.len(), expected, "{out}");
    for (uri, headers) in &requests {
        for (name, value) in headers {
            let value = value.to_str().unwrap_or_default();
            for secret in SECRETS.iter().chain(&["session-cookie-7"]) {
                assert!(
                    !value.contains(secret),
                    "{uri}: header {name} carried `{secret}`"
                );
            }
        }
        for banned in ["authorization", "x-api-key", "x-tenant", "cookie"] {
            assert!(!headers.contains_key(banned), "{uri}: {banned} was sent");
        }
        assert!(
            !uri.contains("query-key-4"),
            "{uri}: the query key was sent"
        );
    }
    let pool = sandbox.pool().await;
    for conn in AUTH_KINDS {
        for case in ["next", "link", "redirect"] {
            let ids = common::ids(&pool, &format!("{conn}_{case}")).await;
            assert!(
                ids.contains(&666),
                "{conn}_{case}: the allowed host's record is stored: {ids:?}"
            );
        }
    }
}

/// Serves bodies that never fit: 1 GB streamed without a length, an endless
/// stream, and a 1 GB `Content-Length` announced up front.
async fn oversized() -> String {
    fn chunks(count: Option<usize>) -> Body {
        let chunk = bytes_chunk();
        let stream = futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
        match count {
            Some(n) => Body::from_stream(futures::StreamExt::take(stream, n)),
            None => Body::from_stream(stream),
        }
    }
    let app = Router::new()
        .route("/huge", get(|| async { json_response(chunks(Some(1000))) }))
        .route("/endless", get(|| async { json_response(chunks(None)) }))
        .route(
            "/declared",
            get(|| async {
                Response::builder()
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::CONTENT_LENGTH, "1000000000")
                    .body(chunks(Some(1000)))
                    .expect("response")
            }),
        );
    bind(app).await
}

/// A million bytes of a JSON array's inside.
fn bytes_chunk() -> axum::body::Bytes {
    let record = "{\"id\": 1, \"name\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},";
    let mut s = String::with_capacity(1_000_000);
    while s.len() + record.len() <= 1_000_000 {
        s.push_str(record);
    }
    while s.len() < 1_000_000 {
        s.push(' ');
    }
    axum::body::Bytes::from(s)
}

fn json_response(body: Body) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .expect("response")
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_bodies_over_the_limit_fail_with_memory_bounded() {
    let base = oversized().await;
    let mut yaml = format!(
        "connections:\n  api:\n    base_url: \"{base}\"\n    retry: {{ attempts: 1 }}\n  \
         small:\n    base_url: \"{base}\"\n    max_response: 1MB\n    retry: {{ attempts: 1 }}\nstreams:\n"
    );
    for (name, conn, path) in [
        ("huge", "api", "/huge"),
        ("endless", "api", "/endless"),
        ("declared", "api", "/declared"),
        ("small_endless", "small", "/endless"),
    ] {
        yaml.push_str(&stream(name, conn, path, "{ type: none }"));
    }
    let sandbox = Sandbox::new();
    sandbox.write_config(&yaml);
    let out = sandbox
        .run(&["sync", "--json", "--streams-at-once", "1"])
        .await;
    out.expect_code(1);
    let result: Value = serde_json::from_str(out.stdout.trim()).expect("json");
    for stream in result["streams"].as_array().expect("streams") {
        assert_eq!(stream["outcome"], "failed", "{stream}");
        let error = stream["error"].as_str().expect("error");
        assert!(error.contains("max_response"), "{error}");
    }
    let text = out.all_text();
    assert!(
        text.contains("over the connection's limit of 64.0 MB"),
        "{text}"
    );
    assert!(text.contains("of 1000000000 bytes, over"), "{text}");
    assert!(text.contains("limit of 1.0 MB"), "{text}");
    let peak = result["peak_rss_bytes"].as_u64().expect("peak rss");
    eprintln!(
        "peak RSS reading a 1 GB body and an endless stream with max_response 64 MB: {} MB",
        peak / 1_000_000
    );
    assert!(
        peak < 200_000_000,
        "memory stays bounded by the limit: peak {peak} bytes"
    );
}
