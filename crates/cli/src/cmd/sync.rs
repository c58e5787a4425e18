//! `holdfast sync`: run syncs now.

use std::process::ExitCode;

use futures::StreamExt as _;

use holdfast_engine::schedule::with_stream_lease;
use holdfast_engine::sync::{RunSummary, SyncOptions, plan, sync_stream};
use holdfast_engine::{Source, StreamInfo, SyncError};
use holdfast_spec::Env;
use holdfast_store::Store;
use serde_json::json;

use crate::cli::{Cli, SyncArgs};
use crate::context::{self, load_spec, open_store};
use crate::progress::{Progress, peak_rss_bytes};

/// How long a stream's lease holds without renewal (renewed every third).
const LEASE: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) async fn run(cli: &Cli, args: &SyncArgs) -> anyhow::Result<ExitCode> {
    let mut env = Env::from_process();
    let Some(spec) = load_spec(cli, &mut env).await else {
        return Ok(ExitCode::from(2));
    };
    let store = open_store(cli, Some(&spec), &env).await?;
    let source = context::source(spec, &env, &store)?;
    let options = SyncOptions {
        full_refresh: args.full_refresh,
    };
    let at = store.shown().to_owned();
    let failed = match sync_all(
        (&source, &at),
        &*store,
        &args.streams,
        options,
        args.json,
        args.streams_at_once,
    )
    .await
    {
        Ok(failed) => failed,
        Err(message) => {
            errln!("error: {message}");
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

/// How many streams one `holdfast sync` runs at once unless told otherwise.
pub(crate) const DEFAULT_STREAMS_AT_ONCE: usize = 8;

/// Syncs the selected streams: streams that do not depend on each other run
/// at once, up to `at_once` of them (each connection's rate limit and
/// in-flight bound hold across them; the bound keeps memory flat however
/// many streams a file has), in waves so parents finish before their
/// children start; a child of a failed parent is skipped. Every failure is
/// printed, naming the stream (and the store, `store_shown`, when the store
/// failed). Returns whether any stream failed.
///
/// # Errors
/// An unknown stream name (nothing is run).
pub(crate) async fn sync_all(
    (source, store_shown): (&dyn Source, &str),
    store: &dyn Store,
    selected: &[String],
    options: SyncOptions,
    json_output: bool,
    at_once: usize,
) -> Result<bool, String> {
    let streams = plan(source.streams(), selected)?;
    let progress = Progress::new(store_shown);
    let holder = holdfast_engine::worker::worker_id(0);
    let mut results: Vec<(String, Result<RunSummary, String>)> = Vec::new();
    for wave in waves(&streams) {
        let runs = wave.iter().enumerate().map(|(order, info)| {
            let failed_parent = info.parent.as_ref().and_then(|p| {
                results
                    .iter()
                    .find(|(name, r)| name == &p.stream && r.is_err())
                    .map(|(name, _)| name.clone())
            });
            let (progress, holder) = (&progress, &holder);
            async move {
                let result = match failed_parent {
                    Some(parent) => {
                        let msg = format!("skipped because its parent `{parent}` failed");
                        errln!("sync {}: {msg}", info.name);
                        Err(msg)
                    }
                    // the stream's lease: never at once with `serve`'s run of it
                    None => match with_stream_lease(
                        store,
                        &info.name,
                        holder,
                        LEASE,
                        sync_stream(source, store, info, options, progress),
                    )
                    .await
                    {
                        Ok(Ok(run)) => run.map_err(|e: SyncError| e.to_string()),
                        Ok(Err(busy)) => {
                            errln!("sync {}: {busy}", info.name);
                            Err(busy.to_string())
                        }
                        Err(e) => {
                            let msg = format!(
                                "the store `{store_shown}` failed taking the stream's lease: {e}"
                            );
                            errln!("sync {}: failed: {msg}", info.name);
                            Err(msg)
                        }
                    },
                };
                (order, (info.name.clone(), result))
            }
        });
        let mut done: Vec<_> = futures::stream::iter(runs)
            .buffer_unordered(at_once.max(1))
            .collect()
            .await;
        done.sort_by_key(|(order, _)| *order);
        results.extend(done.into_iter().map(|(_, result)| result));
    }
    let failed = results.iter().any(|(_, r)| r.is_err());
    if json_output {
        let streams: Vec<serde_json::Value> = results
            .iter()
            .map(|(name, r)| match r {
                Ok(s) => json!({
                    "stream": name, "outcome": "succeeded", "resumed": s.resumed, "pages": s.pages,
                    "records": s.records(), "created": s.counts.created, "updated": s.counts.updated,
                    "unchanged": s.counts.unchanged, "quarantined": s.quarantined, "drift": s.drift, "skipped": s.skipped,
                    "seconds": s.elapsed.as_secs_f64(),
                }),
                Err(e) => json!({"stream": name, "outcome": "failed", "error": e}),
            })
            .collect();
        outln!(
            "{}",
            json!({"streams": streams, "peak_rss_bytes": peak_rss_bytes()})
        );
    }
    Ok(failed)
}

/// Groups planned streams into waves: a stream runs in the wave after its
/// parent's (when the parent is part of this sync), otherwise in the first.
fn waves(streams: &[StreamInfo]) -> Vec<Vec<&StreamInfo>> {
    let mut depth: Vec<usize> = Vec::with_capacity(streams.len());
    for s in streams {
        let d = s
            .parent
            .as_ref()
            .and_then(|p| streams.iter().position(|o| o.name == p.stream))
            .and_then(|i| depth.get(i).copied())
            .map_or(0, |d| d + 1);
        depth.push(d);
    }
    let deepest = depth.iter().copied().max().unwrap_or(0);
    (0..=deepest)
        .map(|d| {
            streams
                .iter()
                .zip(&depth)
                .filter(|(_, sd)| **sd == d)
                .map(|(s, _)| s)
                .collect()
        })
        .filter(|w: &Vec<&StreamInfo>| !w.is_empty())
        .collect()
}
