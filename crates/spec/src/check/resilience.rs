//! Connection resilience: connect timeout, rate limit, retry, breaker and
//! concurrency. Each check fills in the documented defaults.

use std::time::Duration;

use humantime::format_duration;

use super::context::Ctx;
use super::names::suggestion;
use super::values;
use crate::model::{Breaker, Concurrency, RateLimit, Retry};
use crate::raw::{OffOr, RawBreaker, RawRateLimit, RawRetry, Scalar};

/// The connect timeout when none is given (capped at `timeout`).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// `max_concurrency` when none is given.
const DEFAULT_MAX_CONCURRENCY: u32 = 4;

/// Checks `connect_timeout` at `path` against the connection's `timeout`
/// (`None` when that one is invalid).
pub(crate) fn connect_timeout(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: Option<&Scalar>,
    timeout: Option<Duration>,
) -> Option<Duration> {
    let Some(raw) = raw else {
        return Some(timeout.map_or(DEFAULT_CONNECT_TIMEOUT, |t| t.min(DEFAULT_CONNECT_TIMEOUT)));
    };
    let connect = values::positive_duration(ctx, path, Some(raw), DEFAULT_CONNECT_TIMEOUT)?;
    if let Some(timeout) = timeout
        && connect > timeout
    {
        ctx.error(
            path,
            format!(
                "`connect_timeout` ({}) is longer than `timeout` ({})",
                format_duration(connect),
                format_duration(timeout)
            ),
            format!(
                "`timeout` covers the whole request, connecting included: use at most `{}`, or raise `timeout`",
                format_duration(timeout)
            ),
        );
        return None;
    }
    Some(connect)
}

/// Checks `rate_limit:` at `path`; `Some(None)` when there is none.
pub(crate) fn rate_limit(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: Option<&RawRateLimit>,
) -> Option<Option<RateLimit>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    let requests = ctx
        .require(raw.requests.as_ref(), path, "requests", "10")
        .and_then(|n| values::count(ctx, &format!("{path}.requests"), Some(n), 10));
    let per = ctx
        .require(raw.per.as_ref(), path, "per", "1s")
        .and_then(|d| {
            values::positive_duration(ctx, &format!("{path}.per"), Some(d), Duration::from_secs(1))
        });
    let burst = match &raw.burst {
        Some(n) => values::count(ctx, &format!("{path}.burst"), Some(n), 1),
        None => requests,
    };
    Some(Some(RateLimit {
        requests: requests?,
        per: per?,
        burst: burst?,
    }))
}

/// Checks `retry:` at `path`; absent keys take [`Retry::default`].
pub(crate) fn retry(ctx: &mut Ctx<'_>, path: &str, raw: Option<&RawRetry>) -> Option<Retry> {
    let defaults = Retry::default();
    let Some(raw) = raw else {
        return Some(defaults);
    };
    let at = |key: &str| format!("{path}.{key}");
    let attempts = values::count(
        ctx,
        &at("attempts"),
        raw.attempts.as_ref(),
        defaults.attempts,
    );
    let initial = values::duration(ctx, &at("initial"), raw.initial.as_ref(), defaults.initial);
    let max = values::duration(ctx, &at("max"), raw.max.as_ref(), defaults.max);
    let max_wait = values::duration(
        ctx,
        &at("max_wait"),
        raw.max_wait.as_ref(),
        defaults.max_wait,
    );
    if let (Some(initial), Some(max)) = (initial, max)
        && initial > max
    {
        let key = if raw.initial.is_some() {
            "initial"
        } else {
            "max"
        };
        ctx.error(
            &at(key),
            format!(
                "`initial` ({}) is more than `max` ({})",
                format_duration(initial),
                format_duration(max)
            ),
            "the first backoff cannot be longer than the longest one: lower `initial` or raise `max`",
        );
        return None;
    }
    Some(Retry {
        attempts: attempts?,
        initial: initial?,
        max: max?,
        max_wait: max_wait?,
    })
}

/// Checks `breaker:` at `path`: absent means the default breaker, `off`
/// means none (`Some(None)`).
pub(crate) fn breaker(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: Option<&OffOr<RawBreaker>>,
) -> Option<Option<Breaker>> {
    let defaults = Breaker::default();
    let settings = match raw {
        None => return Some(Some(defaults)),
        Some(OffOr::Word(Scalar(word))) if word == "off" => return Some(None),
        Some(OffOr::Word(Scalar(word))) => {
            ctx.error(
                path,
                format!("unknown `breaker` value `{word}`: expected `off` or a mapping"),
                format!(
                    "write `breaker: off` to turn it off, or set it, e.g. `breaker: {{ failures: 20, cool_down: 60s }}`{}",
                    suggestion(word, ["off"])
                ),
            );
            return None;
        }
        Some(OffOr::Settings(s)) => s,
    };
    let failures = values::count(
        ctx,
        &format!("{path}.failures"),
        settings.failures.as_ref(),
        defaults.failures,
    );
    let cool_down = values::positive_duration(
        ctx,
        &format!("{path}.cool_down"),
        settings.cool_down.as_ref(),
        defaults.cool_down,
    );
    Some(Some(Breaker {
        failures: failures?,
        cool_down: cool_down?,
    }))
}

/// Checks `max_concurrency` and `concurrency` under the connection at `path`.
pub(crate) fn concurrency(
    ctx: &mut Ctx<'_>,
    path: &str,
    max: Option<&Scalar>,
    mode: Option<&String>,
) -> Option<Concurrency> {
    let max = values::count(
        ctx,
        &format!("{path}.max_concurrency"),
        max,
        DEFAULT_MAX_CONCURRENCY,
    );
    let adaptive = match mode.map(String::as_str) {
        None | Some("fixed") => false,
        Some("adaptive") => true,
        Some(other) => {
            ctx.error(
                &format!("{path}.concurrency"),
                format!("unknown concurrency `{other}`"),
                format!(
                    "`concurrency` must be `fixed` (the default) or `adaptive`{}",
                    suggestion(other, ["fixed", "adaptive"])
                ),
            );
            return None;
        }
    };
    let max = max?;
    Some(if adaptive {
        Concurrency::Adaptive { max }
    } else {
        Concurrency::Fixed(max)
    })
}

#[cfg(test)]
mod tests;
