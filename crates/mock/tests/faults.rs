//! Fault injection and the mock's own rate limit, against a real server.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{get, send, start_with};
use holdfast_mock::{FaultProfile, MockAuth, MockConfig, MockRateLimit, MockServer};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;

async fn faulty(faults: FaultProfile) -> MockServer {
    start_with(MockConfig {
        records: 50,
        faults,
        ..MockConfig::default()
    })
    .await
}

fn spec(spec: &str) -> FaultProfile {
    FaultProfile::parse(spec).expect("a valid fault spec")
}

/// What a client makes of one response: `ok`, a status, or the fault it recognises.
async fn outcome(client: &reqwest::Client, url: &str) -> String {
    let Ok(resp) = client.get(url).send().await else {
        return "dropped".into();
    };
    if resp.status() != 200 {
        return resp.status().as_str().into();
    }
    let html = resp.headers()[CONTENT_TYPE]
        .to_str()
        .is_ok_and(|t| t.starts_with("text/html"));
    let Ok(bytes) = resp.bytes().await else {
        return "truncated".into();
    };
    let Ok(json) = serde_json::from_slice::<Value>(&bytes) else {
        return if html { "html" } else { "malformed" }.into();
    };
    if json["success"] == false {
        return "error_body".into();
    }
    assert!(json["data"].is_array(), "{json}");
    "ok".into()
}

/// Checks that every one of `n` requests shows fault `kind`, in stats and the log too.
fn assert_counted(server: &MockServer, kind: &str, n: u64, status: u16) {
    let stats = server.stats();
    assert_eq!(
        stats.faults,
        BTreeMap::from([(kind.to_owned(), n)]),
        "{kind}"
    );
    assert_eq!((stats.requests, stats.served_ok), (n, 0), "{kind}");
    for seen in server.requests() {
        assert_eq!(seen.fault.as_deref(), Some(kind));
        assert_eq!(seen.status, status, "{kind}");
    }
}

#[tokio::test]
async fn each_answering_fault_at_full_rate() {
    let client = reqwest::Client::new();
    for (kind, status) in [
        ("500", 500),
        ("503", 503),
        ("html", 200),
        ("error_body", 200),
        ("malformed", 200),
    ] {
        let server = faulty(spec(&format!("{kind}=1"))).await;
        for path in ["/cursor/contacts", "/none/contacts", "/v2/contacts/1/deals"] {
            let url = format!("{}{path}", server.url());
            let reply = send(client.get(&url)).await;
            assert_eq!(reply.status, status, "{kind}");
            assert!(reply.json.get("data").is_none(), "{kind}: records leaked");
            let want = if status == 200 {
                kind
            } else {
                &status.to_string()
            };
            assert_eq!(outcome(&client, &url).await, want);
        }
        assert_counted(&server, kind, 6, status);
        let html = get(&format!("{}/cursor/contacts", server.url())).await;
        if kind == "html" {
            assert_eq!(html.headers[CONTENT_TYPE], "text/html; charset=utf-8");
            assert!(String::from_utf8_lossy(&html.bytes).contains("<html>"));
        }
        // Control endpoints never fault.
        assert_eq!(get(&format!("{}/healthz", server.url())).await.bytes, b"ok");
        assert_eq!(
            get(&format!("{}/_mock/stats", server.url())).await.status,
            200
        );
    }
}

#[tokio::test]
async fn too_many_sends_retry_after_in_either_form() {
    let server = faulty(spec("429=100%,retry_after=2s")).await;
    for _ in 0..2 {
        let reply = get(&format!("{}/cursor/contacts", server.url())).await;
        assert_eq!(reply.status, 429);
        assert_eq!(reply.headers[RETRY_AFTER], "2");
    }
    assert_counted(&server, "429", 2, 429);

    let server = faulty(spec("429=1,retry_after=date")).await;
    let before = chrono::Utc::now();
    let reply = get(&format!("{}/page/contacts", server.url())).await;
    assert_eq!(reply.status, 429);
    let date = reply.headers[RETRY_AFTER].to_str().expect("ascii");
    assert!(date.ends_with(" GMT"), "{date}");
    let at = chrono::DateTime::parse_from_rfc2822(date).expect("an HTTP date");
    let wait = (at.to_utc() - before).num_milliseconds();
    assert!((1000..=2100).contains(&wait), "{date}: {wait} ms");
}

