//! The scheduler and the sync worker against a real SQLite store in a temp
//! dir; the scheduler's clock is the test's.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use holdfast_spec::{Schedule, Trigger};
use holdfast_store::prelude::*;
use holdfast_store::{Enqueued, JobFilter, JobState, RunOutcome, TableSpec};
use holdfast_store_sqlite::SqliteStore;
use serde_json::{Value, json};

use super::*;
use crate::SourceError;
use crate::jobs::SyncCall;
use crate::source::{Page, PageReader, ReadScope, Source, StreamInfo};

/// One stream `items`: two pages of two records.
struct TwoPages;

#[async_trait]
impl Source for TwoPages {
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
        Ok(Box::new(Reader))
    }
}

struct Reader;

#[async_trait]
impl PageReader for Reader {
    async fn read_page(&mut self, position: &Value) -> Result<Page, SourceError> {
        let page = position.as_u64().unwrap_or(1);
        Ok(Page {
            records: vec![json!({"id": page * 10 + 1}), json!({"id": page * 10 + 2})],
            next: (page < 2).then(|| json!(page + 1)),
            capped: None,
            skipped: false,
        })
    }
}

async fn store() -> (Arc<SqliteStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("t.db").display().to_string())
        .await
        .expect("open");
    (Arc::new(store), dir)
}

fn every(secs: u64, jitter: u64) -> Vec<ScheduledStream> {
    let slots = Slots::new(&Schedule {
        trigger: Trigger::Every(Duration::from_secs(secs)),
        jitter: Duration::from_secs(jitter),
        calendar: Default::default(),
    })
    .expect("slots");
    vec![ScheduledStream {
        name: "items".into(),
        slots,
        reconcile: false,
        calendar: None,
    }]
}

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, m, s)
        .single()
        .expect("time")
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

fn worker(store: &Arc<SqliteStore>, id: &str) -> SyncWorker {
    SyncWorker::new(
        store.clone(),
        Arc::new(TwoPages),
        SyncWorkerConfig {
            id: id.into(),
            ..SyncWorkerConfig::default()
        },
    )
}

#[tokio::test]
async fn downtime_enqueues_only_the_latest_slot() {
    let (store, _dir) = store().await;
    let mut scheduler = Scheduler::new(store.clone(), every(60, 10));
    // never ran: the latest slot at start, due within the jitter from now
    let start = at(8, 0, 30);
    let done = scheduler.tick(start).await.expect("tick");
    assert_eq!(done.len(), 1);
    let (_, Enqueued::Created(_), run_at) = done[0] else {
        panic!("created: {done:?}");
    };
    assert!(run_at >= start && run_at < start + chrono::Duration::seconds(10));
    // the same slot again: nothing
    assert!(scheduler.tick(at(8, 0, 59)).await.expect("tick").is_empty());
    // three hours later (the process was stalled, or the machine asleep): one job
    let done = scheduler.tick(at(11, 0, 42)).await.expect("tick");
    assert_eq!(done.len(), 1, "{done:?}");
    let jobs = sync_jobs(&*store).await;
    assert_eq!(jobs.len(), 2);
    let slot = at(11, 0, 0).timestamp();
    assert_eq!(
        jobs[1].unique_key.as_deref(),
        Some(&*format!("sync:items:{slot}"))
    );
    let delay = jobs[1].run_at - at(11, 0, 0);
    assert!(delay >= chrono::Duration::zero() && delay < chrono::Duration::seconds(10));
}

#[tokio::test]
async fn two_schedulers_enqueue_each_slot_once() {
    let (store, _dir) = store().await;
    let mut a = Scheduler::new(store.clone(), every(60, 30));
    let mut b = Scheduler::new(store.clone(), every(60, 30));
    let now = at(9, 15, 0);
    let first = a.tick(now).await.expect("tick a");
    let second = b
        .tick(now + chrono::Duration::milliseconds(400))
        .await
        .expect("tick b");
    assert!(matches!(first[0].1, Enqueued::Created(_)));
    assert!(matches!(second[0].1, Enqueued::Duplicate(_)));
    assert_eq!(first[0].1.id(), second[0].1.id());
    // on time, both compute the same start
    assert_eq!(first[0].2, second[0].2);
    assert_eq!(sync_jobs(&*store).await.len(), 1);
}

