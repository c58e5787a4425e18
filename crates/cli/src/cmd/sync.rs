//! `holdfast sync`: run syncs now.

use std::process::ExitCode;

use holdfast_engine::Source;
use holdfast_engine::queue::worker_id;
use holdfast_engine::schedule::CancellationToken;
use holdfast_engine::sync::{PlanError, StreamEnd, SyncOptions, WaveOptions, plan, sync_waves};
use holdfast_spec::Env;
use holdfast_store::prelude::*;
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
pub(crate) use holdfast_engine::sync::DEFAULT_STREAMS_AT_ONCE;

/// Syncs the selected streams in waves ([`sync_waves`]): streams that do
/// not depend on each other run at once, up to `at_once` of them (each
/// connection's rate limit and in-flight bound hold across them; the bound
/// keeps memory flat however many streams a file has), parents finish
/// before their children start, and a child of a failed parent is skipped.
/// Every failure is printed, naming the stream (and the store,
/// `store_shown`, when the store failed). Once `stop` is cancelled, runs
/// end after the page being committed (recorded as interrupted) and
/// streams not started yet are not started. Returns what failed and what
/// was interrupted.
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
) -> Result<Synced, PlanError> {
    let streams = plan(source.streams(), selected)?;
    let progress = Progress::new(store_shown);
    let waves = WaveOptions {
        sync: options,
        at_once,
        holder: worker_id(0),
        lease: LEASE,
        store_shown: store_shown.to_owned(),
    };
    let results = sync_waves(source, store, &streams, &waves, &progress, stop).await;
    let interrupted = results
        .iter()
        .filter(|(_, end)| matches!(end, StreamEnd::Interrupted))
        .map(|(name, _)| name.clone())
        .collect();
    let failed = results.iter().any(|(_, end)| end.error().is_some());
    if json_output {
        let streams: Vec<serde_json::Value> = results
            .iter()
            .map(|(name, end)| match end {
                StreamEnd::Synced(s) => json!({
                    "stream": name, "outcome": "succeeded", "resumed": s.resumed, "pages": s.pages,
                    "records": s.records(), "created": s.counts.created, "updated": s.counts.updated,
                    "unchanged": s.counts.unchanged, "quarantined": s.quarantined, "drift": s.drift, "skipped": s.skipped,
                    "seconds": s.elapsed.as_secs_f64(),
                }),
                StreamEnd::Interrupted => json!({"stream": name, "outcome": "interrupted"}),
                failed => json!({"stream": name, "outcome": "failed", "error": failed.error()}),
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
