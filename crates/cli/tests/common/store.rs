//! What holdfast recorded about its work (runs, stream state, quarantine,
//! drift, jobs), read through the store's public API (`holdfast_store`
//! role traits on `holdfast_store_sqlite::SqliteStore`), never by decoding
//! its internal tables. Each reader takes the test's pool only to find the
//! SQLite file, opens the store read-only, reads, and closes it.

use std::collections::BTreeMap;
use std::time::Duration;

use holdfast_store::prelude::*;
use holdfast_store::{JobFilter, JobState, RunId};
use holdfast_store_sqlite::SqliteStore;
use serde_json::Value;
use sqlx::sqlite::SqlitePool;

use super::mock::contact_id;

/// Most rows asked for per page when reading a whole history.
const PAGE: u32 = 1000;

/// The store of the SQLite file `pool` is open on, opened read-only.
async fn open(pool: &SqlitePool) -> SqliteStore {
    let file = pool.connect_options().get_filename().display().to_string();
    SqliteStore::open_read_only(&format!("sqlite://{file}"))
        .await
        .unwrap_or_else(|e| panic!("open the store {file}: {e}"))
}

/// Runs `read` on the store of `pool`'s file, then closes it.
async fn with_store<T>(pool: &SqlitePool, read: impl AsyncFnOnce(&SqliteStore) -> T) -> T {
    let store = open(pool).await;
    let out = read(&store).await;
    store.close().await;
    out
}

/// One run, as the store records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    pub id: i64,
    pub stream: String,
    pub pages: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub quarantined: i64,
    pub outcome: String,
    pub error: Option<String>,
}

/// Every run, oldest first.
pub async fn runs(pool: &SqlitePool) -> Vec<RunRow> {
    with_store(pool, async |store| {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = store.export_runs(after, PAGE).await.expect("read the runs");
            let Some(last) = page.last() else {
                return all;
            };
            after = Some(last.id);
            all.extend(page.into_iter().map(|r| RunRow {
                id: r.id.0,
                stream: r.stream,
                pages: count(r.pages),
                created: count(r.outcome_counts.created),
                updated: count(r.outcome_counts.updated),
                unchanged: count(r.outcome_counts.unchanged),
                quarantined: count(r.quarantined),
                outcome: r.outcome.as_str().to_owned(),
                error: r.error,
            }));
        }
    })
    .await
}

/// The runs of `stream`, oldest first.
pub async fn runs_of(pool: &SqlitePool, stream: &str) -> Vec<RunRow> {
    runs(pool)
        .await
        .into_iter()
        .filter(|r| r.stream == stream)
        .collect()
}

/// The saved state of `stream` (`{"cursor": …, "progress": {…}}`), if any.
pub async fn state(pool: &SqlitePool, stream: &str) -> Option<Value> {
    with_store(pool, async |store| {
        store
            .load_state(stream)
            .await
            .expect("read the stream state")
            .map(|s| serde_json::to_value(s).expect("a state is JSON"))
    })
    .await
}

/// One violation of a quarantined record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredViolation {
    pub pointer: String,
    pub message: String,
}

/// One quarantined record (open or resolved), its payload parsed.
#[derive(Debug, Clone)]
pub struct QuarantineEntry {
    pub id: i64,
    pub stream: String,
    pub run_id: i64,
    pub reason: String,
    pub raw: Value,
    pub violations: Vec<StoredViolation>,
    pub seen: i64,
    /// When a retry resolved it (RFC 3339), if one did.
    pub resolved_at: Option<String>,
    pub resolved_run: Option<i64>,
}

impl QuarantineEntry {
    /// The mock contact id of the payload (see [`contact_id`]).
    pub fn contact(&self) -> i64 {
        contact_id(&self.raw)
    }

    /// The violation pointers, sorted.
    pub fn pointers(&self) -> Vec<&str> {
        let mut p: Vec<&str> = self.violations.iter().map(|v| v.pointer.as_str()).collect();
        p.sort_unstable();
        p
    }
}

