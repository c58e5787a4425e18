//! A HAR 1.2 capture of a browser session: headless Chromium, driven through
//! chromedriver over raw WebDriver HTTP, logs in to a portal and waits for
//! its app page; the DevTools `Network.*` events (chromedriver's performance
//! log) and the response bodies (`Network.getResponseBody` through
//! chromedriver's CDP bridge) become one HAR entry per request, in the order
//! the browser sent them. A redirect is an entry of its own; only `http:`
//! and `https:` requests are kept (not Chrome's own `chrome://` or `data:`).
//!
//! Include with `#[path = "support/browser_har.rs"] mod browser_har;`.
//! Needs Debian's `chromium` and `chromium-driver` (`webdriver::INSTALL`).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use har::v1_2 as h;
use serde_json::json;

#[path = "har_entries.rs"]
mod har_entries;
#[path = "webdriver.rs"]
mod webdriver;
use har_entries::{Hop, Recorder};
use webdriver::WebDriver as Driver;

/// How long the app page may take to show `done`, and the network to settle.
const DEADLINE: Duration = Duration::from_secs(60);

/// Logs in at `{base}/login` as `username` / `password` (the form's
/// `username` and `password` fields, then its button), waits until the app
/// page's `#status` reads `done …`, and writes everything the browser sent
/// and received as HAR 1.2 to `out`. Returns the HAR's log.
///
/// # Errors
/// When Chromium or chromedriver is missing (naming the install command), a
/// WebDriver or DevTools command fails, the page shows `error…` or not
/// `done` within a minute, or `out` cannot be written.
pub async fn capture(
    base: &str,
    username: &str,
    password: &str,
    out: &Path,
) -> anyhow::Result<h::Log> {
    let driver = Driver::start("1200,900", true).await?;
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
