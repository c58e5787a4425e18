//! A HAR 1.2 capture of a browser session: headless Chromium, driven through
//! chromedriver over raw WebDriver HTTP, logs in to a portal and waits for
//! its app page; the DevTools `Network.*` events (chromedriver's performance
//! log) and the response bodies (`Network.getResponseBody` through
//! chromedriver's CDP bridge) become one HAR entry per request, in the order
//! the browser sent them. A redirect is an entry of its own; only `http:`
//! and `https:` requests are kept (not Chrome's own `chrome://` or `data:`).
//!
//! Include with `#[path = "support/browser_har.rs"] mod browser_har;`.
//! Needs Debian's `chromium` and `chromium-driver` ([`INSTALL`]).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, ensure};
use har::v1_2 as h;
use serde_json::{Value, json};

#[path = "har_entries.rs"]
mod har_entries;
use har_entries::{Hop, Recorder};

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How to install both.
pub const INSTALL: &str = "apt-get update && apt-get install -y chromium chromium-driver";
/// How long the app page may take to show `done`, and the network to settle.
const DEADLINE: Duration = Duration::from_secs(60);
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Logs in at `{base}/login` as `username` / `password` (the form's
/// `username` and `password` fields, then its button), waits until the app
/// page's `#status` reads `done …`, and writes everything the browser sent
/// and received as HAR 1.2 to `out`. Returns the HAR's log.
///
/// # Errors
/// When Chromium or chromedriver is missing (naming [`INSTALL`]), a
/// WebDriver or DevTools command fails, the page shows `error…` or not
/// `done` within a minute, or `out` cannot be written.
pub async fn capture(
    base: &str,
    username: &str,
    password: &str,
    out: &Path,
) -> anyhow::Result<h::Log> {
    let driver = Driver::start().await?;
    let mut net = Recorder::default();
    // What the first tab loaded (Chrome's own new-tab page) is no part of it.
    driver.log().await?;
    driver
        .open(&format!("{}/login", base.trim_end_matches('/')))
        .await?;
    // Bodies go when the page does: take the login page's now.
    settle(&driver, &mut net).await?;
    let user = driver.find("input[name=username]").await?;
    driver.type_into(&user, username).await?;
    let pass = driver.find("input[name=password]").await?;
    driver.type_into(&pass, password).await?;
    let button = driver.find("form button").await?;
    driver.click(&button).await?;
    let deadline = Instant::now() + DEADLINE;
    loop {
        net.feed(&driver.log().await?);
        fetch_bodies(&mut net, &driver).await;
        let status = match driver.try_find("#status").await {
            Some(id) => driver.text(&id).await.unwrap_or_default(),
            None => String::new(),
        };
        if status.starts_with("done") {
            break;
        }
        ensure!(!status.starts_with("error"), "the app page says `{status}`");
        ensure!(
            Instant::now() < deadline,
            "the app page did not say `done` within {DEADLINE:?} (it says `{status}`)"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    settle(&driver, &mut net).await?;
    let browser = driver.version.clone();
    drop(driver);
    let log = net.log(&browser);
    write(&log, &net, out)?;
    Ok(log)
}

/// Reads events and bodies until every request has finished (or failed).
async fn settle(driver: &Driver, net: &mut Recorder) -> anyhow::Result<()> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let events = driver.log().await?;
        let quiet = events.is_empty();
        net.feed(&events);
        fetch_bodies(net, driver).await;
        if quiet && net.settled() {
            return Ok(());
        }
        let open: Vec<&str> = net
            .hops
            .iter()
            .filter(|h| h.end.is_none())
            .map(Hop::url)
            .collect();
        ensure!(
            Instant::now() < deadline,
            "requests still open after {DEADLINE:?}: {open:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Writes `log` as `{"log": …}`, each entry with Chrome's `_resourceType`.
fn write(log: &h::Log, net: &Recorder, out: &Path) -> anyhow::Result<()> {
    let har = har::Har {
        log: har::Spec::V1_2(log.clone()),
    };
    let mut doc = serde_json::to_value(&har)?;
    doc["log"]["version"] = json!("1.2");
    if let Some(entries) = doc["log"]["entries"].as_array_mut() {
        for (entry, hop) in entries.iter_mut().zip(&net.hops) {
            entry["_resourceType"] =
                json!(hop.sent["type"].as_str().unwrap_or("other").to_lowercase());
        }
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    }
    std::fs::write(out, serde_json::to_vec_pretty(&doc)?)
        .with_context(|| format!("write {}", out.display()))
}

/// chromedriver and its session with headless Chromium. Dropping it (also
/// on a panic) deletes the session, which closes Chromium, then kills
/// chromedriver.
struct Driver {
    child: Child,
    port: u16,
    session: Option<String>,
    version: String,
    client: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Driver {
    async fn start() -> anyhow::Result<Driver> {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            ensure!(
                Path::new(path).exists(),
                "capturing a HAR needs {path} (Debian package `{package}`); install with:\n    {INSTALL}"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start chromedriver")?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()?;
        let mut driver = Driver {
            child,
            port,
            session: None,
            version: String::new(),
            client,
            _profile: tempfile::tempdir()?,
        };
        let ready = Instant::now() + Duration::from_secs(20);
        while driver
            .call("GET", "/status", None)
            .await
            .map(|v| v["ready"] == true)
            .ok()
            != Some(true)
        {
            ensure!(Instant::now() < ready, "chromedriver not ready in 20 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = driver._profile.path().display().to_string();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": { "performance": "ALL" },
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-proxy-server",
                    "--disable-dev-shm-usage", "--disable-default-apps",
                    "--disable-client-side-phishing-detection", "--window-size=1200,900",
                    format!("--user-data-dir={profile}"),
                ],
                "perfLoggingPrefs": { "enableNetwork": true, "enablePage": false },
            }
        }}});
        let session = driver.call("POST", "/session", Some(caps)).await?;
        let id = session["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session id in {session}"))?;
        driver.session = Some(id.to_owned());
        driver.version = session["capabilities"]["browserVersion"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        Ok(driver)
    }

    /// `/session/{id}` + `path`.
    fn at(&self, path: &str) -> String {
        format!(
            "/session/{}{path}",
            self.session.as_deref().unwrap_or("none")
        )
    }

    /// One WebDriver command; its `value`.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let request = match method {
            "POST" => self
                .client
                .post(&url)
                .header("content-type", "application/json")
                .body(body.unwrap_or_else(|| json!({})).to_string()),
            "DELETE" => self.client.delete(&url),
            _ => self.client.get(&url),
        };
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let text = response.text().await?;
        let v: Value =
            serde_json::from_str(&text).with_context(|| format!("{method} {path}: {text}"))?;
        // chromedriver's errors end in a native stack trace: keep the message.
        let message = v["value"]["message"]
            .as_str()
            .and_then(|m| m.lines().next());
        ensure!(
            status.is_success(),
            "{method} {path}: {status} {}",
            message.unwrap_or(&text)
        );
        Ok(v["value"].clone())
    }

    async fn open(&self, url: &str) -> anyhow::Result<()> {
        self.call("POST", &self.at("/url"), Some(json!({ "url": url })))
            .await
            .map(drop)
    }

    async fn find(&self, css: &str) -> anyhow::Result<String> {
        let found = self
            .call(
                "POST",
                &self.at("/element"),
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await?;
        found[ELEMENT]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no element `{css}`: {found}"))
    }

    async fn try_find(&self, css: &str) -> Option<String> {
        self.find(css).await.ok()
    }

    async fn type_into(&self, element: &str, text: &str) -> anyhow::Result<()> {
        let path = self.at(&format!("/element/{element}/value"));
        self.call("POST", &path, Some(json!({ "text": text })))
            .await
            .map(drop)
    }

    async fn click(&self, element: &str) -> anyhow::Result<()> {
        self.call("POST", &self.at(&format!("/element/{element}/click")), None)
            .await
            .map(drop)
    }

    async fn text(&self, element: &str) -> anyhow::Result<String> {
        let text = self
            .call("GET", &self.at(&format!("/element/{element}/text")), None)
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// The DevTools events logged since the last call: each one's
    /// `{"method", "params"}`.
    async fn log(&self) -> anyhow::Result<Vec<Value>> {
        let entries = self
            .call(
                "POST",
                &self.at("/se/log"),
                Some(json!({ "type": "performance" })),
            )
            .await?;
        let mut events = Vec::new();
        for entry in entries.as_array().map(Vec::as_slice).unwrap_or_default() {
            let message: Value = serde_json::from_str(entry["message"].as_str().unwrap_or("null"))?;
            events.push(message["message"].clone());
        }
        Ok(events)
    }

    /// One DevTools command through chromedriver's CDP bridge.
    async fn cdp(&self, cmd: &str, params: Value) -> anyhow::Result<Value> {
        let body = json!({ "cmd": cmd, "params": params });
        self.call("POST", &self.at("/goog/cdp/execute"), Some(body))
            .await
    }
}

impl Drop for Driver {
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the body of every response that ended and was not read yet (and
/// the post data DevTools left out), while the page still holds them.
async fn fetch_bodies(net: &mut Recorder, driver: &Driver) {
    for hop in &mut net.hops {
        if hop.end.is_none() || hop.body.is_some() {
            continue;
        }
        let id = json!({ "requestId": hop.id });
        let request = &hop.sent["request"];
        if request["hasPostData"] == true && request.get("postData").is_none() && !hop.redirected {
            let data = driver.cdp("Network.getRequestPostData", id.clone()).await;
            hop.post_data = data
                .ok()
                .and_then(|d| d["postData"].as_str().map(str::to_owned));
        }
        hop.body = Some(if hop.redirected {
            Err("a redirect: no body kept".to_owned())
        } else if let Some(error) = &hop.failed {
            Err(format!("failed: {error}"))
        } else {
            match driver.cdp("Network.getResponseBody", id).await {
                Ok(v) => Ok((
                    v["body"].as_str().unwrap_or_default().to_owned(),
                    v["base64Encoded"] == true,
                )),
                Err(e) => Err(format!("{e:#}")),
            }
        });
    }
}
