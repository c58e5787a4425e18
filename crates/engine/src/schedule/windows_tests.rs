//! Windows and blackouts against a real SQLite store in a temp dir, with
//! the scheduler's and the sync worker's clocks set by the test: a slot
//! outside its window runs at the window's start, nothing runs in a
//! blackout, and a run still going at its window's end stops at a page
//! boundary and resumes in the next window, every record landing once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use holdfast_spec::{Blackout, Calendar, Schedule, Trigger, Window};
use holdfast_store::prelude::*;
use holdfast_store::{Enqueued, JobFilter, JobState, RunOutcome, StreamState, TableSpec};
use holdfast_store_sqlite::SqliteStore;
use serde_json::{Value, json};

use super::*;
use crate::SourceError;
use crate::jobs::SyncCall;
use crate::source::{Page, PageReader, ReadScope, Source, StreamInfo};

/// One stream `items` without a cursor (every run reads everything): six
/// pages of two records. While `hang` is set, reading page 3 never ends
/// (a slow API), so a run is still going when its window closes.
struct SixPages {
    hang: AtomicBool,
}

#[async_trait]
impl Source for SixPages {
    fn streams(&self) -> Vec<StreamInfo> {
        vec![StreamInfo {
            name: "items".into(),
            table: TableSpec::new("items", vec!["id".into()]),
            cursor_field: None,
            lookback: Duration::ZERO,
            cursor_format: holdfast_spec::CursorFormat::Auto,
            rules: Default::default(),
            parent: None,
        }]
    }

    fn read(&self, _: &str, _: ReadScope) -> Result<Box<dyn PageReader + '_>, SourceError> {
        Ok(Box::new(Reader { source: self }))
    }

    fn reconcile_settings(&self, _: &str) -> Option<holdfast_spec::Reconcile> {
        Some(holdfast_spec::Reconcile {
            schedule: None,
            missing: holdfast_spec::Missing::SoftDelete,
            max_delete: holdfast_spec::MaxDelete::default(),
            grace: Duration::ZERO,
            keys_only: None,
        })
    }
}

struct Reader<'a> {
    source: &'a SixPages,
}

#[async_trait]
impl PageReader for Reader<'_> {
    async fn read_page(&mut self, position: &Value) -> Result<Page, SourceError> {
        let page = position.as_u64().unwrap_or(1);
        if page == 3 && self.source.hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        Ok(Page {
            records: vec![json!({"id": page * 10 + 1}), json!({"id": page * 10 + 2})],
            next: (page < 6).then(|| json!(page + 1)),
            capped: None,
            skipped: false,
        })
    }
}

async fn temp_store() -> (Arc<SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("t.db").display().to_string())
        .await
        .expect("open");
    (Arc::new(store), dir)
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("time")
}

/// Every night 22:00 to 06:00 UTC.
fn nightly() -> Calendar {
    Calendar {
        windows: vec![Window {
            days: [true; 7],
            from: 22 * 60,
            to: 6 * 60,
            timezone: chrono_tz::UTC,
        }],
        ..Calendar::default()
    }
}

/// `items` at `cron` (UTC) under `calendar`; `always_heavy`: a bulk or
/// non-incremental stream.
fn scheduled(cron: &str, calendar: Calendar, always_heavy: bool) -> Vec<ScheduledStream> {
    let schedule = Schedule {
        trigger: Trigger::Cron {
            expression: cron.to_owned(),
            timezone: chrono_tz::UTC,
        },
        jitter: Duration::ZERO,
        calendar: calendar.clone(),
    };
    vec![ScheduledStream {
        name: "items".into(),
        slots: Slots::new(&schedule).expect("slots"),
        reconcile: false,
        calendar: Some(StreamCalendar {
            calendar,
            always_heavy,
        }),
    }]
}

