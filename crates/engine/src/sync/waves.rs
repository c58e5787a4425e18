//! Syncing several streams at once, in waves: a stream runs in the wave
//! after its parent's (when the parent is part of this sync), so parents
//! finish before their children start; a child whose parent failed is not
//! started. Within a wave, up to `at_once` streams run together, each
//! under its stream's lease so it never overlaps another process's run.

use std::time::Duration;

use futures::StreamExt as _;
use holdfast_store::{Store, StoreError};
use tokio_util::sync::CancellationToken;

use super::lease::{StreamBusy, with_stream_lease};
use super::{Observer, RunSummary, SyncOptions, sync_stream_until};
use crate::SyncError;
use crate::source::{Source, StreamInfo};

/// How a sync of several streams runs.
#[derive(Debug, Clone)]
pub struct WaveOptions {
    /// How each stream's run reads.
    pub sync: SyncOptions,
    /// Most streams running at once (at least one).
    pub at_once: usize,
    /// Who holds each stream's lease (a worker id, `host/pid/n`).
    pub holder: String,
    /// How long a stream's lease holds without renewal (renewed every third).
    pub lease: Duration,
    /// The store as shown in messages (its URL, password hidden).
    pub store_shown: String,
}

/// How one stream of a sync of several ended.
#[derive(Debug)]
pub enum StreamEnd {
    /// The run read everything.
    Synced(RunSummary),
    /// The run failed (the observer was told, like every run's end).
    Failed(SyncError),
    /// The run was not started (the observer was told why).
    NotStarted(NotStarted),
    /// Stopped after its last committed page, or not started because the
    /// sync was stopped first.
    Interrupted,
}

impl StreamEnd {
    /// Why the stream did not sync, in one line; `None` when it synced or
    /// was interrupted.
    pub fn error(&self) -> Option<String> {
        match self {
            StreamEnd::Failed(e) => Some(e.to_string()),
            StreamEnd::NotStarted(why) => Some(why.to_string()),
            StreamEnd::Synced(_) | StreamEnd::Interrupted => None,
        }
    }
}

/// Why a stream's run was not started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotStarted {
    /// Its parent failed in an earlier wave.
    #[error("skipped because its parent `{parent}` failed")]
    ParentFailed {
        /// The parent stream.
        parent: String,
    },
    /// Another live process is syncing it.
    #[error(transparent)]
    Busy(StreamBusy),
    /// The store failed while the stream's lease was taken.
    #[error("the store `{store}` failed taking the stream's lease: {error}")]
    Lease {
        /// The store as shown in messages.
        store: String,
        /// What failed.
        error: StoreError,
    },
}

/// Syncs `streams` (as [`plan`](super::plan) ordered them) in waves; returns
/// each stream with how it ended, wave by wave in plan order. Every run's
/// start, pages and end go to `observer`, and so does every stream not
/// started. Once `stop` is cancelled, runs end after the page being
/// committed (recorded as interrupted) and streams not started yet are not
/// started.
pub async fn sync_waves(
    source: &dyn Source,
    store: &dyn Store,
    streams: &[StreamInfo],
    options: &WaveOptions,
    observer: &dyn Observer,
    stop: &CancellationToken,
) -> Vec<(String, StreamEnd)> {
    let mut results: Vec<(String, StreamEnd)> = Vec::new();
    for wave in waves(streams) {
        let runs = wave.iter().enumerate().map(|(order, info)| {
            let failed_parent = info.parent.as_ref().and_then(|p| {
                results
                    .iter()
                    .find(|(name, end)| name == &p.stream && !matches!(end, StreamEnd::Synced(_)))
                    .map(|(name, _)| name.clone())
            });
            async move {
                let end = if stop.is_cancelled() {
                    StreamEnd::Interrupted
                } else {
                    match failed_parent {
                        Some(parent) => StreamEnd::NotStarted(NotStarted::ParentFailed { parent }),
                        None => run_leased(source, store, info, options, observer, stop).await,
                    }
                };
                if let StreamEnd::NotStarted(why) = &end {
                    observer.not_started(&info.name, why);
                }
                (order, (info.name.clone(), end))
            }
        });
        let mut done: Vec<_> = futures::stream::iter(runs)
            .buffer_unordered(options.at_once.max(1))
            .collect()
            .await;
        done.sort_by_key(|(order, _)| *order);
        results.extend(done.into_iter().map(|(_, result)| result));
    }
    results
}

