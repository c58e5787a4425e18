//! A replay server for the connector catalog's tests: a real HTTP server on
#![allow(dead_code)]
//! 127.0.0.1 that answers with the vendor-shaped responses kept in
//! `connectors/fixtures/<vendor>/*.json`, and records every request it saw.
//!
//! One fixture file is one exchange:
//!
//! ```json
//! {
//!   "source": ["https://docs.stripe.com/api/pagination"],
//!   "request": { "method": "GET", "path": "/v1/customers",
//!                "query": { "limit": "2", "starting_after": "cus_2" } },
//!   "response": { "status": 200, "headers": { "Request-Id": "req_1" },
//!                 "json": { "object": "list", "data": [], "has_more": false } }
//! }
//! ```
//!
//! A request matches a fixture when the method, the path and the whole query
//! (every parameter, in any order) are equal, and its body is the fixture's:
//! `json` (equal as JSON), `form` (equal as form fields) or `text` (equal once
//! each line is trimmed); a fixture naming no body matches only an empty one.
//! The response is `json`, `text` or `file` (a file beside the fixture, for
//! CSV and XML bodies); `"responses": [..]` instead of `"response"` answers
//! them in order, the last one repeating (a job that is pending, then done).
//! `{{base_url}}` in response headers and bodies becomes this server's URL, so
//! next-page links point back here.
//!
//! A request no fixture matches is answered 404 with what was asked, and is
//! kept in [`Replay::unmatched`]: a wrong request is loud.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The folder holding every vendor's fixtures (`connectors/fixtures`).
pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../connectors/fixtures")
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The query parameters, decoded, in the order sent.
    pub query: Vec<(String, String)>,
    /// Header names lowercased.
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// The fixture file that answered it, if any.
    pub fixture: Option<String>,
}

impl Seen {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body parsed as JSON (panics when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {}: body is not JSON ({e}): {}",
                self.method, self.path, self.body
            )
        })
    }

    /// The body parsed as form fields.
    pub fn form(&self) -> BTreeMap<String, String> {
        form_fields(&self.body)
    }

    /// `METHOD /path?query` as sent (decoded).
    pub fn line(&self) -> String {
        let query: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, query.join("&"))
        }
    }
}

/// A running replay server; stopped on drop.
pub struct Replay {
    url: String,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
}

struct State {
    fixtures: Vec<Fixture>,
    /// How many times each fixture answered (indexes `responses`).
    served: Mutex<Vec<usize>>,
    seen: Mutex<Vec<Seen>>,
    url: Mutex<String>,
}

struct Fixture {
    name: String,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body: BodyMatch,
    responses: Vec<Answer>,
}

enum BodyMatch {
    Empty,
    Json(Value),
    Form(BTreeMap<String, String>),
    Text(String),
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Replay {
    /// Serves the fixtures of `connectors/fixtures/<vendor>/`.
    pub async fn start(vendor: &str) -> Replay {
        Replay::start_dir(&fixtures_root().join(vendor)).await
    }

    /// Serves every `*.json` fixture of `dir` (file name order decides
    /// between two that match the same request).
    pub async fn start_dir(dir: &Path) -> Replay {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read fixtures {}: {e}", dir.display()))
            .map(|entry| entry.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no fixtures in {}", dir.display());
        let fixtures: Vec<Fixture> = files.iter().map(|f| load(f)).collect();
        let state = Arc::new(State {
            served: Mutex::new(vec![0; fixtures.len()]),
            fixtures,
            seen: Mutex::new(Vec::new()),
            url: Mutex::new(String::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        *lock(&state.url) = url.clone();
        let app = axum::Router::new().fallback({
            let state = state.clone();
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { answer(&state, method, uri, headers, body) }
            }
        });
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Replay {
            url,
            state,
            stop: Some(stop),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.state.seen).clone()
    }

    /// The requests to `path` (with `method`), in order.
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| s.method == method && s.path == path)
            .collect()
    }

    /// The requests no fixture matched (each was answered 404).
    pub fn unmatched(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| s.fixture.is_none())
            .collect()
    }

    /// Panics, listing them, when any request was not a fixture's.
    #[track_caller]
    pub fn assert_all_matched(&self) {
        let wrong: Vec<String> = self.unmatched().iter().map(Seen::line).collect();
        assert!(
            wrong.is_empty(),
            "requests no fixture matches (the vendor would not answer them so): {wrong:#?}"
        );
    }

    /// The request lines (`METHOD /path?query`) in the order received.
    pub fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Seen::line).collect()
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn answer(state: &State, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mut seen = Seen {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query,
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        fixture: None,
    };
    let found = state.fixtures.iter().position(|f| f.matches(&seen));
    let response = match found {
        Some(i) => {
            let fixture = &state.fixtures[i];
            seen.fixture = Some(fixture.name.clone());
            let n = {
                let mut served = lock(&state.served);
                let n = served[i];
                served[i] += 1;
                n
            };
            let reply = &fixture.responses[n.min(fixture.responses.len() - 1)];
            let base = lock(&state.url).clone();
            reply.render(&base)
        }
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({
                "error": "replay: no fixture matches this request",
                "method": seen.method,
                "path": seen.path,
                "query": seen.query,
                "body": seen.body,
            })),
        )
            .into_response(),
    };
    lock(&state.seen).push(seen);
    response
}

