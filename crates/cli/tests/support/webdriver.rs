//! chromedriver and a headless Debian Chromium, over raw WebDriver HTTP
//! (no crate): start, one command at a time, DevTools through chromedriver's
//! CDP bridge; dropping it (also on a panic) closes the browser.
//!
//! Include with `#[path = "support/webdriver.rs"] mod webdriver;`.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, ensure};
use serde_json::{Value, json};

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How to install both.
pub const INSTALL: &str = "apt-get update && apt-get install -y chromium chromium-driver";
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver and its session with headless Chromium. Dropping it (also
/// on a panic) deletes the session, which closes Chromium, then kills
/// chromedriver.
pub struct WebDriver {
    child: Child,
    port: u16,
    session: Option<String>,
    /// The browser's version, as the session reported it.
    pub version: String,
    client: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl WebDriver {
    /// Starts chromedriver and a headless Chromium session: a window of
    /// `window` (`1200,900`), and with `network_log` the DevTools network
    /// events in the performance log ([`WebDriver::log`]).
    pub async fn start(window: &str, network_log: bool) -> anyhow::Result<WebDriver> {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            ensure!(
                Path::new(path).exists(),
                "this test needs {path} (Debian package `{package}`); install with:\n    {INSTALL}"
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
        let mut driver = WebDriver {
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
        let mut caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-proxy-server",
                    "--disable-dev-shm-usage", "--disable-default-apps",
                    "--disable-client-side-phishing-detection", format!("--window-size={window}"),
                    format!("--user-data-dir={profile}"),
                ],
            }
        }}});
        if network_log {
            let always = &mut caps["capabilities"]["alwaysMatch"];
            always["goog:loggingPrefs"] = json!({ "performance": "ALL" });
            always["goog:chromeOptions"]["perfLoggingPrefs"] =
                json!({ "enableNetwork": true, "enablePage": false });
        }
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
    pub fn at(&self, path: &str) -> String {
        format!(
            "/session/{}{path}",
            self.session.as_deref().unwrap_or("none")
        )
    }

    /// One WebDriver command; its `value`.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
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

    pub async fn open(&self, url: &str) -> anyhow::Result<()> {
        self.call("POST", &self.at("/url"), Some(json!({ "url": url })))
            .await
            .map(drop)
    }

    pub async fn find(&self, css: &str) -> anyhow::Result<String> {
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

    pub async fn try_find(&self, css: &str) -> Option<String> {
        self.find(css).await.ok()
    }

    pub async fn type_into(&self, element: &str, text: &str) -> anyhow::Result<()> {
        let path = self.at(&format!("/element/{element}/value"));
        self.call("POST", &path, Some(json!({ "text": text })))
            .await
            .map(drop)
    }

    pub async fn click(&self, element: &str) -> anyhow::Result<()> {
        self.call("POST", &self.at(&format!("/element/{element}/click")), None)
            .await
            .map(drop)
    }

    pub async fn text(&self, element: &str) -> anyhow::Result<String> {
        let text = self
            .call("GET", &self.at(&format!("/element/{element}/text")), None)
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// The DevTools events logged since the last call: each one's
    /// `{"method", "params"}`.
    pub async fn log(&self) -> anyhow::Result<Vec<Value>> {
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
    pub async fn cdp(&self, cmd: &str, params: Value) -> anyhow::Result<Value> {
        let body = json!({ "cmd": cmd, "params": params });
        self.call("POST", &self.at("/goog/cdp/execute"), Some(body))
            .await
    }
}

impl Drop for WebDriver {
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