/// Runs one stream under its lease: never at once with another process's
/// run of it (`holdfast serve`'s, or another `holdfast sync`).
async fn run_leased(
    source: &dyn Source,
    store: &dyn Store,
    info: &StreamInfo,
    options: &WaveOptions,
    observer: &dyn Observer,
    stop: &CancellationToken,
) -> StreamEnd {
    let run = sync_stream_until(source, store, info, options.sync, observer, stop);
    match with_stream_lease(store, &info.name, &options.holder, options.lease, run).await {
        Ok(Ok(Ok(summary))) => StreamEnd::Synced(summary),
        Ok(Ok(Err(SyncError::Interrupted { .. }))) => StreamEnd::Interrupted,
        Ok(Ok(Err(e))) => StreamEnd::Failed(e),
        Ok(Err(busy)) => StreamEnd::NotStarted(NotStarted::Busy(busy)),
        Err(error) => StreamEnd::NotStarted(NotStarted::Lease {
            store: options.store_shown.clone(),
            error,
        }),
    }
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;
    use chrono::Utc;
    use holdfast_store::TableSpec;
    use holdfast_store::prelude::*;
    use holdfast_store_sqlite::SqliteStore;
    use serde_json::{Value, json};

    use super::*;
    use crate::SourceError;
    use crate::source::{Page, PageReader, ParentInfo, ReadScope};

    fn info(name: &str, parent: Option<&str>) -> StreamInfo {
        StreamInfo {
            name: name.into(),
            table: TableSpec::new(name, vec!["id".into()]),
            cursor_field: None,
            lookback: Duration::ZERO,
            cursor_format: holdfast_spec::CursorFormat::Auto,
            rules: Default::default(),
            parent: parent.map(|p| ParentInfo {
                stream: p.into(),
                table: TableSpec::new(p, vec!["id".into()]),
            }),
        }
    }

    /// `down` fails, `down_child` is its child; `up` and its child `up_child`
    /// read one record each.
    struct Streams;

    #[async_trait]
    impl Source for Streams {
        fn streams(&self) -> Vec<StreamInfo> {
            vec![
                info("down", None),
                info("down_child", Some("down")),
                info("up", None),
                info("up_child", Some("up")),
            ]
        }

        fn read(
            &self,
            stream: &str,
            _: ReadScope,
        ) -> Result<Box<dyn PageReader + '_>, SourceError> {
            Ok(Box::new(Reader(stream == "down")))
        }
    }

    struct Reader(bool);

    #[async_trait]
    impl PageReader for Reader {
        async fn read_page(&mut self, _: &Value) -> Result<Page, SourceError> {
            if self.0 {
                return Err(SourceError::Other("the API is down".into()));
            }
            Ok(Page {
                records: vec![json!({"id": 1})],
                ..Page::default()
            })
        }
    }

    /// Remembers which streams were not started, and why.
    #[derive(Default)]
    struct Told(Mutex<Vec<String>>);

    impl Observer for Told {
        fn not_started(&self, stream: &str, why: &NotStarted) {
            let mut told = self.0.lock().unwrap_or_else(|e| e.into_inner());
            told.push(format!("{stream}: {why}"));
        }
    }

    fn options(holder: &str) -> WaveOptions {
        WaveOptions {
            sync: SyncOptions::default(),
            at_once: 2,
            holder: holder.into(),
            lease: Duration::from_secs(30),
            store_shown: "sqlite://t.db".into(),
        }
    }

    async fn store() -> (Arc<SqliteStore>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("t.db").display().to_string())
            .await
            .expect("open");
        (Arc::new(store), dir)
    }

    fn names<'a>(wave: &[&'a StreamInfo]) -> Vec<&'a str> {
        wave.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn a_stream_runs_in_the_wave_after_its_parent() {
        let streams = vec![
            info("a", None),
            info("b", Some("a")),
            info("c", Some("b")),
            info("d", None),
            // its parent is not part of this sync: it runs at once
            info("e", Some("elsewhere")),
        ];
        let waves = waves(&streams);
        let waves: Vec<Vec<&str>> = waves.iter().map(|w| names(w)).collect();
        assert_eq!(waves, vec![vec!["a", "d", "e"], vec!["b"], vec!["c"]]);
        assert!(super::waves(&[]).is_empty());
    }

    #[tokio::test]
    async fn a_child_whose_parent_failed_is_not_started() {
        let (store, _dir) = store().await;
        let streams = Streams.streams();
        let told = Told::default();
        let stop = CancellationToken::new();
        let ends = sync_waves(
            &Streams,
            &*store,
            &streams,
            &options("here/1/0"),
            &told,
            &stop,
        )
        .await;
        let shown: Vec<(&str, Option<String>)> =
            ends.iter().map(|(n, e)| (n.as_str(), e.error())).collect();
        assert_eq!(shown[0].0, "down");
        assert!(matches!(ends[0].1, StreamEnd::Failed(_)), "{:?}", ends[0].1);
        assert_eq!(shown[1], ("up", None));
        assert_eq!(
            shown[2],
            (
                "down_child",
                Some("skipped because its parent `down` failed".to_owned())
            )
        );
        assert_eq!(shown[3], ("up_child", None));
        assert_eq!(
            *told.0.lock().expect("told"),
            vec!["down_child: skipped because its parent `down` failed".to_owned()]
        );
    }

    #[tokio::test]
    async fn a_stream_synced_elsewhere_is_not_started_and_a_stop_starts_nothing() {
        let (store, _dir) = store().await;
        let now = Utc::now();
        let until = now + chrono::Duration::seconds(60);
        assert!(
            store
                .acquire_lease("stream:up", "elsewhere/1/0", until, now)
                .await
                .expect("lease")
        );
        let streams = vec![info("up", None), info("up_child", Some("up"))];
        let told = Told::default();
        let stop = CancellationToken::new();
        let ends = sync_waves(
            &Streams,
            &*store,
            &streams,
            &options("here/2/0"),
            &told,
            &stop,
        )
        .await;
        assert!(
            matches!(&ends[0].1, StreamEnd::NotStarted(NotStarted::Busy(b)) if b.holder == "elsewhere/1/0"),
            "{:?}",
            ends[0].1
        );
        assert!(matches!(
            &ends[1].1,
            StreamEnd::NotStarted(NotStarted::ParentFailed { parent }) if parent == "up"
        ));
        assert_eq!(told.0.lock().expect("told").len(), 2);

        stop.cancel();
        let ends = sync_waves(
            &Streams,
            &*store,
            &streams,
            &options("here/2/0"),
            &told,
            &stop,
        )
        .await;
        assert!(
            ends.iter()
                .all(|(_, e)| matches!(e, StreamEnd::Interrupted)),
            "{ends:?}"
        );
        assert!(store.runs(None, 5).await.expect("runs").is_empty());
    }
}
