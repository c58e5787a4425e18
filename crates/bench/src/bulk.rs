//! `holdfast bench bulk`: records/s and peak memory of one `holdfast sync`
//! reading the mock's contacts through an asynchronous export job (one
//! gzipped CSV file, and one JSON Lines file) into SQLite, next to the same
//! contacts read as JSON pages from the mock's listing, in the same run.
//! Memory must stay flat (under [`MEMORY_BUDGET`]) however many records the
//! file holds: files go to disk and are read a page at a time.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::args::BulkBenchArgs;
use crate::contenders::{
    Sample, check_count, run_holdfast, sqlite, start_mock, sync_sample, tempfile_dir,
};
use crate::report::Report;
use crate::stats::{mb, median};

/// The most peak memory a bulk sync may use, in bytes (60 MB).
pub(crate) const MEMORY_BUDGET: u64 = 60_000_000;

/// `holdfast bench bulk`.
///
/// # Errors
/// A sync that fails or reads the wrong number of records.
pub(crate) async fn run(args: &BulkBenchArgs, report: Report) -> anyhow::Result<ExitCode> {
    let dir = tempfile_dir()?;
    let mock = start_mock(args.records).await?;
    say!(
        report,
        "bench bulk: {} records, {} run(s) each, pages of {} (JSON), commits every {} (bulk); mock on {}",
        args.records,
        args.runs,
        args.page_size,
        args.checkpoint_every,
        mock.url()
    );
    let contenders: [(&str, Option<(&str, bool)>); 3] = [
        ("JSON pages (GET /v2/contacts)", None),
        ("bulk, one gzipped CSV file", Some(("csv", true))),
        ("bulk, one JSON Lines file", Some(("jsonl", false))),
    ];
    let mut over = false;
    for (i, (label, bulk)) in contenders.iter().enumerate() {
        let mut samples = Vec::new();
        for run in 0..args.runs {
            let name = format!("c{i}r{run}");
            let store = sqlite(&dir, &name);
            let s = match bulk {
                None => run_holdfast(&mock.url(), args.page_size, &dir, &name, "", &store).await?,
                Some((format, gzip)) => run_bulk(
                    &mock.url(),
                    format,
                    *gzip,
                    args.checkpoint_every,
                    &dir,
                    &name,
                    &store,
                )
                .await
                .with_context(|| format!("{label}, run {}", run + 1))?,
            };
            check_count(s, args.records, label)?;
            std::fs::remove_file(dir.join(format!("{name}.db"))).ok();
            samples.push(s);
        }
        let rate = median(samples.iter().map(Sample::rate).collect());
        let peak = samples.iter().map(|s| s.peak_rss).max().unwrap_or(0);
        let budget = if bulk.is_some() && peak > MEMORY_BUDGET {
            over = true;
            "  OVER the 60 MB budget"
        } else {
            ""
        };
        say!(
            report,
            "  {label:<32} {rate:>10.0} records/s   peak {:>6.1} MB{budget}",
            mb(peak)
        );
    }
    mock.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok(if over {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One `holdfast sync` of a stream reading the mock's export job.
async fn run_bulk(
    url: &str,
    format: &str,
    gzip: bool,
    checkpoint_every: u64,
    dir: &std::path::Path,
    name: &str,
    store: &str,
) -> anyhow::Result<Sample> {
    let config = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &config,
        format!(
            "connections:\n  crm:\n    base_url: \"{url}\"\nstreams:\n  contacts:\n    connection: crm\n    \
             format: {format}\n    primary_key: id\n    bulk:\n      \
             create: {{ path: /v2/exports, json: {{ object: contacts, format: {format}, gzip: {gzip}, pending_polls: 0 }} }}\n      \
             job_id: \"$.id\"\n      \
             poll: {{ request: {{ path: \"/v2/exports/{{{{ job.id }}}}\" }}, every: 100ms, until: \"body.state == 'done'\" }}\n      \
             download: \"$.files[*].url\"\n      rows: \"$.row_count\"\n      \
             checkpoint_every: {checkpoint_every}\n"
        ),
    )?;
    sync_sample(&config, store).await
}
