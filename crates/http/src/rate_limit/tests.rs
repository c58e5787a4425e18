use std::time::Duration;

use chrono::Utc;
use reqwest::header::{HeaderMap, HeaderValue};
use tokio::time::Instant;

use super::headers::exhausted_for;
use super::*;

#[tokio::test(start_paused = true)]
async fn never_more_than_the_quota_in_any_window() {
    // 10 per second, bursts of 5: 40 acquisitions.
    let limiter = RateLimiter::new(Some(Gcra::new(10, Duration::from_secs(1), 5)));
    let start = Instant::now();
    let mut times = Vec::new();
    for _ in 0..40 {
        limiter.acquire().await;
        times.push(Instant::now() - start);
    }
    // The first 5 go at once (the burst), then one every 100 ms.
    assert!(times[..5].iter().all(|t| t.is_zero()), "{times:?}");
    assert_eq!(times[5], Duration::from_millis(100));
    assert_eq!(times[39], Duration::from_millis(3500));
    // In any one-second window, at most requests + burst - 1 = 14 start.
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .filter(|u| **u < *t + Duration::from_secs(1))
            .count();
        assert!(
            in_window <= 14,
            "{in_window} in the window starting at {t:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_budget() {
    let limiter = RateLimiter::new(Some(Gcra::new(5, Duration::from_secs(1), 1)));
    let start = Instant::now();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let l = limiter.clone();
            tokio::spawn(async move {
                l.acquire().await;
                Instant::now() - start
            })
        })
        .collect();
    let mut times = Vec::new();
    for t in tasks {
        times.push(t.await.expect("task"));
    }
    times.sort();
    assert_eq!(
        times.last().copied(),
        Some(Duration::from_millis(1800)),
        "{times:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_server_pause_holds_every_request() {
    let limiter = RateLimiter::default();
    limiter.pause_for(Duration::from_secs(3));
    let start = Instant::now();
    let waited = limiter.acquire().await;
    assert_eq!(waited, Duration::from_secs(3));
    assert_eq!(Instant::now() - start, Duration::from_secs(3));
}

#[test]
fn reads_rate_limit_headers() {
    let h = |pairs: &[(&'static str, &'static str)]| {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_static(v));
        }
        m
    };
    let now = Utc::now();
    assert_eq!(
        exhausted_for(
            &h(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "7")]),
            now
        ),
        Some(Duration::from_secs(7))
    );
    assert_eq!(
        exhausted_for(
            &h(&[("x-ratelimit-remaining", "3"), ("x-ratelimit-reset", "7")]),
            now
        ),
        None
    );
    assert_eq!(
        exhausted_for(
            &h(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "2")]),
            now
        ),
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        exhausted_for(&h(&[("ratelimit", "limit=100, remaining=0, reset=4")]), now),
        Some(Duration::from_secs(4))
    );
    let epoch = (now.timestamp() + 10).to_string();
    let mut m = HeaderMap::new();
    m.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    m.insert(
        "x-ratelimit-reset",
        HeaderValue::from_str(&epoch).expect("header"),
    );
    let wait = exhausted_for(&m, now).expect("wait");
    assert!(
        wait <= Duration::from_secs(10) && wait >= Duration::from_secs(9),
        "{wait:?}"
    );
    assert_eq!(exhausted_for(&HeaderMap::new(), now), None);
}
