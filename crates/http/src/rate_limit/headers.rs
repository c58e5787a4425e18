//! Reading a server's rate-limit headers.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

/// When the server says the budget is spent (`remaining` is 0), how long until
/// it resets. Understands `X-RateLimit-Remaining`/`X-RateLimit-Reset` (reset
/// as epoch seconds or seconds from now) and the IETF draft's
/// `RateLimit-Remaining`/`RateLimit-Reset` (seconds from now) and
/// `RateLimit: remaining=0, reset=N`.
pub(super) fn exhausted_for(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let (remaining, reset) = if let Some(r) = get("ratelimit-remaining") {
        (r.to_owned(), get("ratelimit-reset").map(str::to_owned))
    } else if let Some(r) = get("x-ratelimit-remaining") {
        (r.to_owned(), get("x-ratelimit-reset").map(str::to_owned))
    } else if let Some(combined) = get("ratelimit") {
        let field = |key: &str| {
            combined
                .split([',', ';'])
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_owned())
        };
        (
            field("r").or_else(|| field("remaining"))?,
            field("t").or_else(|| field("reset")),
        )
    } else {
        return None;
    };
    if remaining.parse::<f64>().ok()? > 0.0 {
        return None;
    }
    let reset: f64 = reset.and_then(|r| r.parse().ok()).unwrap_or(1.0);
    let secs = if reset > 1_000_000_000.0 {
        reset - now.timestamp() as f64
    } else {
        reset
    };
    // Never trust a server into a very long stall: cap at an hour.
    Some(Duration::from_secs_f64(secs.clamp(0.0, 3600.0)))
}