/// Every quarantined record (resolved ones too), oldest first.
pub async fn quarantine_entries(pool: &SqlitePool) -> Vec<QuarantineEntry> {
    with_store(pool, async |store| {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .export_quarantine(after, PAGE)
                .await
                .expect("read the quarantine");
            let Some(last) = page.last() else {
                return all;
            };
            after = Some(last.id);
            all.extend(page.into_iter().map(|q| {
                QuarantineEntry {
                    id: q.id,
                    stream: q.stream,
                    run_id: q.run.0,
                    reason: q.reason,
                    raw: serde_json::from_str(&q.raw).expect("raw is JSON"),
                    violations: q
                        .violations
                        .into_iter()
                        .map(|v| StoredViolation {
                            pointer: v.pointer,
                            message: v.message,
                        })
                        .collect(),
                    seen: count(q.seen),
                    resolved_at: q.resolved_at.map(|t| t.to_rfc3339()),
                    resolved_run: q.resolved_run.map(|r| r.0),
                }
            }));
        }
    })
    .await
}

/// The unresolved quarantined records by mock contact id (each id at most once).
pub async fn open_quarantine(pool: &SqlitePool) -> BTreeMap<i64, QuarantineEntry> {
    let mut out = BTreeMap::new();
    for q in quarantine_entries(pool).await {
        if q.resolved_at.is_none() {
            let id = q.contact();
            assert!(
                out.insert(id, q).is_none(),
                "contact {id} quarantined twice"
            );
        }
    }
    out
}

/// One change of a stream's response shape, as the store records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftEntry {
    pub stream: String,
    pub run_id: Option<i64>,
    pub kind: String,
    pub path: String,
    pub before: String,
    pub after: String,
    pub example: Option<String>,
}

/// Every recorded drift, oldest first.
pub async fn drift_entries(pool: &SqlitePool) -> Vec<DriftEntry> {
    with_store(pool, async |store| {
        let newest_first = store.drift(None, u32::MAX).await.expect("read drift");
        newest_first
            .into_iter()
            .rev()
            .map(|d| DriftEntry {
                stream: d.stream,
                run_id: d.run.map(|r: RunId| r.0),
                kind: d.kind,
                path: d.path,
                before: d.before,
                after: d.after,
                example: d.example,
            })
            .collect()
    })
    .await
}

/// One job of the durable queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub unique_key: Option<String>,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub result: Option<String>,
}

/// Every job in `state` (every job: `None`), by id.
async fn jobs_in(pool: &SqlitePool, state: Option<JobState>) -> Vec<JobRow> {
    with_store(pool, async |store| {
        let filter = JobFilter {
            state,
            kind: None,
            limit: u32::MAX,
        };
        let mut jobs: Vec<JobRow> = store
            .jobs(filter)
            .await
            .expect("read the jobs")
            .into_iter()
            .map(|j| JobRow {
                id: j.id.0,
                kind: j.kind,
                name: j.name,
                unique_key: j.unique_key,
                state: j.state.as_str().to_owned(),
                attempts: i64::from(j.attempts),
                last_error: j.last_error,
                result: j.result,
            })
            .collect();
        jobs.sort_by_key(|j| j.id);
        jobs
    })
    .await
}

/// Every job, by id.
pub async fn jobs(pool: &SqlitePool) -> Vec<JobRow> {
    jobs_in(pool, None).await
}

/// Jobs still to do now or later (`ready` or `running`), counted at one instant.
pub async fn pending_jobs(pool: &SqlitePool) -> i64 {
    with_store(pool, async |store| {
        let stats = store
            .queue_stats(chrono::Utc::now())
            .await
            .expect("count pending jobs");
        let pending: u64 = stats
            .depth
            .iter()
            .filter(|d| matches!(d.state, JobState::Ready | JobState::Running))
            .map(|d| d.count)
            .sum();
        count(pending)
    })
    .await
}

/// Waits until no job is `ready` or `running` (panics after `limit`).
pub async fn wait_drained(pool: &SqlitePool, limit: Duration) {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let pending = pending_jobs(pool).await;
        if pending == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pending} job(s) still ready or running after {limit:?}: {:?}",
            jobs(pool)
                .await
                .into_iter()
                .filter(|j| j.state == "ready" || j.state == "running")
                .take(5)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A store counter as the tests compare it.
fn count(n: u64) -> i64 {
    i64::try_from(n).expect("a count fits in i64")
}
