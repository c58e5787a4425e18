//! The sync loop against a scripted source (standing in for a remote API) and
//! a real SQLite store in a temp dir.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use holdfast_store::prelude::*;
use holdfast_store::{RunOutcome, TableSpec};
use holdfast_store_sqlite::SqliteStore;
use serde_json::{Value, json};

use super::*;
use crate::SourceError;
use crate::source::{Page, PageReader, ParentInfo};

/// Pages of `per_page` records numbered from 1; optionally fails once at a page.
struct Scripted {
    pages: u64,
    per_page: u64,
    fail_at: Mutex<Option<u64>>,
    requested: Mutex<Vec<(Option<Value>, Value)>>,
    children: HashMap<i64, u64>,
}

impl Scripted {
    fn new(pages: u64, per_page: u64) -> Self {
        Scripted {
            pages,
            per_page,
            fail_at: Mutex::new(None),
            requested: Mutex::new(Vec::new()),
            children: HashMap::new(),
        }
    }
}

fn info(name: &str, cursor: bool, parent: Option<&str>) -> StreamInfo {
    StreamInfo {
        name: name.into(),
        table: TableSpec::new(name, vec!["id".into()]),
        cursor_field: cursor.then(|| "updated".to_owned()),
        lookback: Duration::ZERO,
        cursor_format: holdfast_spec::CursorFormat::Auto,
        rules: Default::default(),
        parent: parent.map(|p| ParentInfo {
            stream: p.into(),
            table: TableSpec::new(p, vec!["id".into()]),
        }),
    }
}

#[async_trait]
impl Source for Scripted {
    fn streams(&self) -> Vec<StreamInfo> {
        vec![
            info("items", true, None),
            info("subs", false, Some("items")),
        ]
    }

    fn read(
        &self,
        stream: &str,
        scope: ReadScope,
    ) -> Result<Box<dyn PageReader + '_>, SourceError> {
        Ok(Box::new(Reader {
            source: self,
            child: stream == "subs",
            parent: scope.parent.and_then(|p| p["id"].as_i64()),
        }))
    }
}

struct Reader<'a> {
    source: &'a Scripted,
    child: bool,
    parent: Option<i64>,
}

#[async_trait]
impl PageReader for Reader<'_> {
    async fn read_page(&mut self, position: &Value) -> Result<Page, SourceError> {
        let s = self.source;
        s.requested
            .lock()
            .expect("lock")
            .push((self.parent.map(Value::from), position.clone()));
        let page = position.as_u64().unwrap_or(1);
        if *s.fail_at.lock().expect("lock") == Some(page) && !self.child {
            *s.fail_at.lock().expect("lock") = None;
            return Err(SourceError::Other("remote fell over".into()));
        }
        if let Some(parent) = self.parent {
            let n = s.children.get(&parent).copied().unwrap_or(0);
            let records = (1..=n)
                .map(|k| json!({"id": format!("{parent}-{k}"), "parent": parent}))
                .collect();
            return Ok(Page {
                records,
                next: None,
                capped: None,
                skipped: false,
            });
        }
        let first = (page - 1) * s.per_page + 1;
        let records = (first..first + s.per_page)
            // Later records carry earlier times: the high-water mark is on page 1.
            .map(
                |i| json!({"id": i, "updated": format!("2024-01-01T00:{:02}:00Z", 59 - i.min(59))}),
            )
            .collect();
        let next = (page < s.pages).then(|| json!(page + 1));
        Ok(Page {
            records,
            next,
            capped: None,
            skipped: false,
        })
    }
}

async fn store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("t.db").display().to_string())
        .await
        .expect("open");
    (store, dir)
}

async fn count(store: &SqliteStore, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(store.pool())
        .await
        .expect("count")
}

