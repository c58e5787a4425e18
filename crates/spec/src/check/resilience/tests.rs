use super::*;
use crate::env::Env;
use crate::span::SpanIndex;

const SECOND: Duration = Duration::from_secs(1);

fn scalar(text: &str) -> Option<Scalar> {
    Some(Scalar(text.into()))
}

/// Runs `f` with a fresh context; its result and "message @ path | help" lines.
fn run<T>(f: impl FnOnce(&mut Ctx<'_>) -> T) -> (T, Vec<String>) {
    let index = SpanIndex::default();
    let env = Env::default();
    let mut ctx = Ctx::new(&index, &env);
    let out = f(&mut ctx);
    let messages = ctx.finish().into_iter().map(|d| {
        format!(
            "{} @ {} | {}",
            d.message,
            d.key_path,
            d.help.unwrap_or_default()
        )
    });
    (out, messages.collect())
}

#[test]
fn connect_timeout_defaults_and_caps() {
    let (d, _) = run(|ctx| connect_timeout(ctx, "c", None, Some(30 * SECOND)));
    assert_eq!(d, Some(10 * SECOND));
    let (d, _) = run(|ctx| connect_timeout(ctx, "c", None, Some(3 * SECOND)));
    assert_eq!(d, Some(3 * SECOND), "the default never exceeds `timeout`");
    let (d, errors) =
        run(|ctx| connect_timeout(ctx, "c", scalar("5s").as_ref(), Some(30 * SECOND)));
    assert_eq!((d, errors.len()), (Some(5 * SECOND), 0));
    let (d, errors) = run(|ctx| {
        connect_timeout(
            ctx,
            "c.connect_timeout",
            scalar("1m").as_ref(),
            Some(30 * SECOND),
        )
    });
    assert_eq!(d, None);
    assert_eq!(
        errors,
        [
            "`connect_timeout` (1m) is longer than `timeout` (30s) @ c.connect_timeout | `timeout` covers the whole request, connecting included: use at most `30s`, or raise `timeout`"
        ]
    );
    let (_, errors) =
        run(|ctx| connect_timeout(ctx, "c.connect_timeout", scalar("0s").as_ref(), None));
    assert_eq!(
        errors,
        ["`connect_timeout` must be more than 0s @ c.connect_timeout | use e.g. `10s`"]
    );
}

#[test]
fn rate_limit_burst_defaults_to_requests() {
    let raw = RawRateLimit {
        requests: scalar("10"),
        per: scalar("1s"),
        burst: None,
    };
    let (r, errors) = run(|ctx| rate_limit(ctx, "r", Some(&raw)));
    assert!(errors.is_empty(), "{errors:?}");
    let expected = RateLimit {
        requests: 10,
        per: SECOND,
        burst: 10,
    };
    assert_eq!(r, Some(Some(expected)));
    assert_eq!(run(|ctx| rate_limit(ctx, "r", None)).0, Some(None));
}

#[test]
fn rate_limit_rules() {
    let raw = RawRateLimit {
        requests: scalar("0"),
        per: scalar("0ms"),
        burst: scalar("0"),
    };
    let (r, errors) = run(|ctx| rate_limit(ctx, "r", Some(&raw)));
    assert_eq!(r, None);
    assert_eq!(
        errors,
        [
            "expected a number of at least 1, found 0 @ r.requests | use 1 or more",
            "`per` must be more than 0s @ r.per | use e.g. `1s`",
            "expected a number of at least 1, found 0 @ r.burst | use 1 or more",
        ]
    );
    let (_, errors) = run(|ctx| rate_limit(ctx, "r", Some(&RawRateLimit::default())));
    assert_eq!(
        errors,
        [
            "missing key `requests` @ r.requests | add it, e.g. `requests: 10`",
            "missing key `per` @ r.per | add it, e.g. `per: 1s`",
        ]
    );
}

#[test]
fn retry_defaults_per_key() {
    assert_eq!(run(|ctx| retry(ctx, "r", None)).0, Some(Retry::default()));
    let raw = RawRetry {
        attempts: scalar("8"),
        max_wait: scalar("10m"),
        ..RawRetry::default()
    };
    let (r, errors) = run(|ctx| retry(ctx, "r", Some(&raw)));
    assert!(errors.is_empty(), "{errors:?}");
    let expected = Retry {
        attempts: 8,
        max_wait: 600 * SECOND,
        ..Retry::default()
    };
    assert_eq!(r, Some(expected));
}

#[test]
fn retry_rules() {
    let raw = RawRetry {
        attempts: scalar("0"),
        initial: scalar("2m"),
        ..RawRetry::default()
    };
    let (r, errors) = run(|ctx| retry(ctx, "r", Some(&raw)));
    assert_eq!(r, None);
    assert_eq!(
        errors,
        [
            "expected a number of at least 1, found 0 @ r.attempts | use 1 or more",
            "`initial` (2m) is more than `max` (1m) @ r.initial | the first backoff cannot be longer than the longest one: lower `initial` or raise `max`",
        ]
    );
    let raw = RawRetry {
        max: scalar("100ms"),
        max_wait: scalar("soon"),
        ..RawRetry::default()
    };
    let (_, errors) = run(|ctx| retry(ctx, "r", Some(&raw)));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("invalid duration `soon`"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("@ r.max |"),
        "blamed on the key written: {errors:?}"
    );
}

#[test]
fn breaker_default_off_and_settings() {
    assert_eq!(
        run(|ctx| breaker(ctx, "b", None)).0,
        Some(Some(Breaker::default()))
    );
    let off = OffOr::Word(Scalar("off".into()));
    assert_eq!(run(|ctx| breaker(ctx, "b", Some(&off))).0, Some(None));
    let settings = OffOr::Settings(RawBreaker {
        failures: scalar("3"),
        cool_down: None,
    });
    let expected = Breaker {
        failures: 3,
        ..Breaker::default()
    };
    assert_eq!(
        run(|ctx| breaker(ctx, "b", Some(&settings))).0,
        Some(Some(expected))
    );
}

#[test]
fn breaker_rules() {
    let word = OffOr::Word(Scalar("of".into()));
    let (b, errors) = run(|ctx| breaker(ctx, "b", Some(&word)));
    assert_eq!(b, None);
    assert_eq!(
        errors,
        [
            "unknown `breaker` value `of`: expected `off` or a mapping @ b | write `breaker: off` to turn it off, or set it, e.g. `breaker: { failures: 20, cool_down: 60s }`; did you mean `off`?"
        ]
    );
    let settings = OffOr::Settings(RawBreaker {
        failures: scalar("0"),
        cool_down: scalar("0s"),
    });
    let (_, errors) = run(|ctx| breaker(ctx, "b", Some(&settings)));
    assert_eq!(
        errors,
        [
            "expected a number of at least 1, found 0 @ b.failures | use 1 or more",
            "`cool_down` must be more than 0s @ b.cool_down | use e.g. `1m`",
        ]
    );
}

#[test]
fn concurrency_modes() {
    let fixed = run(|ctx| concurrency(ctx, "c", None, None)).0;
    assert_eq!(fixed, Some(Concurrency::Fixed(4)));
    let adaptive = "adaptive".to_owned();
    let eight = scalar("8");
    let (c, _) = run(|ctx| concurrency(ctx, "c", eight.as_ref(), Some(&adaptive)));
    assert_eq!(c, Some(Concurrency::Adaptive { max: 8 }));
    let typo = "adaptve".to_owned();
    let zero = scalar("0");
    let (c, errors) = run(|ctx| concurrency(ctx, "c", zero.as_ref(), Some(&typo)));
    assert_eq!(c, None);
    assert_eq!(
        errors,
        [
            "expected a number of at least 1, found 0 @ c.max_concurrency | use 1 or more",
            "unknown concurrency `adaptve` @ c.concurrency | `concurrency` must be `fixed` (the default) or `adaptive`; did you mean `adaptive`?",
        ]
    );
}
