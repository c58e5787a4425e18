//! A local server answering in GitHub's shape, for syncing what `holdfast
//! import openapi` made of GitHub's official document: `GET
//! /repos/{owner}/{repo}/issues` lists issues built from the document's own
//! example (`#/components/examples/issue-items`, see [`documented_issue`]),
//! (also as `GET /issues`, the authenticated user's issues, which `holdfast
//! check` reads to test the connection), paged as GitHub pages them (`per_page`, default 30, at most 100; `page`,
//! from 1; a `Link` header with `next`, `last`, `first` and `prev` as each
//! page has them), and only with `Authorization: Bearer <token>` (else 401
//! with GitHub's body). Anything else is GitHub's 404. Every request is
//! kept ([`GithubShape::requests`]).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The token the server accepts (`Authorization: Bearer …`).
pub const TOKEN: &str = "ghp_holdfastTestToken0000000000000000";

/// The first issue of the document's `issue-items` example: the shape
/// every served issue copies.
pub fn documented_issue(document: &Value) -> Value {
    document
        .pointer("/components/examples/issue-items/value/0")
        .cloned()
        .expect("the document has #/components/examples/issue-items with an issue")
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The query parameters, decoded, in the order sent.
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    /// The status answered.
    pub status: u16,
}

impl Seen {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `GET /repos/o/r/issues?per_page=100&page=2 -> 200`.
    pub fn line(&self) -> String {
        let query: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut line = format!("{} {}", self.method, self.path);
        if !query.is_empty() {
            line.push('?');
            line.push_str(&query.join("&"));
        }
        format!("{line} -> {}", self.status)
    }
}

/// The running server; stopped when dropped.
pub struct GithubShape {
    url: String,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
}

struct State {
    owner: String,
    repo: String,
    issues: Vec<Value>,
    seen: Mutex<Vec<Seen>>,
    url: Mutex<String>,
}

impl GithubShape {
    /// Serves `count` issues of repository `owner/repo`, each a copy of
    /// `template` with its own `id` (1001…), `number` (1…), `node_id`,
    /// title, URLs and `created_at`/`updated_at` (a minute apart).
    pub async fn start(owner: &str, repo: &str, template: &Value, count: usize) -> GithubShape {
        let issues = (1..=count)
            .map(|n| issue(template, owner, repo, n))
            .collect();
        let state = Arc::new(State {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            issues,
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
            move |method: Method, uri: Uri, headers: HeaderMap| {
                let state = state.clone();
                async move { answer(&state, &method, &uri, &headers) }
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
        GithubShape {
            url,
            state,
            stop: Some(stop),
        }
    }

    /// `http://127.0.0.1:<port>`: the `base_url` to use instead of
    /// `https://api.github.com`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The issues served, in order.
    pub fn issues(&self) -> &[Value] {
        &self.state.issues
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.state.seen).clone()
    }

    /// The request lines, in order (see [`Seen::line`]).
    pub fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Seen::line).collect()
    }
}

impl Drop for GithubShape {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Issue `n` of `owner/repo`, from `template`.
fn issue(template: &Value, owner: &str, repo: &str, n: usize) -> Value {
    let mut issue = template.clone();
    let api = format!("https://api.github.com/repos/{owner}/{repo}");
    let minute = |m: usize| {
        format!(
            "2024-03-{:02}T{:02}:{:02}:00Z",
            1 + m / 1440,
            m / 60 % 24,
            m % 60
        )
    };
    let fields = [
        ("id", json!(1000 + n)),
        ("number", json!(n)),
        ("node_id", json!(format!("I_kwDOHoldfast{n:06}"))),
        ("title", json!(format!("Issue {n}"))),
        ("url", json!(format!("{api}/issues/{n}"))),
        ("repository_url", json!(api)),
        (
            "labels_url",
            json!(format!("{api}/issues/{n}/labels{{/name}}")),
        ),
        ("comments_url", json!(format!("{api}/issues/{n}/comments"))),
        ("events_url", json!(format!("{api}/issues/{n}/events"))),
        (
            "html_url",
            json!(format!("https://github.com/{owner}/{repo}/issues/{n}")),
        ),
        ("created_at", json!(minute(n))),
        ("updated_at", json!(minute(n + 1))),
    ];
    if let Some(map) = issue.as_object_mut() {
        for (k, v) in fields {
            map.insert(k.to_owned(), v);
        }
    }
    issue
}

fn answer(state: &State, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut seen = Seen {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query,
        authorization,
        status: 200,
    };
    let response = respond(state, &seen);
    seen.status = response.status().as_u16();
    lock(&state.seen).push(seen);
    response
}

fn respond(state: &State, seen: &Seen) -> Response {
    if seen.authorization.as_deref() != Some(format!("Bearer {TOKEN}").as_str()) {
        let body = json!({
            "message": "Requires authentication",
            "documentation_url": "https://docs.github.com/rest",
            "status": "401"
        });
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    // The repository's issues, and `GET /issues` (the authenticated user's
    // issues, which GitHub pages the same way) answering the same list.
    let repo_issues = format!("/repos/{}/{}/issues", state.owner, state.repo);
    let listing = seen.path.as_str();
    if seen.method != "GET" || (listing != repo_issues && listing != "/issues") {
        let body = json!({
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest",
            "status": "404"
        });
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    }
    let number = |name: &str, default: usize| {
        seen.param(name)
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(default)
    };
    let per_page = number("per_page", 30).min(100);
    let page = number("page", 1);
    let total = state.issues.len();
    let last = total.div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page).min(total);
    let end = (start + per_page).min(total);
    let body = Value::Array(state.issues[start..end].to_vec());
    let base = lock(&state.url).clone();
    // GitHub's links keep the other parameters of the request
    let kept: Vec<String> = seen
        .query
        .iter()
        .filter(|(k, _)| k != "page" && k != "per_page")
        .map(|(k, v)| {
            format!(
                "{k}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect();
    let link = |p: usize, rel: &str| {
        let mut query = kept.clone();
        query.push(format!("per_page={per_page}"));
        query.push(format!("page={p}"));
        format!("<{base}{listing}?{}>; rel=\"{rel}\"", query.join("&"))
    };
    let mut links = Vec::new();
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
        links.push(link(page - 1, "prev"));
    }
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    let h = response.headers_mut();
    h.insert(
        "x-github-api-version-selected",
        HeaderValue::from_static("2022-11-28"),
    );
    h.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
    h.insert("x-ratelimit-remaining", HeaderValue::from_static("4999"));
    if !links.is_empty()
        && let Ok(v) = HeaderValue::from_str(&links.join(", "))
    {
        h.insert("link", v);
    }
    response
}
