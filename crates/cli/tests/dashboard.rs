//! The dashboard in a real browser: `holdfast serve` after a sync with one
//! good and one failing stream, opened in headless Chromium driven through
//! WebDriver (chromedriver). The page loads with no network beyond
//! 127.0.0.1, lists both streams, shows the failing one's `sync_failed`
//! alert as firing, and a screenshot lands in
//! `<target>/test-artifacts/dashboard.png`.
//!
//! Needs Debian's `chromium` and `chromium-driver`:
//! `apt-get install -y chromium chromium-driver`.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use common::{Sandbox, Serve, local_client};
use serde_json::{Value, json};

const TOKEN: &str = "dash-token-4b8e21c07d";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const INSTALL: &str = "apt-get update && apt-get install -y chromium chromium-driver";
/// How long the page may take to show what the test waits for.
const PAGE_DEADLINE: Duration = Duration::from_secs(45);
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn connector(base_url: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
streams:
  contacts:
    connection: crm
    request: {{ path: /cursor/contacts, params: {{ limit: 10 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
    reconcile: {{ missing: report }}
  invoices:
    connection: crm
    request: {{ path: /no-such-endpoint/invoices }}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

/// chromedriver and its WebDriver session; dropping it (also when a test
/// panics) deletes the session, which closes Chromium, then kills chromedriver.
struct Browser {
    driver: Child,
    port: u16,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Browser {
        for (path, what) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "the dashboard test needs {path} (Debian package `{what}`); install with:\n    {INSTALL}"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("a profile dir");
        let mut browser = Browser {
            driver,
            port,
            session: None,
            _profile: profile,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = local_client()
                .get(format!("{}/status", browser.base()))
                .send()
                .await
                && let Ok(text) = r.text().await
                && let Ok(v) = serde_json::from_str::<Value>(&text)
                && v["value"]["ready"] == true
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver not ready in 20 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = browser._profile.path().display().to_string();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-proxy-server",
                    "--disable-dev-shm-usage", "--window-size=1400,1900",
                    format!("--user-data-dir={profile}"),
                ]
            }
        }}});
        let session = browser.call("POST", "/session", Some(caps)).await;
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {session}"))
            .to_owned();
        browser.session = Some(id);
        browser
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn session(&self) -> String {
        format!("/session/{}", self.session.as_deref().expect("a session"))
    }

    /// One WebDriver command; its `value`.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base());
        let client = local_client();
        let request = match method {
            "POST" => with_json(client.post(&url), &body.unwrap_or_else(|| json!({}))),
            "DELETE" => client.delete(&url),
            _ => client.get(&url),
        };
        let response = request.send().await.expect("a WebDriver answer");
        let status = response.status();
        let text = response.text().await.expect("a WebDriver body");
        let v: Value = serde_json::from_str(&text).expect("WebDriver answers JSON");
        assert!(status.is_success(), "{method} {path}: {status} {v}");
        v["value"].clone()
    }

    async fn open(&self, url: &str) {
        self.call(
            "POST",
            &format!("{}/url", self.session()),
            Some(json!({ "url": url })),
        )
        .await;
    }

    /// The rendered text of the first element matching `css`, if any.
    async fn text(&self, css: &str) -> Option<String> {
        let url = format!("{}{}/element", self.base(), self.session());
        let body = json!({ "using": "css selector", "value": css });
        let text = with_json(local_client().post(url), &body)
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        let found: Value = serde_json::from_str(&text).ok()?;
        let id = found["value"][ELEMENT].as_str()?;
        let text = self
            .call(
                "GET",
                &format!("{}/element/{id}/text", self.session()),
                None,
            )
            .await;
        text.as_str().map(str::to_owned)
    }

    /// Clicks the first element matching `css` (which must be there).
    async fn click(&self, css: &str) {
        let found = self
            .call(
                "POST",
                &format!("{}/element", self.session()),
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await;
        let id = found[ELEMENT].as_str().expect("an element").to_owned();
        self.call(
            "POST",
            &format!("{}/element/{id}/click", self.session()),
            Some(json!({})),
        )
        .await;
    }

    /// Waits until the text of `css` contains every one of `wanted`; the text.
    async fn wait_text(&self, css: &str, wanted: &[&str]) -> String {
        let deadline = Instant::now() + PAGE_DEADLINE;
        loop {
            let text = self.text(css).await.unwrap_or_default();
            if wanted.iter().all(|w| text.contains(w)) {
                return text;
            }
            if Instant::now() > deadline {
                let shot = save(&self.screenshot().await, "dashboard-failure.png");
                panic!(
                    "`{css}` did not show {wanted:?} within {PAGE_DEADLINE:?}: {text}\nscreenshot: {}",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn screenshot(&self) -> Vec<u8> {
        let png = self
            .call("GET", &format!("{}/screenshot", self.session()), None)
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("a base64 PNG"))
            .expect("valid base64")
    }
}

fn with_json(request: reqwest::RequestBuilder, body: &Value) -> reqwest::RequestBuilder {
    request
        .header("content-type", "application/json")
        .body(body.to_string())
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(id) = self.session.take() {
            // Blocking on purpose: Drop cannot await, and this also runs on panic.
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let _ = write!(
                    s,
                    "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                );
                let _ = s.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `$CARGO_TARGET_DIR/test-artifacts`, else `target/test-artifacts` beside
/// this test binary (`target/debug/deps/dashboard-…`).
fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.parent()?.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("test-artifacts")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_streams_and_a_firing_alert_in_chromium() {
    let mock = common::start_mock(50).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    // `invoices` fails (the mock has no such endpoint), so the exit code is not 0.
    let synced = sandbox.run(&["sync"]).await;
    sandbox.run(&["reconcile", "contacts"]).await.expect_code(0);
    let serve = Serve::start(&sandbox, &[], &[("HOLDFAST_ADMIN_TOKEN", TOKEN)]).await;

    // The static page is open; the API behind it is not.
    let page = local_client()
        .get(format!("{}/", serve.url))
        .send()
        .await
        .expect("GET /");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("a page");
    assert!(
        html.contains("/assets/app.js") && !html.contains("http"),
        "{html}"
    );

    let browser = Browser::start().await;
    browser.open(&format!("{}/#token={TOKEN}", serve.url)).await;

    let deadline = Instant::now() + PAGE_DEADLINE;
    let (streams, alerts) = loop {
        let streams = browser.text("#streams tbody").await.unwrap_or_default();
        let alerts = browser.text("#alert-list").await.unwrap_or_default();
        if streams.contains("contacts")
            && streams.contains("invoices")
            && alerts.contains("firing")
            && alerts.contains("sync_failed")
        {
            break (streams, alerts);
        }
        if Instant::now() > deadline {
            let status = browser.text("#status").await.unwrap_or_default();
            let source = browser
                .call("GET", &format!("{}/source", browser.session()), None)
                .await;
            let shot = save(&browser.screenshot().await, "dashboard-failure.png");
            panic!(
                "the dashboard did not show the streams and the alert within {PAGE_DEADLINE:?}\n\
                 status: {status}\nstreams: {streams}\nalerts: {alerts}\n\
                 screenshot: {}\npage source: {}\n\
                 sync: {}\n--- serve stderr ---\n{}",
                shot.display(),
                excerpt(source.as_str().unwrap_or_default()),
                synced.all_text(),
                serve.stderr()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        alerts.contains("invoices"),
        "the alert names the stream: {alerts}"
    );
    assert!(
        !alerts.contains("contacts"),
        "contacts synced fine: {alerts}"
    );
    let runs = browser.text("#runs tbody").await.unwrap_or_default();
    assert!(
        runs.contains("failed") && runs.contains("succeeded"),
        "{runs}"
    );
    assert!(
        runs.contains("404"),
        "the failing request's status is shown: {runs}"
    );
    let status = browser.text("#status").await.unwrap_or_default();
    assert_eq!(status, "live");
    // Wait for the charts to be drawn too, then keep a picture.
    let charts = browser.text("#chart-records").await.unwrap_or_default();
    assert!(charts.contains("contacts"), "the chart's legend: {charts}");
    let _ = streams;

    let png = browser.screenshot().await;
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let path = save(&png, "dashboard.png");
    println!("dashboard screenshot: {}", path.display());

    // The stream view: click a stream, see its runs, reconciliation and
    // records, and sync it now.
    browser.click("button[data-open='contacts']").await;
    browser.wait_text("#stream-name", &["contacts"]).await;
    browser
        .wait_text("#stream-runs tbody", &["succeeded"])
        .await;
    let rec = browser
        .wait_text("#stream-reconciliation", &["complete", "upstream"])
        .await;
    assert!(rec.contains("report"), "{rec}");
    let records = browser
        .wait_text("#stream-records tbody", &["\"id\":1,", "\"id\":20,"])
        .await;
    assert_eq!(
        records.lines().count(),
        20,
        "a page of 20 records: {records}"
    );
    let quarantine = browser
        .text("#stream-quarantine tbody")
        .await
        .unwrap_or_default();
    assert!(quarantine.contains("Nothing quarantined"), "{quarantine}");
    browser.click("#stream-sync").await;
    browser.wait_text("#stream-message", &["Sync queued"]).await;
    let png = browser.screenshot().await;
    let path = save(&png, "dashboard-stream.png");
    println!("stream view screenshot: {}", path.display());
    let queued = common::jobs(&sandbox.pool().await).await;
    assert!(
        queued
            .iter()
            .any(|j| j.kind == "sync" && j.name == "contacts"),
        "the button queued a sync: {queued:?}"
    );
}

/// Saves `png` as `name` in the artifacts dir; its path.
fn save(png: &[u8], name: &str) -> PathBuf {
    let dir = artifacts_dir();
    std::fs::create_dir_all(&dir).expect("create the artifacts dir");
    let path = dir.join(name);
    std::fs::write(&path, png).expect("save the screenshot");
    path
}

fn excerpt(text: &str) -> &str {
    let end = text.char_indices().nth(3000).map_or(text.len(), |(i, _)| i);
    &text[..end]
}
