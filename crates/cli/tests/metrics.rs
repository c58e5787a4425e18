//! `/metrics` of `holdfast serve`, scraped while a sync runs against a mock
//! that answers one request in four with a 5xx or an HTML page: the request
//! counters equal the request log (per endpoint and outcome) and the mock's
//! own count, the record counters equal the stream table and the quarantine,
//! and the last success time is the run's.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Sandbox, Serve, local_client, request_log, runs_of};
use holdfast_mock::{FaultProfile, MockConfig};

/// One sample of the Prometheus text format: name, labels, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("`series value`");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        let mut map = BTreeMap::new();
        // label values here never hold `",` (names, classes, paths)
        for pair in labels.split("\",").filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once("=\"").expect("label=\"value\"");
            map.insert(k.to_owned(), v.trim_end_matches('"').to_owned());
        }
        out.push(Sample {
            name: name.to_owned(),
            labels: map,
            value,
        });
    }
    out
}

fn sum(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            want.iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

async fn scrape(url: &str) -> Vec<Sample> {
    let text = local_client()
        .get(format!("{url}/metrics"))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics body");
    parse(&text)
}

#[tokio::test(flavor = "multi_thread")]
async fn counters_match_the_request_log_during_a_faulted_sync() {
    let mock = common::start_mock_with(MockConfig {
        records: 400,
        seed: 7,
        bad_every: 40,
        latency: Duration::from_millis(20),
        faults: FaultProfile {
            server_error: 0.10,
            unavailable: 0.10,
            html: 0.05,
            ..FaultProfile::default()
        },
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  crm:
    base_url: "{}"
    retry: {{ attempts: 10, initial: 10ms, max: 50ms }}
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: 20 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
    schedule: {{ every: 1h }}
"#,
        mock.url()
    ));
    let serve = Serve::start(&sandbox, &["--log-format", "json"], &[]).await;
    let pool = sandbox.pool().await;

    // scrape while it runs (the stream never ran, so it starts now)
    let start = Instant::now();
    let mut mid_run = 0;
    let run = loop {
        let samples = scrape(&serve.url).await;
        let sent = sum(
            &samples,
            "holdfast_http_requests_total",
            &[("connection", "crm")],
        );
        let done = runs_of(&pool, "contacts")
            .await
            .into_iter()
            .find(|r| r.outcome == "succeeded");
        if let Some(run) = done {
            break run;
        }
        if sent > 0.0 {
            mid_run += 1;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no successful run within 60 s\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(mid_run > 0, "at least one scrape saw the sync under way");

    let samples = scrape(&serve.url).await;
    let log = request_log(&pool).await;
    // per endpoint and outcome, the counters are the request log
    let mut logged: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in &log {
        let endpoint = r.endpoint.clone().unwrap_or_else(|| "-".into());
        let outcome = r.error.clone().unwrap_or_else(|| "ok".into());
        *logged.entry((endpoint, outcome)).or_default() += 1.0;
    }
    let mut counted: BTreeMap<(String, String), f64> = BTreeMap::new();
    for s in samples
        .iter()
        .filter(|s| s.name == "holdfast_http_requests_total" && s.labels["connection"] == "crm")
    {
        counted.insert(
            (s.labels["endpoint"].clone(), s.labels["outcome"].clone()),
            s.value,
        );
    }
    assert_eq!(counted, logged, "counters vs the request log");
    let failures: f64 = logged
        .iter()
        .filter(|((_, o), _)| o != "ok")
        .map(|(_, n)| n)
        .sum();
    assert!(failures > 0.0, "the faults showed: {logged:?}");
    assert_eq!(
        log.len() as u64,
        mock.stats().requests,
        "every attempt the mock saw is logged"
    );
    let retries = sum(
        &samples,
        "holdfast_http_retries_total",
        &[("connection", "crm")],
    );
    assert_eq!(retries, failures, "each failed attempt was retried once");

    // records: the table and the quarantine
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&pool)
        .await
        .expect("count contacts");
    let quarantined: i64 = sqlx::query_scalar("SELECT count(*) FROM _holdfast_quarantine")
        .fetch_one(&pool)
        .await
        .expect("count quarantine");
    let records = |outcome: &str| {
        sum(
            &samples,
            "holdfast_records_total",
            &[("stream", "contacts"), ("outcome", outcome)],
        ) as i64
    };
    assert_eq!(records("created"), rows);
    assert_eq!(records("created"), run.created);
    assert_eq!(records("quarantined"), quarantined);
    assert_eq!(records("quarantined"), run.quarantined);
    assert!(quarantined > 0, "bad records were served");
    assert_eq!(
        sum(
            &samples,
            "holdfast_sync_runs_total",
            &[("stream", "contacts"), ("outcome", "succeeded")]
        ),
        1.0
    );
    let finished: String =
        sqlx::query_scalar("SELECT finished_at FROM _holdfast_runs WHERE id = ?")
            .bind(run.id)
            .fetch_one(&pool)
            .await
            .expect("finished_at");
    let finished = chrono::DateTime::parse_from_rfc3339(&finished)
        .expect("RFC 3339")
        .timestamp_millis() as f64
        / 1000.0;
    let last = sum(
        &samples,
        "holdfast_stream_last_success_timestamp_seconds",
        &[("stream", "contacts")],
    );
    assert!(
        (last - finished).abs() < 1.0,
        "last success {last} vs the run's end {finished}"
    );
    // the JSON log: one object per line, with the ids that tie lines together
    let logs = serve.stderr();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let field = |l: &serde_json::Value, k: &str| l["fields"][k].clone();
    let ended = lines
        .iter()
        .find(|l| field(l, "message") == "run succeeded")
        .unwrap_or_else(|| panic!("no `run succeeded` line in\n{logs}"));
    assert_eq!(field(ended, "stream"), "contacts", "{ended}");
    assert_eq!(field(ended, "run"), run.id, "{ended}");
    assert_eq!(field(ended, "created"), run.created, "{ended}");
    let retry = lines
        .iter()
        .find(|l| field(l, "message") == "retrying")
        .unwrap_or_else(|| panic!("no `retrying` line in\n{logs}"));
    assert!(field(retry, "request").as_u64().is_some(), "{retry}");
    assert_eq!(retry["span"]["stream"], "contacts", "{retry}");
    let quarantine = lines
        .iter()
        .find(|l| field(l, "message") == "record quarantined")
        .unwrap_or_else(|| panic!("no `record quarantined` line in\n{logs}"));
    assert_eq!(quarantine["span"]["run"], run.id, "{quarantine}");
    assert!(
        field(quarantine, "reason")
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    eprintln!(
        "metrics: {} attempts ({failures} failed) over {} scrapes mid-run; {rows} rows, {quarantined} quarantined",
        log.len(),
        mid_run
    );
}
