//! A HAR captured the way a user would: headless Chromium logs in to the
//! mock's portal and lets its web app load (a bearer token from
//! `/api/session`, three cursor pages of `/api/contacts`, 25 contacts by
//! id, the page's assets and an analytics beacon to a third-party host).
//! The test checks that the HAR holds every one of those exchanges as the
//! browser sent them, and keeps the file in `$CARGO_TARGET_TMPDIR/webapp.har`;
//! then `holdfast import har` turns it into a connector that passes `check`
//! and syncs the app: every contact and every contact's details exactly once.
//!
//! Needs Debian's `chromium` and `chromium-driver`:
//! `apt-get install -y chromium chromium-driver`.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

#[path = "support/browser_har.rs"]
mod browser_har;
mod common;

use common::{count, ids, set_secret};

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use har::v1_2::{Entries, Headers};
use holdfast_mock::{MockAuth, MockConfig};
use serde_json::Value;

const USER: &str = "ada";
const PASSWORD: &str = "hunter2-mock";
const RECORDS: u64 = 25;
/// A 1×1 transparent GIF, what a tracking pixel answers.
const PIXEL: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// A third-party analytics host on 127.0.0.1, named `localhost` so the
/// browser sees another site: `GET /collect` answers a pixel and counts.
async fn analytics() -> (String, Arc<AtomicU64>) {
    let hits = Arc::new(AtomicU64::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/collect",
        axum::routing::get(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                ([("content-type", "image/gif")], PIXEL)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://localhost:{port}"), hits)
}

fn header<'a>(headers: &'a [Headers], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
        .collect()
}

fn path(entry: &Entries) -> String {
    reqwest::Url::parse(&entry.request.url)
        .expect("a URL")
        .path()
        .to_owned()
}

fn query(entry: &Entries, name: &str) -> Option<String> {
    let q = &entry.request.query_string;
    q.iter().find(|p| p.name == name).map(|p| p.value.clone())
}

fn body(entry: &Entries) -> String {
    entry
        .response
        .content
        .text
        .clone()
        .unwrap_or_else(|| panic!("no body for {}", entry.request.url))
}

fn json(entry: &Entries) -> Value {
    serde_json::from_str(&body(entry))
        .unwrap_or_else(|e| panic!("{}: not JSON ({e})", entry.request.url))
}

/// The one entry (index, entry) for `method` `path` on `host`.
fn only<'a>(entries: &'a [Entries], method: &str, host: &str, path: &str) -> (usize, &'a Entries) {
    let found: Vec<_> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.request.method == method && e.request.url.starts_with(host))
        .filter(|(_, e)| self::path(e) == path)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{method} {host}{path}: {} entries",
        found.len()
    );
    found[0]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_session_on_the_web_app_becomes_a_complete_har() {
    let (beacon_host, hits) = analytics().await;
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS,
        auth: Some(MockAuth::Session {
            username: USER.into(),
            password: PASSWORD.into(),
            requests_per_session: 1000,
        }),
        analytics_url: Some(beacon_host.clone()),
        ..MockConfig::default()
    })
    .await;
    let base = mock.url();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("webapp.har");
    let log = browser_har::capture(&base, USER, PASSWORD, &out)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    println!("HAR: {} ({} entries)", out.display(), log.entries.len());
    let entries = &log.entries;
    for e in entries {
        println!(
            "  {} {} -> {}",
            e.request.method, e.request.url, e.response.status
        );
        let host = reqwest::Url::parse(&e.request.url).expect("a URL");
        assert!(
            matches!(host.host_str(), Some("127.0.0.1" | "localhost")),
            "nothing leaves the machine: {}",
            e.request.url
        );
        assert!(
            chrono::DateTime::parse_from_rfc3339(&e.started_date_time).is_ok(),
            "{}",
            e.started_date_time
        );
    }

    // The login form: the CSRF token in the page, bound to a cookie.
    let (form_at, form) = only(entries, "GET", &base, "/login");
    assert_eq!(form.response.status, 200);
    let html = body(form);
    let csrf = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a csrf_token input in {html}"));
    let login_cookie = header(&form.response.headers, "set-cookie")
        .into_iter()
        .find(|c| c.starts_with("mock_login="))
        .expect("Set-Cookie: mock_login");
    let login_cookie = login_cookie.split(';').next().expect("name=value");
    assert!(
        form.response
            .cookies
            .iter()
            .any(|c| c.name == "mock_login" && c.http_only == Some(true))
    );

    // The form posted: username, password and token, with the cookie; a 303.
    let (post_at, post) = only(entries, "POST", &base, "/login");
    let data = post.request.post_data.as_ref().expect("post data");
    assert!(
        data.mime_type
            .starts_with("application/x-www-form-urlencoded"),
        "{}",
        data.mime_type
    );
    let params: Vec<(&str, &str)> = data
        .params
        .as_deref()
        .expect("form params")
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        params,
        [
            ("csrf_token", csrf),
            ("username", USER),
            ("password", PASSWORD)
        ]
    );
    let cookie = header(&post.request.headers, "cookie").join("; ");
    assert!(cookie.contains(login_cookie), "{cookie}");
    assert!(post.request.cookies.iter().any(|c| c.name == "mock_login"));
    assert_eq!(post.response.status, 303);
    assert_eq!(post.response.redirect_url.as_deref(), Some("/home"));
    let session_cookie = header(&post.response.headers, "set-cookie")
        .into_iter()
        .find(|c| c.starts_with("mock_session="))
        .expect("Set-Cookie: mock_session");
    let session_cookie = session_cookie.split(';').next().expect("name=value");

    // The redirect followed: the app page, with the session cookie.
    let (home_at, home) = only(entries, "GET", &base, "/home");
    assert_eq!(home_at, post_at + 1, "the 303's own entry, then /home");
    assert!(form_at < post_at);
    assert_eq!(home.response.status, 200);
    let cookie = header(&home.request.headers, "cookie").join("; ");
    assert!(cookie.contains(session_cookie), "{cookie}");
    assert!(body(home).contains("/static/app.js"));

    // Its assets, and the third-party beacon.
    for (asset, mime) in [
        ("/static/app.css", "text/css"),
        ("/static/app.js", "text/javascript"),
        ("/static/logo.png", "image/png"),
    ] {
        let (at, e) = only(entries, "GET", &base, asset);
        assert!(at > home_at);
        assert_eq!(e.response.status, 200, "{asset}");
        let got = e.response.content.mime_type.as_deref().unwrap_or("");
        assert!(got.starts_with(mime), "{asset}: {got}");
    }
    let (_, logo) = only(entries, "GET", &base, "/static/logo.png");
    assert_eq!(logo.response.content.encoding.as_deref(), Some("base64"));
    let png = base64::engine::general_purpose::STANDARD
        .decode(body(logo))
        .expect("base64");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(logo.response.content.size, png.len() as i64);
    let (_, js) = only(entries, "GET", &base, "/static/app.js");
    assert!(body(js).contains("/api/session"));
    let (_, beacon) = only(entries, "GET", &beacon_host, "/collect");
    assert_eq!(beacon.response.status, 200);
    assert_eq!(query(beacon, "page").as_deref(), Some("/home"));
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // The token, from the session cookie.
    let (token_at, session) = only(entries, "GET", &base, "/api/session");
    assert!(token_at > home_at);
    let cookie = header(&session.request.headers, "cookie").join("; ");
    assert!(cookie.contains(session_cookie), "{cookie}");
    let token = json(session)["token"].as_str().expect("a token").to_owned();
    let bearer = format!("Bearer {token}");

    // Three pages, each cursor the one the page before handed out.
    let pages: Vec<&Entries> = entries
        .iter()
        .filter(|e| path(e) == "/api/contacts")
        .collect();
    assert_eq!(pages.len(), 3);
    let (mut listed, mut cursor) = (Vec::new(), None::<String>);
    for page in &pages {
        assert_eq!(header(&page.request.headers, "authorization"), [&bearer]);
        assert_eq!(query(page, "limit").as_deref(), Some("10"));
        assert_eq!(query(page, "cursor"), cursor);
        assert_eq!(page.response.status, 200);
        let body = json(page);
        let data = body["data"].as_array().expect("data");
        listed.extend(data.iter().map(|c| c["id"].as_u64().expect("an id")));
        cursor = body["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(cursor, None, "the last page has no next cursor");
    assert_eq!(listed, (1..=RECORDS).collect::<Vec<_>>());

    // Then each contact by id, with the same token.
    let details: Vec<&Entries> = entries
        .iter()
        .filter(|e| path(e).starts_with("/api/contacts/"))
        .collect();
    let mut fetched = Vec::new();
    for e in &details {
        assert_eq!(header(&e.request.headers, "authorization"), [&bearer]);
        assert_eq!(e.response.status, 200);
        let id = json(e)["id"].as_u64().expect("an id");
        assert_eq!(path(e), format!("/api/contacts/{id}"));
        fetched.push(id);
    }
    assert_eq!(fetched, (1..=RECORDS).collect::<Vec<_>>());

    // The file is HAR 1.2 as the har crate reads it, with Chrome's extras.
    let bytes = std::fs::read(&out).expect("the HAR file");
    let har::Spec::V1_2(read) = har::from_slice(&bytes).expect("a HAR").log else {
        panic!("not HAR 1.2");
    };
    assert_eq!(read, log);
    let raw: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(raw["log"]["version"], "1.2");
    assert_eq!(raw["log"]["entries"][form_at]["_resourceType"], "document");
    assert_eq!(raw["log"]["entries"][token_at]["_resourceType"], "fetch");
    let by_path = mock.stats().by_path;
    assert_eq!(by_path.get("/api/session"), Some(&1));
    assert_eq!(by_path.get("/api/contacts"), Some(&3));

    // Imported: the connector passes `check` as written and syncs the app,
    // every record exactly once.
    let sandbox = common::Sandbox::new();
    let har = out.display().to_string();
    let config = sandbox.config.display().to_string();
    let imported = sandbox
        .run_raw(&["import", "har", &har, "-o", &config])
        .await;
    imported.expect_code(0);
    let text = std::fs::read_to_string(&sandbox.config).expect("the connector");
    println!("{text}\n{}", imported.stderr);
    for secret in [PASSWORD, token.as_str(), csrf, login_cookie, session_cookie] {
        let value = secret.split('=').next_back().unwrap_or(secret);
        assert!(!text.contains(value), "{value} in the connector");
        assert!(
            !imported.all_text().contains(value),
            "{value} in the output"
        );
    }
    assert!(
        imported
            .stderr
            .contains("dropped 1 × analytics (localhost)"),
        "{imported}"
    );
    assert!(
        imported
            .stderr
            .contains("login chain: GET /login → POST /login → GET /api/session"),
        "{imported}"
    );
    let graph = sandbox
        .run_raw(&["import", "har", &har, "--graph", "mermaid"])
        .await;
    graph.expect_code(0);
    assert!(graph.stdout.starts_with("flowchart LR\n"), "{graph}");
    assert!(
        graph
            .stdout
            .contains("form field `csrf_token` ← html input[name=#quot;csrf_token#quot;] @value"),
        "{graph}"
    );
    set_secret(&sandbox, "app_username", USER, &[])
        .await
        .expect_code(0);
    set_secret(&sandbox, "app_password", PASSWORD, &[])
        .await
        .expect_code(0);
    sandbox.run(&["check"]).await.expect_code(0);
    let before = mock.stats().by_path;
    let synced = sandbox.run(&["sync"]).await;
    synced.expect_code(0);
    let pool = sandbox.pool().await;
    let all: Vec<i64> = (1..=RECORDS as i64).collect();
    assert_eq!(ids(&pool, "contacts").await, all, "{synced}");
    assert_eq!(count(&pool, "contacts").await, RECORDS as i64);
    assert_eq!(ids(&pool, "contact_details").await, all, "{synced}");
    assert_eq!(count(&pool, "contact_details").await, RECORDS as i64);
    // What the sync itself asked for: one login, three pages, each contact once.
    let after = mock.stats().by_path;
    let sent = |path: &str| after.get(path).unwrap_or(&0) - before.get(path).unwrap_or(&0);
    assert_eq!(sent("/api/session"), 1, "one login");
    assert_eq!(sent("/api/contacts"), 3, "three pages");
    for id in 1..=RECORDS {
        assert_eq!(sent(&format!("/api/contacts/{id}")), 1, "contact {id}");
    }
}
