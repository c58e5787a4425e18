//! Plain values: durations, JSONPaths, counts.

use std::time::Duration;

use super::context::Ctx;
use crate::model::Path;
use crate::raw::Scalar;

/// Parses a humantime duration (`30s`, `5m`, `1h 30m`); `default` when absent.
pub(crate) fn duration(
    ctx: &mut Ctx<'_>,
    path: &str,
    value: Option<&Scalar>,
    default: Duration,
) -> Option<Duration> {
    let Some(Scalar(text)) = value else {
        return Some(default);
    };
    match humantime::parse_duration(text.trim()) {
        Ok(d) => Some(d),
        Err(e) => {
            ctx.error(
                path,
                format!("invalid duration `{text}`: {e}"),
                "write a number and a unit, e.g. `30s`, `5m` or `1h 30m`",
            );
            None
        }
    }
}

/// As [`duration`], and more than zero; the example in the help is `default`.
pub(crate) fn positive_duration(
    ctx: &mut Ctx<'_>,
    path: &str,
    value: Option<&Scalar>,
    default: Duration,
) -> Option<Duration> {
    let d = duration(ctx, path, value, default)?;
    if d.is_zero() {
        let key = path.rsplit('.').next().unwrap_or(path);
        ctx.error(
            path,
            format!("`{key}` must be more than 0s"),
            format!("use e.g. `{}`", humantime::format_duration(default)),
        );
        return None;
    }
    Some(d)
}

/// Parses a size in bytes (`64MB`, `512 KiB`, `1GB`, or a plain number of
/// bytes), more than zero; `default` when absent.
pub(crate) fn byte_size(
    ctx: &mut Ctx<'_>,
    path: &str,
    value: Option<&Scalar>,
    default: u64,
) -> Option<u64> {
    let Some(Scalar(text)) = value else {
        return Some(default);
    };
    let help = "write a number and a unit, e.g. `64MB`, `512KiB` or `1GB`";
    match text.trim().parse::<bytesize::ByteSize>() {
        Ok(size) if size.as_u64() > 0 => Some(size.as_u64()),
        Ok(_) => {
            ctx.error(
                path,
                format!("`{text}` is no room at all: it must be more than 0"),
                help,
            );
            None
        }
        Err(e) => {
            ctx.error(path, format!("invalid size `{text}`: {e}"), help);
            None
        }
    }
}

/// Parses a count: a whole number of at least `min` that fits in 32 bits;
/// `default` when absent.
pub(crate) fn count(
    ctx: &mut Ctx<'_>,
    path: &str,
    value: Option<&Scalar>,
    default: u32,
) -> Option<u32> {
    let Some(value) = value else {
        return Some(default);
    };
    let n = number(ctx, path, value, 1)?;
    match u32::try_from(n) {
        Ok(n) => Some(n),
        Err(_) => {
            ctx.error(
                path,
                format!("expected a number of at most {}, found {n}", u32::MAX),
                format!("use a smaller number, e.g. `{default}`"),
            );
            None
        }
    }
}

/// Compiles an RFC 9535 JSONPath.
pub(crate) fn json_path(ctx: &mut Ctx<'_>, path: &str, source: &str) -> Option<Path> {
    match Path::parse(source) {
        Ok(p) => Some(p),
        Err(e) => {
            let help = if source.starts_with('$') {
                "write an RFC 9535 JSONPath, e.g. `$.data[*]` or `$.meta.next_cursor`"
            } else {
                "a JSONPath starts with `$`, e.g. `$.data[*]`"
            };
            ctx.error(path, format!("invalid JSONPath `{source}`: {e}"), help);
            None
        }
    }
}

/// Parses a whole number that must be at least `min`.
pub(crate) fn number(ctx: &mut Ctx<'_>, path: &str, value: &Scalar, min: u64) -> Option<u64> {
    let text = value.0.trim();
    match text.parse::<u64>() {
        Ok(n) if n >= min => Some(n),
        Ok(n) => {
            ctx.error(
                path,
                format!("expected a number of at least {min}, found {n}"),
                format!("use {min} or more"),
            );
            None
        }
        Err(_) => {
            ctx.error(
                path,
                format!("expected a whole number, found `{text}`"),
                "write digits only, e.g. `100`",
            );
            None
        }
    }
}

/// Checks a parameter name is not empty.
pub(crate) fn param_name(ctx: &mut Ctx<'_>, path: &str, name: &str) -> Option<String> {
    if name.trim().is_empty() {
        ctx.error(
            path,
            "empty parameter name",
            "name the query parameter, e.g. `cursor`",
        );
        return None;
    }
    Some(name.to_owned())
}

/// For an optional key: absent is fine (`Some(None)`), present but invalid
/// is a failure (`None`).
pub(crate) fn optional<T>(checked: Option<Option<T>>) -> Option<Option<T>> {
    match checked {
        None => Some(None),
        Some(None) => None,
        Some(Some(v)) => Some(Some(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;
    use crate::span::SpanIndex;

    #[test]
    fn durations_and_paths() {
        let index = SpanIndex::default();
        let env = Env::default();
        let mut ctx = Ctx::new(&index, &env);
        let five = Scalar("5m".into());
        assert_eq!(
            duration(&mut ctx, "a", Some(&five), Duration::ZERO),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            duration(&mut ctx, "a", None, Duration::ZERO),
            Some(Duration::ZERO)
        );
        assert!(json_path(&mut ctx, "b", "$.data[*]").is_some());
        assert_eq!(ctx.error_count(), 0);
        let bare = Scalar("30".into());
        assert_eq!(duration(&mut ctx, "a", Some(&bare), Duration::ZERO), None);
        assert!(json_path(&mut ctx, "b", "$.data[").is_none());
        assert!(number(&mut ctx, "c", &Scalar("0".into()), 1).is_none());
        assert_eq!(number(&mut ctx, "c", &Scalar("0".into()), 0), Some(0));
        assert!(number(&mut ctx, "c", &Scalar("-1".into()), 0).is_none());
        assert_eq!(count(&mut ctx, "d", None, 4), Some(4));
        assert_eq!(count(&mut ctx, "d", Some(&Scalar("7".into())), 4), Some(7));
        assert_eq!(count(&mut ctx, "d", Some(&Scalar("0".into())), 4), None);
        let huge = Scalar("5000000000".into());
        assert_eq!(count(&mut ctx, "d", Some(&huge), 4), None);
        let zero = Scalar("0s".into());
        assert_eq!(
            positive_duration(&mut ctx, "x.per", Some(&zero), Duration::from_secs(1)),
            None
        );
        let d = ctx.finish();
        assert_eq!(d.len(), 7);
        assert_eq!(d[4].message, "expected a number of at least 1, found 0");
        assert_eq!(
            d[5].message,
            "expected a number of at most 4294967295, found 5000000000"
        );
        assert_eq!(
            (d[6].message.as_str(), d[6].help.as_deref()),
            ("`per` must be more than 0s", Some("use e.g. `1s`"))
        );
        assert!(
            d[0].message.starts_with("invalid duration `30`"),
            "{}",
            d[0].message
        );
        assert!(
            d[1].message.starts_with("invalid JSONPath `$.data[`"),
            "{}",
            d[1].message
        );
    }
}