#[tokio::test]
async fn a_failed_run_resumes_at_the_first_uncommitted_page() {
    let (store, _dir) = store().await;
    let source = Scripted::new(5, 10);
    *source.fail_at.lock().expect("lock") = Some(4);
    let items = info("items", true, None);
    let err = sync_stream(
        &source,
        &store,
        &items,
        SyncOptions::default(),
        &NoopObserver,
    )
    .await
    .expect_err("page 4 fails");
    assert!(
        err.to_string().contains("stream `items`: remote fell over"),
        "{err}"
    );
    assert_eq!(count(&store, "items").await, 30, "pages 1-3 committed");
    let state = store
        .load_state("items")
        .await
        .expect("state")
        .expect("some");
    let progress = state.progress.expect("in progress");
    assert_eq!(progress.position, Some(json!(4)));

    source.requested.lock().expect("lock").clear();
    let summary = sync_stream(
        &source,
        &store,
        &items,
        SyncOptions::default(),
        &NoopObserver,
    )
    .await
    .expect("resumes");
    assert!(summary.resumed);
    let asked: Vec<Value> = source
        .requested
        .lock()
        .expect("lock")
        .iter()
        .map(|r| r.1.clone())
        .collect();
    assert_eq!(
        asked,
        vec![json!(4), json!(5)],
        "starts at the failed page, not over"
    );
    assert_eq!(summary.counts.created, 20);
    assert_eq!(count(&store, "items").await, 50);
    let runs = store.runs(Some("items"), 5).await.expect("runs");
    assert_eq!(runs[0].outcome, RunOutcome::Succeeded);
    assert_eq!(runs[1].outcome, RunOutcome::Failed);
    // The cursor is the highest `updated` of the whole run, progress is gone.
    let state = store
        .load_state("items")
        .await
        .expect("state")
        .expect("some");
    assert_eq!(state.progress, None);
    assert_eq!(state.cursor, Some(json!("2024-01-01T00:58:00Z")));
}

#[tokio::test]
async fn the_next_run_sends_the_saved_cursor_and_full_refresh_does_not() {
    let (store, _dir) = store().await;
    let source = Scripted::new(1, 3);
    let items = info("items", true, None);
    sync_stream(
        &source,
        &store,
        &items,
        SyncOptions::default(),
        &NoopObserver,
    )
    .await
    .expect("first");
    struct Spy<'a>(&'a Scripted, Mutex<Vec<Option<Value>>>);
    #[async_trait]
    impl Source for Spy<'_> {
        fn streams(&self) -> Vec<StreamInfo> {
            self.0.streams()
        }
        fn read(
            &self,
            stream: &str,
            scope: ReadScope,
        ) -> Result<Box<dyn PageReader + '_>, SourceError> {
            self.1.lock().expect("lock").push(scope.cursor.clone());
            self.0.read(stream, scope)
        }
    }
    let spy = Spy(&source, Mutex::new(Vec::new()));
    sync_stream(&spy, &store, &items, SyncOptions::default(), &NoopObserver)
        .await
        .expect("second");
    sync_stream(
        &spy,
        &store,
        &items,
        SyncOptions { full_refresh: true },
        &NoopObserver,
    )
    .await
    .expect("third");
    let cursors = spy.1.lock().expect("lock").clone();
    assert_eq!(cursors, vec![Some(json!("2024-01-01T00:58:00Z")), None]);
}

#[tokio::test]
async fn child_streams_run_one_chain_per_parent_and_resume_after_the_last_done() {
    let (store, _dir) = store().await;
    let mut source = Scripted::new(1, 4);
    source.children = HashMap::from([(1, 2), (2, 0), (3, 1), (4, 3)]);
    let items = info("items", true, None);
    let subs = info("subs", false, Some("items"));
    let err = sync_stream(
        &source,
        &store,
        &subs,
        SyncOptions::default(),
        &NoopObserver,
    )
    .await
    .expect_err("no parents yet");
    assert!(err.to_string().contains("sync `items` first"), "{err}");
    sync_stream(
        &source,
        &store,
        &items,
        SyncOptions::default(),
        &NoopObserver,
    )
    .await
    .expect("parents");
    let summary = sync_stream(
        &source,
        &store,
        &subs,
        SyncOptions::default(),
        &NoopObserver,
    )
    .await
    .expect("children");
    assert_eq!(summary.counts.created, 6);
    assert_eq!(
        summary.pages, 4,
        "one chain per parent, empty ones included"
    );
    assert_eq!(count(&store, "subs").await, 6);
    assert_eq!(
        store
            .load_state("subs")
            .await
            .expect("state")
            .expect("some")
            .progress,
        None
    );

    // A run that died after finishing parent 2 continues with parent 3.
    let mut state = store
        .load_state("subs")
        .await
        .expect("state")
        .expect("some");
    state.progress = Some(holdfast_store::Progress {
        partition: Some(vec![json!(2)]),
        pages: 2,
        ..Default::default()
    });
    store
        .save_state("subs", &state, chrono::Utc::now())
        .await
        .expect("save");
    source.requested.lock().expect("lock").clear();
    let summary = sync_stream(
        &source,
        &store,
        &subs,
        SyncOptions::default(),
        &NoopObserver,
    )
    .await
    .expect("resume");
    assert!(summary.resumed);
    let parents: Vec<Option<Value>> = source
        .requested
        .lock()
        .expect("lock")
        .iter()
        .map(|r| r.0.clone())
        .collect();
    assert_eq!(parents, vec![Some(json!(3)), Some(json!(4))]);
}

