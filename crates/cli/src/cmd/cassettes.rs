//! What `record` and `test` share: where cassettes live, which streams a
//! cassette needs, and one run of those streams into a throw-away store.

use std::path::{Path, PathBuf};

use holdfast_engine::Source;
use holdfast_engine::queue::worker_id;
use holdfast_engine::schedule::CancellationToken;
use holdfast_engine::sync::{StreamEnd, SyncOptions, WaveOptions, plan, sync_waves};
use holdfast_store::prelude::*;

use crate::backend::OpenStore;
use crate::progress::Progress;

/// The folder cassettes are kept in by default: `cassettes/` beside the
/// connector file.
pub(crate) fn default_dir(config: &Path) -> PathBuf {
    beside(config, "cassettes")
}

/// `relative` beside the connector file `config`.
pub(crate) fn beside(config: &Path, relative: &str) -> PathBuf {
    config
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(relative)
}

/// The records and pages of `stream`'s last run in `store` (a run stopped
/// early by `--pages` too), as `runs` counts them; zeros when it never ran.
pub(crate) async fn landed(store: &dyn Store, stream: &str) -> anyhow::Result<(u64, u64)> {
    Ok(store
        .runs(Some(stream), 1)
        .await?
        .first()
        .map_or((0, 0), |run| (run.records(), run.pages)))
}

/// `stream` and every stream it reads its parents from, parents first.
///
/// # Errors
/// An unknown stream (the message suggests the nearest name).
pub(crate) fn with_parents(source: &dyn Source, stream: &str) -> anyhow::Result<Vec<String>> {
    let infos = source.streams();
    plan(infos.clone(), &[stream.to_owned()])?;
    let mut chain = vec![stream.to_owned()];
    let mut at = stream.to_owned();
    while let Some(parent) = infos
        .iter()
        .find(|i| i.name == at)
        .and_then(|i| i.parent.as_ref())
        .map(|p| p.stream.clone())
    {
        if chain.contains(&parent) {
            break;
        }
        chain.insert(0, parent.clone());
        at = parent;
    }
    Ok(chain)
}

/// A store in a temporary folder, gone when the folder is dropped.
pub(crate) async fn scratch_store() -> anyhow::Result<(OpenStore, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("scratch.db").display());
    Ok((OpenStore::open(&url).await?, dir))
}

/// Runs `streams` (parents before children) from scratch into `store`,
/// printing each stream's line as `sync` does; `stop` ends them after the
/// page being committed.
pub(crate) async fn run_streams(
    source: &dyn Source,
    store: &dyn Store,
    streams: &[String],
    stop: &CancellationToken,
) -> anyhow::Result<Vec<(String, StreamEnd)>> {
    let infos = plan(source.streams(), streams)?;
    let progress = Progress::new("a scratch store");
    let waves = WaveOptions {
        sync: SyncOptions { full_refresh: true },
        at_once: crate::cmd::sync::DEFAULT_STREAMS_AT_ONCE,
        holder: worker_id(0),
        lease: std::time::Duration::from_secs(30),
        store_shown: "a scratch store".to_owned(),
    };
    Ok(sync_waves(source, store, &infos, &waves, &progress, stop).await)
}
