//! `holdfast sync`: run syncs now.

use std::process::ExitCode;

use futures::StreamExt as _;

use holdfast_engine::schedule::CancellationToken;
use holdfast_engine::schedule::with_stream_lease;
use holdfast_engine::sync::{RunSummary, SyncOptions, plan, sync_stream_until};
use holdfast_engine::{Source, StreamInfo, SyncError};
use holdfast_spec::Env;
use holdfast_store::Store;
use serde_json::json;

use crate::cli::{Cli, SyncArgs};
use crate::context::{self, load_spec, open_store};
use crate::interrupt::Interrupt;
use crate::progress::{Progress, peak_rss_bytes};

/// How long a stream's lease holds without renewal (renewed every third).
const LEASE: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) async fn run(cli: &Cli, args: &SyncArgs) -> anyhow::Result<ExitCode> {
    let mut env = Env::from_process();
    let Some(spec) = load_spec(cli, &mut env).await else {
        return Ok(ExitCode::from(2));
    };
    let store = open_store(cli, Some(&spec), &env).await?;
    let source = context::source(cli, spec, &env, &store)?;
    let options = SyncOptions {
        full_refresh: args.full_refresh,
    };
    let at = store.shown().to_owned();
    let interrupt = Interrupt::listen();
    let synced = match sync_all(
        (&source, &at),
        &*store,
        &args.streams,
        (options, interrupt.token()),
        args.json,
        args.streams_at_once,
    )
    .await
    {
        Ok(synced) => synced,
        Err(message) => {
            errln!("error: {message}");
            source.disconnect().await;
            store.close().await;
            return Ok(ExitCode::from(2));
        }
    };
    source.disconnect().await;
    let code = match interrupt.received() {
        Some(signal) => {
            how_to_resume(&*store, signal, &synced.interrupted).await;
            signal.exit_code()
        }
        None if synced.failed => ExitCode::from(1),
        None => ExitCode::SUCCESS,
    };
    store.close().await;
    Ok(code)
}

/// After a signal: what was interrupted (each stream with its run and the
/// pages it committed) and the command that resumes it.
async fn how_to_resume(store: &dyn Store, signal: crate::interrupt::Signal, streams: &[String]) {
    if streams.is_empty() {
        errln!(
            "sync stopped by {}: nothing was left unfinished",
            signal.name()
        );
        return;
    }
    for name in streams {
        let run = store
            .runs(Some(name), 1)
            .await
            .ok()
            .and_then(|r| r.into_iter().next());
        let committed = store
            .load_state(name)
            .await
            .ok()
            .flatten()
            .and_then(|s| s.progress)
            .map_or(0, |p| p.pages);
        let run = run.map(|r| format!(" (run {})", r.id)).unwrap_or_default();
        errln!(
            "sync `{name}` interrupted by {}{run} after {committed} committed page(s): run \
             `holdfast sync {name}` again; it resumes at page {}",
            signal.name(),
            committed + 1
        );
    }
    if streams.len() > 1 {
        errln!("to resume them all: `holdfast sync {}`", streams.join(" "));
    }
}

/// What [`sync_all`] did.
#[derive(Debug, Default)]
pub(crate) struct Synced {
    /// Some stream failed (or was skipped because its parent failed).
    pub(crate) failed: bool,
    /// The streams stopped by `stop` before they finished, or not started.
    pub(crate) interrupted: Vec<String>,
}

/// How many streams one `holdfast sync` runs at once unless told otherwise.
pub(crate) const DEFAULT_STREAMS_AT_ONCE: usize = 8;

/// Syncs the selected streams: streams that do not depend on each other run
/// at once, up to `at_once` of them (each connection's rate limit and
/// in-flight bound hold across them; the bound keeps memory flat however
/// many streams a file has), in waves so parents finish before their
/// children start; a child of a failed parent is skipped. Every failure is
/// printed, naming the stream (and the store, `store_shown`, when the store
/// failed). Once `stop` is cancelled, runs end after the page being
/// committed (recorded as interrupted) and streams not started yet are not
/// started. Returns what failed and what was interrupted.
///
/// # Errors
/// An unknown stream name (nothing is run).
pub(crate) async fn sync_all(
    (source, store_shown): (&dyn Source, &str),
    store: &dyn Store,
    selected: &[String],
    (options, stop): (SyncOptions, &CancellationToken),
    json_output: bool,
    at_once: usize,
) -> Result<Synced, String> {
    let streams = plan(source.streams(), selected)?;
    let progress = Progress::new(store_shown);
    let holder = holdfast_engine::worker::worker_id(0);
    let mut results: Vec<(String, Result<RunSummary, String>)> = Vec::new();
    let mut interrupted: Vec<String> = Vec::new();
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
                if stop.is_cancelled() {
                    return (order, (info.name.clone(), Err(STOPPED.to_owned())));
                }
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
                        sync_stream_until(source, store, info, options, progress, stop),
                    )
                    .await
                    {
                        Ok(Ok(Err(SyncError::Interrupted { .. }))) => Err(STOPPED.to_owned()),
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
    for (name, r) in &results {
        if matches!(r, Err(e) if e == STOPPED) {
            interrupted.push(name.clone());
        }
    }
    let failed = results
        .iter()
        .any(|(_, r)| matches!(r, Err(e) if e != STOPPED));
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
                Err(e) if e == STOPPED => json!({"stream": name, "outcome": "interrupted"}),
                Err(e) => json!({"stream": name, "outcome": "failed", "error": e}),
            })
            .collect();
        outln!(
            "{}",
            json!({"streams": streams, "peak_rss_bytes": peak_rss_bytes()})
        );
    }
    Ok(Synced {
        failed,
        interrupted,
    })
}

/// A stream's result when `stop` ended it (or kept it from starting).
const STOPPED: &str = "interrupted";

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