#[tokio::test]
async fn dropped_is_a_connection_error_not_a_status() {
    let server = faulty(spec("dropped=1")).await;
    let client = reqwest::Client::new();
    for path in ["/cursor/contacts", "/none/contacts"] {
        let error = client
            .get(format!("{}{path}", server.url()))
            .send()
            .await
            .expect_err("no response");
        assert!(error.is_request() && error.status().is_none(), "{error:?}");
        assert!(!error.is_timeout(), "{error:?}");
    }
    assert_counted(&server, "dropped", 2, 0);
}

#[tokio::test]
async fn truncated_is_a_body_error() {
    let server = start_with(MockConfig {
        records: 3000,
        faults: spec("truncated=1"),
        ..MockConfig::default()
    })
    .await;
    let client = reqwest::Client::new();
    for path in ["/cursor/contacts?limit=50", "/none/contacts"] {
        let resp = client
            .get(format!("{}{path}", server.url()))
            .send()
            .await
            .expect("a status line");
        assert_eq!(resp.status(), 200);
        assert!(resp.bytes().await.is_err(), "{path}: the body should fail");
    }
    assert_counted(&server, "truncated", 2, 200);
}

#[tokio::test]
async fn slow_outlasts_a_client_timeout() {
    let server = faulty(spec("slow=1,slow_delay=2s")).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let started = Instant::now();
    let error = client
        .get(format!("{}/cursor/contacts", server.url()))
        .send()
        .await
        .expect_err("times out");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let stats = server.stats();
    assert_eq!(stats.faults["slow"], 1);
    assert_eq!(stats.served_ok, 0);
}

#[tokio::test]
async fn faults_come_after_auth() {
    let server = start_with(MockConfig {
        records: 5,
        auth: Some(MockAuth::Bearer("t0k".into())),
        faults: spec("500=1"),
        ..MockConfig::default()
    })
    .await;
    let url = format!("{}/cursor/contacts", server.url());
    let client = reqwest::Client::new();
    assert_eq!(send(client.get(&url)).await.status, 401);
    assert!(server.stats().faults.is_empty());
    assert_eq!(server.requests()[0].status, 401);
    assert_eq!(send(client.get(&url).bearer_auth("t0k")).await.status, 500);
    assert_eq!(server.stats().faults["500"], 1);
}

#[tokio::test]
async fn mixed_rates_hold_and_repeat_for_the_same_seed() {
    const N: usize = 1000;
    let profile = spec(
        "429=5%,500=5%,503=5%,dropped=3%,html=3%,error_body=3%,malformed=3%,truncated=3%,\
         retry_after=0s",
    );
    let run = |seed: u64, n: usize| {
        let profile = profile.clone();
        async move {
            let server = start_with(MockConfig {
                records: 20,
                seed,
                faults: profile,
                ..MockConfig::default()
            })
            .await;
            let (client, url) = (
                reqwest::Client::new(),
                format!("{}/v2/contacts", server.url()),
            );
            let mut outcomes = Vec::with_capacity(n);
            for _ in 0..n {
                outcomes.push(outcome(&client, &url).await);
            }
            (outcomes, server.stats())
        }
    };
    let (first, stats) = run(7, N).await;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for o in &first {
        *counts.entry(o.clone()).or_default() += 1;
    }
    let ok = counts.remove("ok").unwrap_or(0);
    assert_eq!(stats.served_ok, ok);
    assert_eq!(
        counts, stats.faults,
        "what the client saw is what the mock counted"
    );
    for (kind, share) in [
        ("429", 50),
        ("500", 50),
        ("503", 50),
        ("html", 30),
        ("truncated", 30),
    ] {
        let got = counts.get(kind).copied().unwrap_or(0);
        assert!(
            got.abs_diff(share) <= share / 2,
            "{kind}: {got}, want ~{share}"
        );
    }
    let faulted: u64 = counts.values().sum();
    assert!(faulted.abs_diff(300) <= 60, "{faulted} faults, want ~300");

    let (again, _) = run(7, N).await;
    assert_eq!(first, again, "same seed, same faults");
    let (other, _) = run(8, 100).await;
    assert_ne!(first[..100], other[..], "another seed draws other faults");
}

