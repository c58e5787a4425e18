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
#[path = "support/webdriver.rs"]
mod webdriver;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine;
use common::{Sandbox, Serve, local_client};
use serde_json::Value;
use webdriver::WebDriver;

const TOKEN: &str = "dash-token-4b8e21c07d";
/// How long the page may take to show what the test waits for.
const PAGE_DEADLINE: Duration = Duration::from_secs(45);

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

/// The shared chromedriver session ([`WebDriver`]), with the calls this test
/// makes; a failing WebDriver command fails the test.
struct Browser(WebDriver);

impl Browser {
    async fn start() -> Browser {
        Browser(
            WebDriver::start("1400,1900", false)
                .await
                .unwrap_or_else(|e| panic!("the dashboard test: {e:#}")),
        )
    }

    fn session(&self) -> String {
        self.0.at("")
    }

    /// One WebDriver command; its `value`.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.0
            .call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"))
    }

    async fn open(&self, url: &str) {
        self.0.open(url).await.unwrap_or_else(|e| panic!("{e:#}"));
    }

    /// The rendered text of the first element matching `css`, if any.
    async fn text(&self, css: &str) -> Option<String> {
        let id = self.0.try_find(css).await?;
        self.0.text(&id).await.ok()
    }

    /// Clicks the first element matching `css` (which must be there).
    async fn click(&self, css: &str) {
        let id = self.0.find(css).await.unwrap_or_else(|e| panic!("{e:#}"));
        self.0.click(&id).await.unwrap_or_else(|e| panic!("{e:#}"));
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
