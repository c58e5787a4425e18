//! `holdfast runs`: recent runs, newest first.

use std::process::ExitCode;

use holdfast_store::RunId;
use holdfast_store::prelude::*;

use crate::cli::{Cli, RunsArgs};
use crate::context::open_store_to_read;

pub(crate) async fn run(cli: &Cli, args: &RunsArgs) -> anyhow::Result<ExitCode> {
    let store = open_store_to_read(cli).await?;
    if let Some(run) = args.requests {
        let code = requests(&*store, run, args.limit, args.json).await;
        store.close().await;
        return code;
    }
    let runs = store.runs(args.stream.as_deref(), args.limit).await;
    store.close().await;
    let runs = runs?;
    if args.json {
        let list: Vec<_> = runs
            .iter()
            .map(holdfast_server::api::views::run_json)
            .collect();
        outln!("{}", serde_json::json!({ "runs": list }));
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        outln!("no runs yet; start one with `holdfast sync`");
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:>5}  {:<16} {:<20} {:>9} {:>6} {:>9} {:>9} {:>9} {:>6}  outcome",
        "run",
        "stream",
        "started (UTC)",
        "duration",
        "pages",
        "created",
        "updated",
        "unchanged",
        "quar."
    );
    for r in runs {
        let duration = r
            .finished_at
            .map(|f| {
                format!(
                    "{:.1}s",
                    (f - r.started_at).num_milliseconds() as f64 / 1000.0
                )
            })
            .unwrap_or_else(|| "-".into());
        outln!(
            "{:>5}  {:<16} {:<20} {:>9} {:>6} {:>9} {:>9} {:>9} {:>6}  {}{}",
            r.id.0,
            r.stream,
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            duration,
            r.pages,
            r.outcome_counts.created,
            r.outcome_counts.updated,
            r.outcome_counts.unchanged,
            r.quarantined,
            r.outcome.as_str(),
            r.error.map(|e| format!(": {e}")).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Every attempt of one run: when, what, how it went, what was waited.
async fn requests(store: &dyn Store, run: i64, limit: u32, json: bool) -> anyhow::Result<ExitCode> {
    let rows = store.requests(RunId(run), limit).await?;
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(holdfast_server::api::views::request_json)
            .collect();
        outln!("{}", serde_json::json!({ "requests": list }));
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        outln!("run {run} made no requests (or there is no run {run}); see `holdfast runs`");
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:<12} {:>7} {:>6} {:>9} {:>8} {:>9}  {:<10} request",
        "at (UTC)",
        "attempt",
        "status",
        "ms",
        "bytes",
        "waited ms",
        "error"
    );
    for r in rows {
        outln!(
            "{:<12} {:>7} {:>6} {:>9.1} {:>8} {:>9.0}  {:<10} {} {}{}",
            r.at.format("%H:%M:%S%.3f"),
            r.attempt,
            r.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            r.duration.as_secs_f64() * 1000.0,
            r.bytes,
            r.waited.as_secs_f64() * 1000.0,
            r.error.as_deref().unwrap_or("-"),
            r.method,
            r.url,
            r.message
                .map(|m| format!("\n{:>58}{m}", ""))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