async fn sync_jobs(store: &dyn Store) -> Vec<holdfast_store::Job> {
    let mut jobs = store
        .jobs(JobFilter {
            kind: Some(crate::jobs::SYNC),
            limit: 100,
            ..JobFilter::default()
        })
        .await
        .expect("jobs");
    jobs.sort_by_key(|j| j.id);
    jobs
}

async fn count(store: &SqliteStore, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(store.pool())
        .await
        .expect("count")
}

fn worker(
    store: &Arc<SqliteStore>,
    source: &Arc<SixPages>,
    calendars: &Calendars,
    now: DateTime<Utc>,
) -> SyncWorker {
    SyncWorker::new(store.clone(), source.clone(), SyncWorkerConfig::default())
        .with_calendars(calendars.clone())
        .with_clock(Clock::starting_at(now))
}

#[tokio::test]
async fn a_slot_outside_the_window_is_enqueued_for_the_windows_start() {
    let (store, _dir) = temp_store().await;
    // a full read at noon every day, allowed only at night
    let mut scheduler = Scheduler::new(store.clone(), scheduled("0 12 * * *", nightly(), true));
    let mut other = Scheduler::new(store.clone(), scheduled("0 12 * * *", nightly(), true));
    let noon = utc(2026, 11, 23, 12, 0, 30);
    let done = scheduler.tick(noon).await.expect("tick");
    let (_, Enqueued::Created(_), run_at) = done[0] else {
        panic!("created: {done:?}");
    };
    assert_eq!(
        run_at,
        utc(2026, 11, 23, 22, 0, 0),
        "moved to the window's start, not dropped nor early"
    );
    // another process schedules the same slot: still one job
    let again = other.tick(noon).await.expect("tick");
    assert!(matches!(again[0].1, Enqueued::Duplicate(_)), "{again:?}");
    let jobs = sync_jobs(&*store).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].run_at, utc(2026, 11, 23, 22, 0, 0));
    let slot = utc(2026, 11, 23, 12, 0, 0).timestamp();
    assert_eq!(
        jobs[0].unique_key.as_deref(),
        Some(&*format!("sync:items:{slot}"))
    );

    // an incremental stream with a saved cursor is not held back by windows
    let (store, _dir) = temp_store().await;
    let state = StreamState {
        cursor: Some(json!("2026-11-01T00:00:00Z")),
        progress: None,
    };
    store
        .save_state("items", &state, noon)
        .await
        .expect("state");
    let mut scheduler = Scheduler::new(store.clone(), scheduled("0 12 * * *", nightly(), false));
    let done = scheduler
        .tick(utc(2026, 11, 23, 12, 0, 0))
        .await
        .expect("tick");
    assert_eq!(done[0].2, utc(2026, 11, 23, 12, 0, 0));
    // but its reconciliation (a full scan) is
    let mut streams = scheduled("0 12 * * *", nightly(), false);
    streams[0].reconcile = true;
    let mut scheduler = Scheduler::new(store.clone(), streams);
    let done = scheduler
        .tick(utc(2026, 11, 23, 12, 0, 0))
        .await
        .expect("tick");
    assert_eq!(done[0].2, utc(2026, 11, 23, 22, 0, 0));
}