#[test]
fn plan_puts_parents_first_and_rejects_unknown_names() {
    let streams = vec![
        info("subs", false, Some("items")),
        info("items", true, None),
    ];
    let names = |v: Vec<StreamInfo>| v.into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(
        names(plan(streams.clone(), &[]).expect("plan")),
        vec!["items", "subs"]
    );
    assert_eq!(
        names(plan(streams.clone(), &["subs".into()]).expect("plan")),
        vec!["subs"]
    );
    let err = plan(streams, &["nope".into()])
        .expect_err("unknown")
        .to_string();
    assert!(
        err.contains("no stream `nope`") && err.contains("items"),
        "{err}"
    );
}

/// Cancels `token` once `after` pages have been committed.
struct StopAfter {
    token: CancellationToken,
    after: usize,
    seen: Mutex<usize>,
}

impl Observer for StopAfter {
    fn page(&self, _: &str, _: usize, _: PageOutcome, _: usize) {
        let mut seen = self.seen.lock().expect("lock");
        *seen += 1;
        if *seen == self.after {
            self.token.cancel();
        }
    }
}

#[tokio::test]
async fn a_stopped_run_ends_after_its_page_and_resumes_there() {
    let (store, _dir) = store().await;
    let source = Scripted::new(6, 10);
    let items = info("items", true, None);
    let stop = StopAfter {
        token: CancellationToken::new(),
        after: 2,
        seen: Mutex::new(0),
    };
    let err = sync_stream_until(
        &source,
        &store,
        &items,
        SyncOptions::default(),
        &stop,
        &stop.token,
    )
    .await
    .expect_err("stopped");
    assert!(matches!(err, SyncError::Interrupted { .. }), "{err}");
    assert_eq!(count(&store, "items").await, 20, "pages 1-2 committed");
    let runs = store.runs(Some("items"), 5).await.expect("runs");
    assert_eq!(runs[0].outcome, RunOutcome::Interrupted, "not failed");
    assert_eq!(runs[0].pages, 2);
    let progress = store
        .load_state("items")
        .await
        .expect("state")
        .and_then(|s| s.progress)
        .expect("in progress");
    assert_eq!(progress.position, Some(json!(3)));

    source.requested.lock().expect("lock").clear();
    let summary = sync_stream(
        &source,
        &store,
        &items,
        SyncOptions::default(),
        &NoopObserver,
    )
    .await
    .expect("resumes");
    assert!(summary.resumed);
    let first = source.requested.lock().expect("lock").first().cloned();
    assert_eq!(first.map(|r| r.1), Some(json!(3)), "page 3 onwards only");
    assert_eq!(count(&store, "items").await, 60);
}

#[tokio::test]
async fn a_run_stopped_before_it_starts_reads_nothing() {
    let (store, _dir) = store().await;
    let source = Scripted::new(3, 10);
    let token = CancellationToken::new();
    token.cancel();
    let err = sync_stream_until(
        &source,
        &store,
        &info("items", true, None),
        SyncOptions::default(),
        &NoopObserver,
        &token,
    )
    .await
    .expect_err("stopped");
    assert!(matches!(err, SyncError::Interrupted { .. }), "{err}");
    assert!(source.requested.lock().expect("lock").is_empty());
    let runs = store.runs(Some("items"), 5).await.expect("runs");
    assert_eq!(runs[0].outcome, RunOutcome::Interrupted);
}
