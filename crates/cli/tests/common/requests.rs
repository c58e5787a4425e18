//! The request log, every attempt of every request (those of runs and
//! those outside any run: `check`, `act`, logins).
//!
//! The store's API lists the log of one run at a time only, and these tests
//! must see all of it (e.g. that no secret is in any row), so this one
//! reader still selects the log table itself.

use std::collections::BTreeMap;

use sqlx::sqlite::SqlitePool;

/// One row of `_holdfast_requests` (one attempt of one request).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LoggedRequest {
    pub id: i64,
    pub run_id: Option<i64>,
    pub stream: Option<String>,
    pub connection: String,
    pub endpoint: Option<String>,
    pub at: String,
    pub method: String,
    pub url: String,
    pub status: Option<i64>,
    pub duration_ms: f64,
    pub attempt: i64,
    pub bytes: i64,
    pub error: Option<String>,
    pub message: Option<String>,
    pub waited_ms: f64,
}

/// Every row of the request log, in the order written.
pub async fn request_log(pool: &SqlitePool) -> Vec<LoggedRequest> {
    sqlx::query_as(
        "SELECT id, run_id, stream, connection, endpoint, at, method, url, status, duration_ms, \
         attempt, bytes, error, message, waited_ms FROM _holdfast_requests ORDER BY at, id",
    )
    .fetch_all(pool)
    .await
    .expect("read _holdfast_requests")
}

/// The request log's rows grouped by (run, stream, url) — the attempts of one
/// request — each group in the order the attempts were logged.
pub fn attempts_by_request(log: &[LoggedRequest]) -> Vec<Vec<&LoggedRequest>> {
    let mut groups: Vec<Vec<&LoggedRequest>> = Vec::new();
    let mut index: BTreeMap<(Option<i64>, Option<String>, String), usize> = BTreeMap::new();
    for row in log {
        let key = (row.run_id, row.stream.clone(), row.url.clone());
        match index.get(&key) {
            Some(&i) => groups[i].push(row),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![row]);
            }
        }
    }
    groups
}
