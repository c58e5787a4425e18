//! `holdfast sync`: run syncs now.

use std::process::ExitCode;

use holdfast_engine::sync::{RunSummary, SyncOptions, plan, sync_stream};
use holdfast_engine::{DeclarativeSource, Source, SyncError};
use holdfast_spec::Env;
use holdfast_store::Store;
use serde_json::json;

use crate::cli::{Cli, SyncArgs};
use crate::context::{load_spec, open_store};
use crate::progress::{Progress, peak_rss_bytes};

pub(crate) async fn run(cli: &Cli, args: &SyncArgs) -> anyhow::Result<ExitCode> {
    let env = Env::from_process();
    let Some(spec) = load_spec(cli, &env) else {
        return Ok(ExitCode::from(2));
    };
    let store = open_store(cli, Some(&spec), &env).await?;
    let source = DeclarativeSource::new(spec, &env)?;
    let options = SyncOptions {
        full_refresh: args.full_refresh,
    };
    let failed = match sync_all(&source, &store, &args.streams, options, args.json).await {
        Ok(failed) => failed,
        Err(message) => {
            eprintln!("error: {message}");
            store.close().await;
            return Ok(ExitCode::from(2));
        }
    };
    store.close().await;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Syncs the selected streams in plan order; a child of a failed parent is
/// skipped. Returns whether any stream failed.
///
/// # Errors
/// An unknown stream name (nothing is run).
pub(crate) async fn sync_all(
    source: &dyn Source,
    store: &dyn Store,
    selected: &[String],
    options: SyncOptions,
    json_output: bool,
) -> Result<bool, String> {
    let streams = plan(source.streams(), selected)?;
    let progress = Progress::new();
    let mut results: Vec<(String, Result<RunSummary, String>)> = Vec::new();
    for info in &streams {
        let failed_parent = info.parent.as_ref().and_then(|p| {
            results
                .iter()
                .find(|(name, r)| name == &p.stream && r.is_err())
                .map(|(name, _)| name.clone())
        });
        let result = match failed_parent {
            Some(parent) => {
                let msg = format!("skipped because its parent `{parent}` failed");
                eprintln!("sync {}: {msg}", info.name);
                Err(msg)
            }
            None => sync_stream(source, store, info, options, &progress)
                .await
                .map_err(|e: SyncError| e.to_string()),
        };
        results.push((info.name.clone(), result));
    }
    let failed = results.iter().any(|(_, r)| r.is_err());
    if json_output {
        let streams: Vec<serde_json::Value> = results
            .iter()
            .map(|(name, r)| match r {
                Ok(s) => json!({
                    "stream": name, "outcome": "succeeded", "resumed": s.resumed, "pages": s.pages,
                    "records": s.records(), "created": s.counts.created, "updated": s.counts.updated,
                    "unchanged": s.counts.unchanged, "quarantined": s.quarantined,
                    "seconds": s.elapsed.as_secs_f64(),
                }),
                Err(e) => json!({"stream": name, "outcome": "failed", "error": e}),
            })
            .collect();
        println!(
            "{}",
            json!({"streams": streams, "peak_rss_bytes": peak_rss_bytes()})
        );
    }
    Ok(failed)
}