#[tokio::test]
async fn nothing_runs_in_a_blackout() {
    let (store, _dir) = temp_store().await;
    let month_end = Calendar {
        blackouts: vec![Blackout::MonthEnd {
            days: 2,
            timezone: chrono_tz::UTC,
        }],
        ..Calendar::default()
    };
    let mut scheduler = Scheduler::new(
        store.clone(),
        scheduled("0 10 * * *", month_end.clone(), false),
    );
    // November 2030 has 30 days: the 29th and the 30th are dark. The 29th's
    // slot would wait for December 1st, like the 30th's: that one runs then.
    let done = scheduler
        .tick(utc(2030, 11, 29, 10, 0, 1))
        .await
        .expect("tick");
    assert!(done.is_empty(), "{done:?}");
    let done = scheduler
        .tick(utc(2030, 11, 30, 10, 0, 1))
        .await
        .expect("tick");
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].2, utc(2030, 12, 1, 0, 0, 0));

    // a job claimed in the blackout (queued before it began) waits it out
    let (store, _dir) = temp_store().await;
    let call = SyncCall {
        stream: "items".into(),
        full_refresh: false,
        slot: Some(utc(2030, 11, 28, 10, 0, 0).timestamp()),
        reconcile: false,
    };
    store
        .enqueue(
            &[call.to_job(utc(2030, 11, 28, 23, 59, 0))],
            utc(2030, 11, 28, 10, 0, 0),
        )
        .await
        .expect("enqueue");
    let calendars =
        Scheduler::new(store.clone(), scheduled("0 10 * * *", month_end, false)).calendars();
    let source = Arc::new(SixPages {
        hang: AtomicBool::new(false),
    });
    let w = worker(&store, &source, &calendars, utc(2030, 11, 29, 0, 0, 5));
    let outcome = w
        .step(&CancellationToken::new())
        .await
        .expect("step")
        .expect("a job");
    let SyncJobOutcome::Held { until, .. } = outcome else {
        panic!("held: {outcome:?}");
    };
    assert_eq!(until, utc(2030, 12, 1, 0, 0, 0));
    assert!(
        store.runs(Some("items"), 5).await.expect("runs").is_empty(),
        "nothing ran"
    );
    let job = &sync_jobs(&*store).await[0];
    assert_eq!(job.state, JobState::Ready);
    assert_eq!(job.run_at, until);
    assert!(
        job.last_error
            .as_deref()
            .is_some_and(|e| e.contains("in a blackout")),
        "{job:?}"
    );
    // and it is not due again before the blackout ends
    let w = worker(&store, &source, &calendars, utc(2030, 11, 30, 23, 59, 0));
    assert!(
        w.step(&CancellationToken::new())
            .await
            .expect("step")
            .is_none()
    );
    let w = worker(&store, &source, &calendars, utc(2030, 12, 1, 0, 0, 1));
    let outcome = w
        .step(&CancellationToken::new())
        .await
        .expect("step")
        .expect("a job");
    assert!(
        matches!(outcome, SyncJobOutcome::Succeeded { .. }),
        "{outcome:?}"
    );
    assert_eq!(count(&store, "items").await, 12);
}

