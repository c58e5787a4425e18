//! Three `holdfast serve` processes on one PostgreSQL store (a fresh schema),
//! ten scheduled streams against the mock through one rate-limited
//! connection, one process killed with SIGKILL mid-run: every record lands
//! exactly once, every stream ends with one successful run, no two finished
//! runs of a stream overlap, and the connection's rate limit held across the
//! three processes together (the mock counts).
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;
#[path = "../../store-postgres/tests/support/mod.rs"]
mod pg;

use std::time::{Duration, Instant};

use common::{Sandbox, Serve};
use sqlx::Connection as _;
use sqlx::Row as _;

const STREAMS: usize = 10;
const RECORDS: u64 = 100;
/// Requests per second the connection may send, all processes together.
const LIMIT: u64 = 20;

fn connector(base_url: &str) -> String {
    let mut yaml = format!(
        "connections:\n  crm:\n    base_url: \"{base_url}\"\n    rate_limit: {{ requests: {LIMIT}, per: 1s, burst: 1 }}\nstreams:\n"
    );
    for i in 0..STREAMS {
        yaml.push_str(&format!(
            "  s{i}:\n    connection: crm\n    request: {{ path: /cursor/contacts, params: {{ limit: 10 }} }}\n    \
             paginate: {{ type: cursor, next: \"$.meta.next_cursor\", param: cursor }}\n    \
             records: \"$.data[*]\"\n    primary_key: id\n    schedule: {{ every: 1h }}\n"
        ));
    }
    yaml
}

struct Run {
    stream: String,
    outcome: String,
    started: f64,
    finished: Option<f64>,
}

async fn runs(schema: &str) -> Vec<Run> {
    let mut conn = pg::connect().await;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT stream, outcome, started_at::text AS s, finished_at::text AS f FROM \"{schema}\"._holdfast_runs"
    )))
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    let _ = conn.close().await;
    let secs = |t: Option<String>| {
        t.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t.replace(' ', "T")).ok())
            .map(|t| t.timestamp_micros() as f64 / 1e6)
    };
    rows.into_iter()
        .map(|r| Run {
            stream: r.get("stream"),
            outcome: r.get("outcome"),
            started: secs(r.get("s")).unwrap_or(0.0),
            finished: secs(r.get("f")),
        })
        .collect()
}

async fn count(schema: &str, sql: &str) -> i64 {
    let mut conn = pg::connect().await;
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.replace("{schema}", schema)))
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn three_workers_one_killed_every_record_once_and_the_limit_holds() {
    let conn = pg::connect().await;
    let _ = conn.close().await;
    let schema = pg::schema_name();
    let _guard = pg::SchemaGuard::new(schema.clone());
    let url = pg::url();
    let sep = if url.contains('?') { '&' } else { '?' };
    let store = format!("{url}{sep}schema={schema}");

    let mock = common::start_mock_with(holdfast_mock::MockConfig {
        records: RECORDS,
        latency: Duration::from_millis(30),
        ..holdfast_mock::MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    let config = sandbox.config.display().to_string();
    let args = ["--config", config.as_str(), "--store", store.as_str()];
    let mut serves = Vec::new();
    for _ in 0..3 {
        serves.push(Serve::start_raw(&sandbox, &args, &[]).await);
    }
    // Kill one process once the syncs are under way.
    let started = Instant::now();
    while mock.stats().requests < 15 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    serves[0].kill().await;

    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let all = runs(&schema).await;
        let done = (0..STREAMS)
            .filter(|i| {
                all.iter()
                    .any(|r| r.stream == format!("s{i}") && r.outcome == "succeeded")
            })
            .count();
        if done == STREAMS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{done}/{STREAMS} streams synced after 150 s\n--- serve 2 ---\n{}",
            serves[1].stderr()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    for i in 0..STREAMS {
        let rows = count(
            &schema,
            &format!("SELECT count(*) FROM \"{{schema}}\".s{i}"),
        )
        .await;
        let distinct = count(
            &schema,
            &format!("SELECT count(DISTINCT id) FROM \"{{schema}}\".s{i}"),
        )
        .await;
        assert_eq!(
            (rows, distinct),
            (RECORDS as i64, RECORDS as i64),
            "stream s{i}"
        );
    }
    let all = runs(&schema).await;
    let cut = all.iter().filter(|r| r.outcome != "succeeded").count();
    eprintln!(
        "{} runs, {cut} cut short by the kill; {} requests served",
        all.len(),
        mock.stats().requests
    );
    for i in 0..STREAMS {
        let name = format!("s{i}");
        let mine: Vec<&Run> = all.iter().filter(|r| r.stream == name).collect();
        let succeeded = mine.iter().filter(|r| r.outcome == "succeeded").count();
        assert_eq!(
            succeeded,
            1,
            "stream {name} ran once to the end: {}",
            mine.len()
        );
        let mut finished: Vec<(f64, f64)> = mine
            .iter()
            .filter_map(|r| r.finished.map(|f| (r.started, f)))
            .collect();
        finished.sort_by(|a, b| a.0.total_cmp(&b.0));
        for w in finished.windows(2) {
            assert!(w[0].1 <= w[1].0, "stream {name}: runs overlap: {w:?}");
        }
    }
    // The limit across the processes. The mock sees arrivals; a request
    // whose slot came just before a window but whose dispatch lagged behind
    // (a loaded 2-core machine running three debug builds lags by up to a few
    // hundred milliseconds) lands inside it, so each window allows the slots
    // it spans plus half a second's worth. Three processes keeping the limit
    // each on their own would send three times as fast: 60 in a second, and
    // (the run resumes all at once after the killed worker's leases end)
    // the 85 or so requests left in about 2 s.
    let mut peaks = Vec::new();
    for secs in [1, 3] {
        let peak = mock.max_requests_in_window(Duration::from_secs(secs));
        let allowed = secs * LIMIT + LIMIT / 2;
        peaks.push(format!("{peak} in {secs} s (allowed {allowed})"));
        assert!(
            peak <= allowed,
            "{peak} requests within {secs} s across the processes (limit {LIMIT}/s)"
        );
    }
    eprintln!("peaks: {}", peaks.join(", "));
}