#[tokio::test]
async fn down_window_answers_503_then_recovers() {
    let server = faulty(spec("down=400ms+400ms")).await;
    let started = Instant::now();
    let url = format!("{}/cursor/contacts", server.url());
    assert_eq!(get(&url).await.status, 200, "before the window");
    tokio::time::sleep(Duration::from_millis(550).saturating_sub(started.elapsed())).await;
    assert_eq!(get(&url).await.status, 503, "inside the window");
    tokio::time::sleep(Duration::from_millis(950).saturating_sub(started.elapsed())).await;
    assert_eq!(get(&url).await.status, 200, "after the window");
    let stats = server.stats();
    assert_eq!((stats.faults["down"], stats.served_ok), (1, 2));
}

#[tokio::test]
async fn rate_limit_rejects_the_excess_and_counts_it() {
    let server = start_with(MockConfig {
        records: 5,
        rate_limit: Some(MockRateLimit::parse("10/2s").expect("valid")),
        ..MockConfig::default()
    })
    .await;
    let url = format!("{}/cursor/contacts", server.url());
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let reply = get(&url).await;
        if reply.status == 429 {
            let wait: u64 = reply.headers[RETRY_AFTER]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("seconds");
            assert!((1..=2).contains(&wait), "{wait}");
        }
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses[..10], [200; 10]);
    assert_eq!(statuses[10..], [429; 20]);
    let stats = server.stats();
    assert_eq!((stats.rate_limited, stats.served_ok), (20, 10));
    assert!(stats.faults.is_empty());
    assert_eq!(stats.retry_after_violations, 19);
    assert_eq!(server.max_requests_in_window(Duration::from_secs(2)), 30);
    assert_eq!(server.requests()[29].status, 429);
    assert_eq!(server.requests()[29].fault, None);
}

#[tokio::test]
async fn retry_after_violations_count_early_requests_only() {
    for form in ["retry_after=1s", "retry_after=date"] {
        let server = faulty(spec(&format!("429=1,{form}"))).await;
        let url = format!("{}/cursor/contacts", server.url());
        let first = get(&url).await;
        assert_eq!(server.stats().retry_after_violations, 0);
        get(&url).await; // at once: a violation
        assert_eq!(server.stats().retry_after_violations, 1, "{form}");
        let second = get(&url).await; // still early: another one
        assert_eq!(server.stats().retry_after_violations, 2, "{form}");
        let header = second.headers[RETRY_AFTER].to_str().expect("ascii");
        let wait = match header.parse::<u64>() {
            Ok(secs) => Duration::from_secs(secs),
            Err(_) => {
                let at = chrono::DateTime::parse_from_rfc2822(header).expect("an HTTP date");
                (at.to_utc() - chrono::Utc::now())
                    .to_std()
                    .unwrap_or_default()
            }
        };
        assert!(first.headers.contains_key(RETRY_AFTER));
        tokio::time::sleep(wait).await;
        get(&url).await; // waited as asked
        assert_eq!(server.stats().retry_after_violations, 2, "{form}");
    }
}

#[tokio::test]
async fn reset_zeroes_the_new_counters_and_restarts_the_draws() {
    let server = faulty(spec("500=50%")).await;
    let client = reqwest::Client::new();
    let url = format!("{}/cursor/contacts", server.url());
    let mut runs = Vec::new();
    for _ in 0..2 {
        let mut seen = Vec::new();
        for _ in 0..40 {
            seen.push(outcome(&client, &url).await);
        }
        assert!(server.stats().served_ok > 0);
        runs.push(seen);
        send(client.post(format!("{}/_mock/reset", server.url()))).await;
        let stats = server.stats();
        assert!(stats.faults.is_empty() && stats.served_ok == 0);
        assert_eq!(server.max_requests_in_window(Duration::from_secs(60)), 0);
    }
    assert_eq!(runs[0], runs[1]);
    let over_http = get(&format!("{}/_mock/stats", server.url())).await;
    assert_eq!(over_http.json["faults"], serde_json::json!({}));
    assert_eq!(over_http.json["retry_after_violations"], 0);
}
