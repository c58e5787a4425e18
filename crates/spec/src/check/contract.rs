//! `tests:`: each names a stream of the file; counts are whole numbers;
//! each expected record has a key and fields.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use yaml_serde::Value as Yaml;

use super::context::Ctx;
use super::json::to_json;
use super::names::suggestion;
use super::values;
use crate::model::{ExpectedRecord, StreamTest};
use crate::raw::RawTest;

/// Checks the test of `stream`; `None` when it has problems (they are in `ctx`).
pub(crate) fn test(
    ctx: &mut Ctx<'_>,
    stream: &str,
    raw: &RawTest,
    streams: &[&str],
) -> Option<StreamTest> {
    let at = format!("tests.{stream}");
    let mut ok = true;
    if !streams.contains(&stream) {
        let near = suggestion(stream, streams.iter().copied());
        ctx.error_at_key(
            &at,
            format!("`tests:` names `{stream}`, which is not a stream of this file"),
            if near.is_empty() {
                "key each test by the stream whose cassette it checks".to_owned()
            } else {
                format!("use a stream's name{near}")
            },
        );
        ok = false;
    }
    // Outer `None`: a problem (reported); inner `None`: no `records:`.
    let records = match &raw.records {
        None => Some(None),
        Some(value) => range(ctx, &format!("{at}.records"), value),
    };
    let quarantined = match &raw.quarantined {
        None => Some(0),
        Some(v) => values::number(ctx, &format!("{at}.quarantined"), v, 0),
    };
    let mut expect = Vec::new();
    for (i, e) in raw.expect.iter().enumerate() {
        let here = format!("{at}.expect[{i}]");
        let key = ctx
            .require(e.key.as_ref(), &here, "key", "17")
            .and_then(|k| json(ctx, &format!("{here}.key"), k))
            .map(|k| match k {
                Json::Array(items) => items,
                one => vec![one],
            });
        let fields = ctx
            .require(
                e.fields.as_ref(),
                &here,
                "fields",
                "{ email: ada@example.com }",
            )
            .and_then(|f| json(ctx, &format!("{here}.fields"), f))
            .and_then(|f| match f {
                Json::Object(map) if !map.is_empty() => {
                    Some(map.into_iter().collect::<BTreeMap<_, _>>())
                }
                _ => {
                    ctx.error(
                        &format!("{here}.fields"),
                        "expected a mapping of field names to the values the record must hold",
                        "write e.g. `fields: { email: ada@example.com, status: active }`",
                    );
                    None
                }
            });
        match (key, fields) {
            (Some(key), Some(fields)) => expect.push(ExpectedRecord { key, fields }),
            _ => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(StreamTest {
        stream: stream.to_owned(),
        cassette: raw.cassette.clone(),
        records: records?,
        quarantined: quarantined?,
        expect,
    })
}

fn json(ctx: &mut Ctx<'_>, at: &str, value: &Yaml) -> Option<Json> {
    match to_json(value) {
        Ok(v) => Some(v),
        Err(e) => {
            ctx.error(
                at,
                e,
                "write plain YAML values (strings, numbers, booleans, lists)",
            );
            None
        }
    }
}

/// `120`, or `{ min: 100, max: 200 }`, as `Some(Some((min, max)))`; `None`
/// when wrong (reported).
fn range(ctx: &mut Ctx<'_>, at: &str, value: &Yaml) -> Option<Option<(Option<u64>, Option<u64>)>> {
    let help = "write a number (`records: 120`) or a range (`records: { min: 100, max: 200 }`)";
    let whole = |v: &Yaml| v.as_u64();
    match value {
        Yaml::Number(_) => match whole(value) {
            Some(n) => Some(Some((Some(n), Some(n)))),
            None => {
                ctx.error(
                    at,
                    format!("expected a whole number, found `{}`", show(value)),
                    help,
                );
                None
            }
        },
        Yaml::Mapping(m) => {
            let mut min = None;
            let mut max = None;
            for (k, v) in m {
                let name = k.as_str().unwrap_or_default();
                let slot = match name {
                    "min" => &mut min,
                    "max" => &mut max,
                    _ => {
                        ctx.error(
                            at,
                            format!("unknown key `{}` in a records range", show(k)),
                            help,
                        );
                        return None;
                    }
                };
                match whole(v) {
                    Some(n) => *slot = Some(n),
                    None => {
                        ctx.error(
                            at,
                            format!("`{name}` must be a whole number, found `{}`", show(v)),
                            help,
                        );
                        return None;
                    }
                }
            }
            if let (Some(lo), Some(hi)) = (min, max)
                && lo > hi
            {
                ctx.error(at, format!("`min` ({lo}) is above `max` ({hi})"), help);
                return None;
            }
            if min.is_none() && max.is_none() {
                ctx.error(at, "a records range needs `min`, `max` or both", help);
                return None;
            }
            Some(Some((min, max)))
        }
        other => {
            ctx.error(
                at,
                format!("expected a number or a range, found `{}`", show(other)),
                help,
            );
            None
        }
    }
}

fn show(value: &Yaml) -> String {
    yaml_serde::to_string(value)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}
