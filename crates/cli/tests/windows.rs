//! `schedule.windows:` and `blackout:` under `holdfast serve`, on the real
//! clock: a heavy run outside its window (or any run in a blackout) waits
//! for the next allowed moment, and a run still going when its window
//! closes stops after a committed page and resumes from there in the next
//! window, every record landing once.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use common::{Sandbox, Serve, cursor_connector, open_pool, requests_to};
use holdfast_mock::MockConfig;
use sqlx::sqlite::SqlitePool;

const PATH: &str = "/cursor/contacts";

/// `(started_at, pages, outcome, error)` of each run, oldest first.
async fn runs(pool: &SqlitePool) -> Vec<(String, i64, String, Option<String>)> {
    sqlx::query_as(
        "SELECT started_at, pages, outcome, error FROM _holdfast_runs \
         WHERE stream = 'contacts' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("read _holdfast_runs")
}

/// `(run_at, state, last_error, result)` of each sync job, oldest first.
async fn jobs(pool: &SqlitePool) -> Vec<(DateTime<Utc>, String, Option<String>, Option<String>)> {
    let rows: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT run_at, state, last_error, result FROM _holdfast_jobs \
         WHERE kind = 'sync' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("read _holdfast_jobs");
    rows.into_iter()
        .map(|(at, state, error, result)| {
            let at = DateTime::from_timestamp_millis(at).expect("run_at in ms");
            (at, state, error, result)
        })
        .collect()
}

async fn rows(pool: &SqlitePool) -> (i64, i64) {
    sqlx::query_as("SELECT count(*), count(DISTINCT id) FROM contacts")
        .fetch_one(pool)
        .await
        .expect("count contacts")
}

async fn wait_for_jobs(sandbox: &Sandbox, serve: &Serve) -> SqlitePool {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if sandbox.db.exists() {
            let pool = open_pool(&sandbox.db).await;
            let has_table: Option<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE name = '_holdfast_jobs'")
                    .fetch_optional(&pool)
                    .await
                    .expect("sqlite_master");
            if has_table.is_some() && !jobs(&pool).await.is_empty() {
                return pool;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no sync job within 30 s\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `HH:MM` of `t`.
fn hh_mm(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}

/// The next time at or after `now` the clock reads `t`'s hour and minute.
fn next_at(now: DateTime<Utc>, t: DateTime<Utc>) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(t.hour(), t.minute(), 0).expect("time");
    let today = now.date_naive().and_time(time).and_utc();
    if today >= now {
        today
    } else {
        today + chrono::Duration::days(1)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_heavy_run_outside_its_window_and_any_run_in_a_blackout_wait() {
    let mock = common::start_mock(5).await;
    let now = Utc::now();
    let (from, to) = (
        now + chrono::Duration::hours(2),
        now + chrono::Duration::hours(3),
    );
    // a stream without `incremental:`: every run is a full read (heavy)
    let windowed = format!(
        "    schedule: {{ cron: \"0 0 1 1 *\", windows: [{{ from: \"{}\", to: \"{}\" }}] }}\n",
        hh_mm(from),
        hh_mm(to)
    );
    let today = now.date_naive();
    let dark = format!(
        "    schedule: {{ cron: \"0 0 1 1 *\", blackout: [{{ from: {today}, to: {today} }}] }}\n"
    );
    let tomorrow = (today + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    for (schedule, due) in [(windowed, next_at(now, from)), (dark, tomorrow)] {
        let sandbox = Sandbox::new();
        sandbox.write_config(&cursor_connector(&mock.url(), 10, &schedule));
        let mut serve = Serve::start(&sandbox, &[], &[]).await;
        let pool = wait_for_jobs(&sandbox, &serve).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let jobs = jobs(&pool).await;
        serve.child.kill().await.expect("kill serve");
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        assert_eq!(jobs[0].0, due, "the never-run stream waits: {schedule}");
        assert_eq!(jobs[0].1, "ready");
        assert!(runs(&pool).await.is_empty(), "nothing ran");
    }
    assert_eq!(requests_to(&mock, PATH), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_stops_at_its_windows_end_and_resumes_in_the_next_window() {
    const RECORDS: i64 = 150;
    // one record a page, 300 ms each: a run takes about 45 s
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS as u64,
        latency: Duration::from_millis(300),
        ..MockConfig::default()
    })
    .await;
    // start 20 to 35 s into a minute: the first window (this minute) closes
    // mid-run; the second opens a minute after it closes
    loop {
        let second = Utc::now().second();
        if (20..35).contains(&second) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let start = Utc::now()
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .expect("minute");
    let minute = |k: i64| start + chrono::Duration::minutes(k);
    let schedule = format!(
        "    schedule: {{ cron: \"0 0 1 1 *\", windows: [{{ from: \"{}\", to: \"{}\" }}, {{ from: \"{}\", to: \"{}\" }}] }}\n",
        hh_mm(minute(0)),
        hh_mm(minute(1)),
        hh_mm(minute(2)),
        hh_mm(minute(3)),
    );
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 1, &schedule));
    let mut serve = Serve::start(&sandbox, &[], &[]).await;
    let pool = wait_for_jobs(&sandbox, &serve).await;

    // the first window closes: the run stops after a committed page
    let deadline = Instant::now() + Duration::from_secs(100);
    let stopped = loop {
        let runs = runs(&pool).await;
        if let Some(run) = runs.iter().find(|r| r.2 != "running") {
            break run.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no run ended\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(stopped.2, "interrupted", "{stopped:?}\n{}", serve.stderr());
    let error = stopped.3.clone().unwrap_or_default();
    let resumes = minute(2).format("%Y-%m-%d %H:%M:%S UTC").to_string();
    assert!(
        error.contains("its window ends")
            && error.contains(&format!(
                "resumes from its last committed page at {resumes}"
            )),
        "{error}"
    );
    let committed = stopped.1;
    assert!(
        committed > 0 && committed < RECORDS,
        "stopped mid-run: {stopped:?}"
    );
    assert_eq!(
        rows(&pool).await,
        (committed, committed),
        "every committed page's record, once"
    );
    let queued = jobs(&pool).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(
        (queued[0].0, queued[0].1.as_str()),
        (minute(2), "ready"),
        "{queued:?}"
    );

    // nothing runs between the windows
    let between = requests_to(&mock, PATH);
    let gap = (minute(2) - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(gap.saturating_sub(Duration::from_secs(1))).await;
    assert_eq!(
        requests_to(&mock, PATH),
        between,
        "no request between the windows"
    );
    assert_eq!(runs(&pool).await.len(), 1);

    // the second window: the run goes on from its last committed page and ends
    let deadline = Instant::now() + Duration::from_secs(100);
    loop {
        if runs(&pool).await.iter().any(|r| r.2 == "succeeded") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the resumed run ends\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    serve.child.kill().await.expect("kill serve");
    let all = runs(&pool).await;
    eprintln!("window end after {committed} pages; runs {all:?}");
    assert_eq!(all.len(), 2, "{all:?}");
    let resumed_at = DateTime::parse_from_rfc3339(&all[1].0)
        .expect("started_at")
        .with_timezone(&Utc);
    assert!(
        resumed_at >= minute(2),
        "resumed inside the second window: {all:?}"
    );
    // (the listing may end with an empty page)
    let pages = all[0].1 + all[1].1;
    assert!(
        (RECORDS..=RECORDS + 1).contains(&pages),
        "no page read twice: {all:?}"
    );
    assert_eq!(rows(&pool).await, (RECORDS, RECORDS), "every record once");
    let queued = jobs(&pool).await;
    assert_eq!(queued.len(), 1, "the same slot's job: {queued:?}");
    assert_eq!(queued[0].1, "done");
    assert!(
        queued[0]
            .3
            .as_deref()
            .is_some_and(|r| r.contains("\"resumed\":true")),
        "{queued:?}"
    );
    let total = requests_to(&mock, PATH) as i64;
    assert!(total <= RECORDS + 2, "{total} requests for {RECORDS} pages");
}