#[tokio::test]
async fn a_stream_that_ran_since_its_slot_waits_for_the_next() {
    let (store, _dir) = store().await;
    let now = Utc::now();
    let run = store.start_run("items", now).await.expect("run");
    store
        .finish_run(run, RunOutcome::Succeeded, None, now)
        .await
        .expect("finish");
    // one slot a day: the latest one is before the run
    let mut scheduler = Scheduler::new(store.clone(), every(86_400, 0));
    let done = scheduler
        .tick(now + chrono::Duration::seconds(1))
        .await
        .expect("tick");
    let slot_of_today = Slots::new(&Schedule {
        trigger: Trigger::Every(Duration::from_secs(86_400)),
        jitter: Duration::ZERO,
        calendar: Default::default(),
    })
    .expect("slots")
    .latest(now)
    .expect("slot");
    if slot_of_today <= now {
        assert!(done.is_empty(), "covered by the run: {done:?}");
    }
}

#[tokio::test]
async fn the_worker_runs_under_the_lease_and_waits_when_busy() {
    let (store, _dir) = store().await;
    let now = Utc::now();
    let call = SyncCall {
        stream: "items".into(),
        full_refresh: false,
        slot: Some(now.timestamp() - 1),
        reconcile: false,
    };
    store
        .enqueue(&[call.to_job(now)], now)
        .await
        .expect("enqueue");
    // someone else (a live holder elsewhere) runs the stream
    let until = now + chrono::Duration::seconds(60);
    assert!(
        store
            .acquire_lease("stream:items", "elsewhere/1/0", until, now)
            .await
            .expect("lease")
    );
    let stop = CancellationToken::new();
    let w = worker(&store, "here/2/0");
    let outcome = w.step(&stop).await.expect("step").expect("a job");
    let SyncJobOutcome::Busy {
        holder, until: at, ..
    } = outcome
    else {
        panic!("busy: {outcome:?}");
    };
    assert_eq!(holder, "elsewhere/1/0");
    assert!(
        at <= Utc::now() + chrono::Duration::seconds(6),
        "looks again soon: {at}"
    );
    let jobs = sync_jobs(&*store).await;
    assert_eq!(jobs[0].state, JobState::Ready);
    assert!(
        jobs[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("being synced"))
    );
    assert!(store.runs(Some("items"), 5).await.expect("runs").is_empty());

    // the holder is done: the job runs and gives the lease up
    assert!(
        store
            .release_lease("stream:items", "elsewhere/1/0")
            .await
            .expect("release")
    );
    store
        .requeue(holdfast_store::Requeue::Job(jobs[0].id), Utc::now())
        .await
        .expect("requeue");
    let outcome = w.step(&stop).await.expect("step").expect("a job");
    let SyncJobOutcome::Succeeded { run, resumed, .. } = outcome else {
        panic!("succeeded: {outcome:?}");
    };
    assert!(!resumed);
    let job = &sync_jobs(&*store).await[0];
    assert_eq!(job.state, JobState::Done);
    let result: Value = serde_json::from_str(job.result.as_deref().expect("result")).expect("json");
    assert_eq!(result["run"], json!(run));
    assert_eq!(result["pages"], json!(2));
    let leases = store.leases().await.expect("leases");
    assert!(
        leases
            .iter()
            .all(|l| !(l.name == "stream:items" && l.is_live(Utc::now()))),
        "{leases:?}"
    );

    // a job for a slot before that run is covered by it
    let older = SyncCall {
        slot: Some(now.timestamp() - 2),
        ..call
    };
    store
        .enqueue(&[older.to_job(Utc::now())], Utc::now())
        .await
        .expect("enqueue");
    let outcome = w.step(&stop).await.expect("step").expect("a job");
    assert!(
        matches!(outcome, SyncJobOutcome::Skipped { .. }),
        "{outcome:?}"
    );
    assert_eq!(store.runs(Some("items"), 5).await.expect("runs").len(), 1);
}

#[tokio::test]
async fn a_lease_of_a_process_that_is_gone_is_taken_over() {
    let (store, _dir) = store().await;
    let now = Utc::now();
    let call = SyncCall {
        stream: "items".into(),
        full_refresh: false,
        slot: None,
        reconcile: false,
    };
    store
        .enqueue(&[call.to_job(now)], now)
        .await
        .expect("enqueue");
    // a holder on this host whose pid does not exist
    let gone =
        crate::worker::worker_id(0).replace(&format!("/{}/", std::process::id()), "/4194304/");
    let until = now + chrono::Duration::seconds(60);
    assert!(
        store
            .acquire_lease("stream:items", &gone, until, now)
            .await
            .expect("lease")
    );
    let outcome = worker(&store, &crate::worker::worker_id(7))
        .step(&CancellationToken::new())
        .await
        .expect("step")
        .expect("a job");
    assert!(
        matches!(outcome, SyncJobOutcome::Succeeded { .. }),
        "{outcome:?}"
    );
}
