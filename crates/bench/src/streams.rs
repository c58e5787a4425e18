//! `holdfast bench streams`: peak memory of one `holdfast sync` as the
//! number of streams in the connector file grows (each stream reads the same
//! mock contacts into its own table), against one stream doing the same
//! per-stream I/O in the same run. Memory must grow by a small fixed amount
//! per stream, never with the records all streams hold at once.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use crate::args::StreamsBenchArgs;
use crate::contenders::{child, start_mock, tempfile_dir};
use crate::report::Report;
use crate::stats::mb;

/// `holdfast bench streams`: one sync per stream count, its peak memory.
///
/// # Errors
/// A sync that fails or reads the wrong number of records.
pub(crate) async fn run(args: &StreamsBenchArgs, report: Report) -> anyhow::Result<ExitCode> {
    let dir = tempfile_dir()?;
    let mock = start_mock(args.records).await?;
    say!(
        report,
        "bench streams: {} records per stream, pages of {}, {} streams at once; mock on {}",
        args.records,
        args.page_size,
        args.streams_at_once,
        mock.url()
    );
    let mut counts = vec![1];
    counts.extend(args.counts.iter().copied().filter(|n| *n > 1));
    let mut rows = Vec::new();
    for &n in &counts {
        let config = dir.join(format!("streams{n}.yaml"));
        std::fs::write(&config, connector(&mock.url(), n, args.page_size))?;
        let store = format!("sqlite://{}", dir.join(format!("streams{n}.db")).display());
        let out = child(&[
            "sync",
            "--json",
            "--streams-at-once",
            &args.streams_at_once.to_string(),
            "--config",
            &config.display().to_string(),
            "--store",
            &store,
        ])
        .await
        .with_context(|| format!("syncing {n} streams"))?;
        let streams = out["streams"].as_array().cloned().unwrap_or_default();
        let failed: Vec<_> = streams
            .iter()
            .filter(|s| s["outcome"] != "succeeded")
            .collect();
        if streams.len() != n || !failed.is_empty() {
            bail!(
                "{n} streams: {} ran, {} failed (first: {})",
                streams.len(),
                failed.len(),
                failed
                    .first()
                    .map(|s| s["error"].to_string())
                    .unwrap_or_default()
            );
        }
        let records: u64 = streams.iter().filter_map(|s| s["records"].as_u64()).sum();
        if records != n as u64 * args.records {
            bail!(
                "{n} streams synced {records} records, expected {}",
                n as u64 * args.records
            );
        }
        let peak = out["peak_rss_bytes"].as_u64().unwrap_or(0);
        say!(
            report,
            "  {n:>5} streams: {records:>9} records, peak {:.1} MB",
            mb(peak)
        );
        rows.push((n, peak));
    }
    mock.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
    if let (Some(&(first_n, first)), Some(&(last_n, last))) = (rows.get(1), rows.last())
        && last_n > first_n
    {
        let per = last.saturating_sub(first) as f64 / (last_n - first_n) as f64;
        say!(
            report,
            "growth: {:.1} KB per stream from {first_n} to {last_n} streams \
             (one stream alone: {:.1} MB)",
            per / 1024.0,
            mb(rows[0].1)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `n` streams over the mock's contacts, each into its own table.
fn connector(url: &str, n: usize, page_size: u64) -> String {
    let mut yaml = format!("connections:\n  crm:\n    base_url: \"{url}\"\nstreams:\n");
    for i in 0..n {
        let _ = write!(
            yaml,
            "  s{i}:\n    connection: crm\n    \
             request: {{ path: /v2/contacts, params: {{ limit: {page_size} }} }}\n    \
             paginate: {{ type: cursor, next: \"$.meta.next_cursor\", param: cursor }}\n    \
             records: \"$.data[*]\"\n    primary_key: id\n"
        );
    }
    yaml
}