impl Fixture {
    fn matches(&self, seen: &Seen) -> bool {
        if self.method != seen.method || self.path != seen.path {
            return false;
        }
        let mut want = self.query.clone();
        let mut got = seen.query.clone();
        want.sort();
        got.sort();
        if want != got {
            return false;
        }
        match &self.body {
            BodyMatch::Empty => seen.body.is_empty(),
            BodyMatch::Json(v) => serde_json::from_str::<Value>(&seen.body).is_ok_and(|b| &b == v),
            BodyMatch::Form(f) => &form_fields(&seen.body) == f,
            BodyMatch::Text(t) => trimmed_lines(&seen.body) == *t,
        }
    }
}

impl Answer {
    fn render(&self, base: &str) -> Response {
        let status = StatusCode::from_u16(self.status).expect("a valid status in the fixture");
        let mut response = (status, self.body.replace("{{base_url}}", base)).into_response();
        let headers = response.headers_mut();
        headers.remove("content-type");
        for (k, v) in &self.headers {
            headers.append(
                HeaderName::try_from(k.as_str()).expect("a header name"),
                HeaderValue::try_from(v.replace("{{base_url}}", base)).expect("a header value"),
            );
        }
        response
    }
}

fn form_fields(body: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn trimmed_lines(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads one fixture file (panics naming the file and the problem).
fn load(file: &Path) -> Fixture {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("read {name}: {e}"));
    let doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
    let source_ok = match &doc["source"] {
        Value::String(s) => s.starts_with("https://") || s.starts_with("http://"),
        Value::Array(a) => {
            !a.is_empty()
                && a.iter().all(|s| {
                    s.as_str()
                        .is_some_and(|s| s.starts_with("https://") || s.starts_with("http://"))
                })
        }
        _ => false,
    };
    if !source_ok {
        bad(
            file,
            "`source` must name the vendor documentation the shape comes from (http(s) URLs)",
        );
    }
    let request = &doc["request"];
    let method = request["method"].as_str().unwrap_or("GET").to_owned();
    let path = request["path"]
        .as_str()
        .unwrap_or_else(|| bad(file, "`request.path` is required"))
        .to_owned();
    let mut query = Vec::new();
    if let Some(q) = request["query"].as_object() {
        for (k, v) in q {
            match v {
                Value::String(s) => query.push((k.clone(), s.clone())),
                Value::Array(vs) => {
                    for v in vs {
                        query.push((
                            k.clone(),
                            v.as_str()
                                .unwrap_or_else(|| bad(file, "query values are strings"))
                                .to_owned(),
                        ));
                    }
                }
                _ => bad(file, "query values are strings (or lists of strings)"),
            }
        }
    }
    let body = if let Some(v) = request.get("json") {
        BodyMatch::Json(v.clone())
    } else if let Some(f) = request["form"].as_object() {
        BodyMatch::Form(
            f.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .unwrap_or_else(|| bad(file, "form values are strings"))
                            .to_owned(),
                    )
                })
                .collect(),
        )
    } else if let Some(t) = request["text"].as_str() {
        BodyMatch::Text(trimmed_lines(t))
    } else {
        BodyMatch::Empty
    };
    let responses: Vec<Answer> = match (&doc["response"], &doc["responses"]) {
        (Value::Object(_), Value::Null) => vec![read_answer(&doc["response"], file)],
        (Value::Null, Value::Array(list)) if !list.is_empty() => {
            list.iter().map(|r| read_answer(r, file)).collect()
        }
        _ => bad(
            file,
            "exactly one of `response` (an object) and `responses` (a list) is required",
        ),
    };
    Fixture {
        name,
        method,
        path,
        query,
        body,
        responses,
    }
}

/// Panics naming the fixture file and what is wrong with it.
fn bad(file: &Path, what: &str) -> ! {
    panic!("fixture {}: {what}", file.display())
}

fn read_answer(r: &Value, file: &Path) -> Answer {
    let dir = file.parent().expect("a fixture's folder");
    let status = r["status"].as_u64().unwrap_or(200) as u16;
    let mut headers: Vec<(String, String)> = r["headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .flat_map(|(k, v)| match v {
                    Value::Array(vs) => vs
                        .iter()
                        .map(|v| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect::<Vec<_>>(),
                    v => vec![(
                        k.clone(),
                        v.as_str()
                            .unwrap_or_else(|| bad(file, "header values are strings"))
                            .to_owned(),
                    )],
                })
                .collect()
        })
        .unwrap_or_default();
    let has_type = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    let (body, default_type) = if let Some(v) = r.get("json") {
        (
            serde_json::to_string_pretty(v).expect("JSON"),
            "application/json",
        )
    } else if let Some(t) = r["text"].as_str() {
        (t.to_owned(), "text/plain")
    } else if let Some(f) = r["file"].as_str() {
        let path = dir.join(f);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        (text, "application/octet-stream")
    } else {
        (String::new(), "text/plain")
    };
    if !has_type {
        headers.push(("Content-Type".to_owned(), default_type.to_owned()));
    }
    Answer {
        status,
        headers,
        body,
    }
}
