//! `alerts:` and `notify:`: each rule names a known condition, takes only
//! the keys that condition reads, and names streams and connections that
//! exist; each notify target is a template over `env` and `secret`.

use std::time::Duration;

use super::context::Ctx;
use super::names::suggestion;
use super::streams::Known;
use super::templates::{self, CONNECTION_SCOPE};
use super::values;
use crate::model::{AlertCondition, AlertRule, Notify};
use crate::raw::{RawAlert, RawNotify, Scalar};

/// Checks `alerts[index]`; `None` when it has problems (they are in `ctx`).
pub(crate) fn alert(
    ctx: &mut Ctx<'_>,
    index: usize,
    raw: &RawAlert,
    known: &Known<'_>,
) -> Option<AlertRule> {
    let path = format!("alerts[{index}]");
    let rule = ctx.require(raw.rule.as_ref(), &path, "rule", "no_records")?;
    let Some(keys) = keys(rule) else {
        let near = suggestion(rule, AlertCondition::NAMES);
        ctx.error(
            &format!("{path}.rule"),
            format!("unknown alert rule `{rule}`{near}"),
            format!("use one of {}", AlertCondition::NAMES.join(", ")),
        );
        return None;
    };
    let given = [
        ("stream", raw.stream.is_some()),
        ("connection", raw.connection.is_some()),
        ("for", raw.window.is_some()),
        ("above", raw.above.is_some()),
        ("within", raw.within.is_some()),
    ];
    let mut fine = true;
    for (key, present) in given {
        if present && !keys.contains(&key) {
            ctx.error(
                &format!("{path}.{key}"),
                format!("`{key}` does not apply to rule `{rule}`"),
                format!(
                    "remove it; `{rule}` takes {}",
                    keys.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            fine = false;
        }
    }
    let stream = if keys.contains(&"stream") {
        name(ctx, &path, "stream", raw.stream.as_deref(), &known.streams)
    } else {
        Some(None)
    };
    let connection = if keys.contains(&"connection") {
        name(
            ctx,
            &path,
            "connection",
            raw.connection.as_deref(),
            &known.connections,
        )
    } else {
        Some(None)
    };
    let at = |key: &str| format!("{path}.{key}");
    let window = |ctx: &mut Ctx<'_>, default_secs: u64| {
        values::positive_duration(
            ctx,
            &at("for"),
            raw.window.as_ref(),
            Duration::from_secs(default_secs),
        )
    };
    let condition = match rule.as_str() {
        "no_records" => {
            let window = window(ctx, 24 * 3600);
            if raw.stream.is_none() {
                ctx.missing(&path, "stream", "contacts");
            }
            AlertCondition::NoRecords {
                stream: stream??,
                window: window?,
            }
        }
        "error_rate" => {
            let window = window(ctx, 15 * 60);
            let above = match ctx.require(raw.above.as_ref(), &path, "above", "5%") {
                Some(v) => share(ctx, &at("above"), v),
                None => None,
            };
            AlertCondition::ErrorRate {
                connection: connection?,
                above: above?,
                window: window?,
            }
        }
        "token_expiring" => AlertCondition::TokenExpiring {
            within: values::positive_duration(
                ctx,
                &at("within"),
                raw.within.as_ref(),
                Duration::from_secs(3600),
            )?,
            connection: connection?,
        },
        "queue_depth" => {
            let above = ctx.require(raw.above.as_ref(), &path, "above", "10000")?;
            AlertCondition::QueueDepth {
                above: values::number(ctx, &at("above"), above, 0)?,
            }
        }
        "schema_drift" => AlertCondition::SchemaDrift {
            window: window(ctx, 24 * 3600)?,
            stream: stream?,
        },
        "reconcile_refused" => AlertCondition::ReconcileRefused { stream: stream? },
        "copy_drift" => {
            let above = match ctx.require(raw.above.as_ref(), &path, "above", "1%") {
                Some(v) => share(ctx, &at("above"), v),
                None => None,
            };
            AlertCondition::CopyDrift {
                stream: stream?,
                above: above?,
            }
        }
        "remote_down" => AlertCondition::RemoteDown {
            window: window(ctx, 5 * 60)?,
            connection: connection?,
        },
        _ => AlertCondition::Deprecation {
            window: window(ctx, 24 * 3600)?,
            connection: connection?,
        },
    };
    fine.then_some(AlertRule {
        place: path,
        condition,
    })
}

/// Checks `notify[index]`.
pub(crate) fn notify(ctx: &mut Ctx<'_>, index: usize, raw: &RawNotify) -> Option<Notify> {
    let path = format!("notify[{index}]");
    let url = ctx.require(
        raw.webhook.as_ref(),
        &path,
        "webhook",
        "\"{{ env.ALERT_URL }}\"",
    )?;
    let at = format!("{path}.webhook");
    let template = templates::template(ctx, &at, url, CONNECTION_SCOPE);
    if template.is_literal() {
        match url::Url::parse(url.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                ctx.error(
                    &at,
                    format!("`{url}` is not an absolute http(s) URL"),
                    "write the full URL, e.g. `https://hooks.example.com/holdfast` or `\"{{ env.ALERT_URL }}\"`",
                );
                return None;
            }
        }
    }
    Some(Notify::Webhook(template))
}

/// The keys rule `rule` reads besides `rule:`; `None` for an unknown rule.
fn keys(rule: &str) -> Option<&'static [&'static str]> {
    Some(match rule {
        "no_records" => &["stream", "for"],
        "error_rate" => &["connection", "above", "for"],
        "token_expiring" => &["connection", "within"],
        "queue_depth" => &["above"],
        "schema_drift" => &["stream", "for"],
        "reconcile_refused" => &["stream"],
        "copy_drift" => &["stream", "above"],
        "remote_down" => &["connection", "for"],
        "deprecation" => &["connection", "for"],
        _ => return None,
    })
}

/// `alerts[i].KEY` naming a stream or connection: `Some(None)` when absent,
/// `None` when it names nothing known (reported).
fn name(
    ctx: &mut Ctx<'_>,
    path: &str,
    key: &str,
    value: Option<&str>,
    known: &[&str],
) -> Option<Option<String>> {
    let Some(value) = value else {
        return Some(None);
    };
    if known.contains(&value) {
        return Some(Some(value.to_owned()));
    }
    let near = suggestion(value, known.iter().copied());
    let plural = if key == "stream" {
        "streams"
    } else {
        "connections"
    };
    ctx.error(
        &format!("{path}.{key}"),
        format!("unknown {key} `{value}`{near}"),
        if known.is_empty() {
            format!("the file has no {plural}")
        } else {
            format!("use one of the file's {plural}: {}", known.join(", "))
        },
    );
    None
}

/// A share: `5%`, `0.5%` or `0.05`, more than 0 and at most 1.
fn share(ctx: &mut Ctx<'_>, path: &str, value: &Scalar) -> Option<f64> {
    let text = value.0.trim();
    let parsed = match text.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().ok().map(|p| p / 100.0),
        None => text.parse::<f64>().ok(),
    };
    match parsed {
        Some(share) if share > 0.0 && share <= 1.0 => Some(share),
        Some(_) => {
            ctx.error(
                path,
                format!("`above` is a share, more than 0% and at most 100%; found `{text}`"),
                "write a percentage or a fraction, e.g. `5%` or `0.05`",
            );
            None
        }
        None => {
            ctx.error(
                path,
                format!("expected a share, found `{text}`"),
                "write a percentage or a fraction, e.g. `5%` or `0.05`",
            );
            None
        }
    }
}
