//! What every benchmark runs: the mock API, this binary as a child process
//! (`holdfast sync` and the baselines), and a scratch folder.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, bail};
use holdfast_mock::{MockConfig, MockServer};
use serde_json::Value;

/// One contender's run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) records: u64,
    pub(crate) seconds: f64,
    pub(crate) peak_rss: u64,
}

impl Sample {
    /// Records per second.
    pub(crate) fn rate(&self) -> f64 {
        self.records as f64 / self.seconds.max(1e-9)
    }
}

/// A mock CRM serving `records` contacts on a free loopback port.
pub(crate) async fn start_mock(records: u64) -> anyhow::Result<MockServer> {
    MockServer::start(
        MockConfig {
            records,
            ..MockConfig::default()
        },
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    )
    .await
    .context("starting the mock API")
}

/// `holdfast sync` (a child process) of `page_size` pages from the mock at
/// `url` into the store at `store`; `rules` is appended to the stream.
pub(crate) async fn run_holdfast(
    url: &str,
    page_size: u64,
    dir: &Path,
    name: &str,
    rules: &str,
    store: &str,
) -> anyhow::Result<Sample> {
    let config = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &config,
        format!(
            "connections:\n  crm:\n    base_url: \"{url}\"\nstreams:\n  contacts:\n    connection: crm\n    \
             request: {{ path: /v2/contacts, params: {{ limit: {page_size} }} }}\n    \
             paginate: {{ type: cursor, next: \"$.meta.next_cursor\", param: cursor }}\n    \
             records: \"$.data[*]\"\n    primary_key: id\n{rules}"
        ),
    )?;
    sync_sample(&config, store).await
}

/// `holdfast sync --json` (a child process) of the connector file `config`
/// into `store`: its first stream's records and seconds, and the peak RSS.
pub(crate) async fn sync_sample(config: &Path, store: &str) -> anyhow::Result<Sample> {
    let out = child(&[
        "sync",
        "--json",
        "--config",
        &config.display().to_string(),
        "--store",
        store,
    ])
    .await?;
    let stream = &out["streams"][0];
    if stream["outcome"] != "succeeded" {
        bail!("holdfast sync failed: {}", stream["error"]);
    }
    Ok(Sample {
        records: stream["records"].as_u64().unwrap_or(0),
        seconds: stream["seconds"].as_f64().unwrap_or(f64::NAN),
        peak_rss: out["peak_rss_bytes"].as_u64().unwrap_or(0),
    })
}

/// Runs this binary with `args` and parses the last stdout line as JSON.
pub(crate) async fn child(args: &[&str]) -> anyhow::Result<Value> {
    let exe = std::env::current_exe().context("finding the holdfast binary")?;
    let out = tokio::process::Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| {
        format!(
            "`holdfast {}` printed no JSON result (exit {})",
            args[0], out.status
        )
    })
}

/// Fails unless `s` synced exactly `expected` records.
pub(crate) fn check_count(s: Sample, expected: u64, who: &str) -> anyhow::Result<()> {
    if s.records != expected {
        bail!("{who} synced {} records, expected {expected}", s.records);
    }
    Ok(())
}

/// A scratch folder for this process's runs.
pub(crate) fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("holdfast-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The URL of SQLite file `name`.db in `dir`.
pub(crate) fn sqlite(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(format!("{name}.db")).display())
}