#[tokio::test]
async fn a_run_at_the_windows_end_stops_at_a_page_and_resumes_in_the_next_window() {
    let (store, _dir) = temp_store().await;
    let calendars =
        Scheduler::new(store.clone(), scheduled("0 22 * * *", nightly(), true)).calendars();
    let slot = utc(2030, 11, 25, 22, 0, 0);
    let call = SyncCall {
        stream: "items".into(),
        full_refresh: false,
        slot: Some(slot.timestamp()),
        reconcile: false,
    };
    store
        .enqueue(&[call.to_job(slot)], slot)
        .await
        .expect("enqueue");
    let source = Arc::new(SixPages {
        hang: AtomicBool::new(true),
    });

    // three seconds before the window closes: pages 1 and 2 commit, page 3 is slow
    let w = worker(&store, &source, &calendars, utc(2030, 11, 26, 5, 59, 57));
    let outcome = w
        .step(&CancellationToken::new())
        .await
        .expect("step")
        .expect("a job");
    let next_window = utc(2030, 11, 26, 22, 0, 0);
    assert_eq!(
        outcome,
        SyncJobOutcome::Paused {
            stream: "items".into(),
            resumes: Some(next_window),
        }
    );
    assert_eq!(count(&store, "items").await, 4, "pages 1 and 2 committed");
    let runs = store.runs(Some("items"), 5).await.expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome, RunOutcome::Interrupted);
    assert_eq!(runs[0].pages, 2);
    let error = runs[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("its window ends (daily 22:00-06:00 UTC) at 2030-11-26 06:00:00 UTC")
            && error.contains("resumes from its last committed page at 2030-11-26 22:00:00 UTC"),
        "{error}"
    );
    let job = &sync_jobs(&*store).await[0];
    assert_eq!(job.state, JobState::Ready);
    assert_eq!(job.run_at, next_window);
    assert_eq!(job.last_error.as_deref(), Some(error));
    assert!(
        store
            .leases()
            .await
            .expect("leases")
            .iter()
            .all(|l| !(l.name == "stream:items" && l.is_live(Utc::now()))),
        "the stream's lease is given up"
    );

    // during the day: not due
    source.hang.store(false, Ordering::SeqCst);
    let w = worker(&store, &source, &calendars, utc(2030, 11, 26, 12, 0, 0));
    assert!(
        w.step(&CancellationToken::new())
            .await
            .expect("step")
            .is_none()
    );

    // the next window: the run goes on from page 3 and every record lands once
    let w = worker(&store, &source, &calendars, utc(2030, 11, 26, 22, 0, 1));
    let outcome = w
        .step(&CancellationToken::new())
        .await
        .expect("step")
        .expect("a job");
    let SyncJobOutcome::Succeeded { resumed, .. } = outcome else {
        panic!("succeeded: {outcome:?}");
    };
    assert!(resumed);
    assert_eq!(count(&store, "items").await, 12);
    let job = &sync_jobs(&*store).await[0];
    assert_eq!(job.state, JobState::Done);
    let result: Value = serde_json::from_str(job.result.as_deref().expect("result")).expect("json");
    assert_eq!(result["pages"], json!(4), "pages 3 to 6, not 1 and 2 again");
    assert_eq!(result["records"], json!(8));
    let runs = store.runs(Some("items"), 5).await.expect("runs");
    let created: u64 = runs.iter().map(|r| r.outcome_counts.created).sum();
    assert_eq!(created, 12, "no record written twice: {runs:?}");
}

#[tokio::test]
async fn a_reconciliation_at_the_windows_end_scans_again_in_the_next_window() {
    let (store, _dir) = temp_store().await;
    let mut streams = scheduled("0 22 * * *", nightly(), false);
    streams[0].reconcile = true;
    let calendars = Scheduler::new(store.clone(), streams).calendars();
    let slot = utc(2030, 11, 25, 22, 0, 0);
    let call = SyncCall {
        stream: "items".into(),
        full_refresh: false,
        slot: Some(slot.timestamp()),
        reconcile: true,
    };
    store
        .enqueue(&[call.to_job(slot)], slot)
        .await
        .expect("enqueue");
    let source = Arc::new(SixPages {
        hang: AtomicBool::new(true),
    });
    let w = worker(&store, &source, &calendars, utc(2030, 11, 26, 5, 59, 58));
    let outcome = w
        .step(&CancellationToken::new())
        .await
        .expect("step")
        .expect("a job");
    let next_window = utc(2030, 11, 26, 22, 0, 0);
    assert!(
        matches!(outcome, SyncJobOutcome::Paused { resumes: Some(at), .. } if at == next_window),
        "{outcome:?}"
    );
    let job = &sync_jobs(&*store).await[0];
    assert_eq!((job.state, job.run_at), (JobState::Ready, next_window));
    assert!(
        job.last_error.as_deref().is_some_and(
            |e| e.contains("scans again (nothing was deleted) at 2030-11-26 22:00:00 UTC")
        ),
        "{job:?}"
    );
    // the next window: the whole scan, complete
    source.hang.store(false, Ordering::SeqCst);
    let w = worker(&store, &source, &calendars, utc(2030, 11, 26, 22, 0, 1));
    let outcome = w
        .step(&CancellationToken::new())
        .await
        .expect("step")
        .expect("a job");
    assert!(
        matches!(&outcome, SyncJobOutcome::Reconciled { outcome, .. } if outcome == "complete"),
        "{outcome:?}"
    );
    assert_eq!(count(&store, "items").await, 12);
}
