//! Webhooks: path, signature scheme and secrets, event id and version, routes.

use std::time::Duration;

use super::context::Ctx;
use super::names::{self, suggestion};
use super::templates::{self, CONNECTION_SCOPE};
use super::values;
use crate::model::{EventId, Route, SignatureEncoding, Template, Verify, VerifyScheme, Webhook};
use crate::raw::{RawRoute, RawVerify, RawWebhook, Scalar, Strings};

/// What a route's `when:` and `delete_when:` conditions may read.
pub(crate) const ROUTE_SCOPE: &[&str] = &["body", "headers"];

/// Paths `holdfast serve` keeps for itself.
const RESERVED_PATHS: &[&str] = &["/api", "/metrics", "/healthz"];

/// The signature schemes, as written in the file.
const SCHEMES: &[&str] = &["standard_webhooks", "stripe", "github", "hmac_sha256"];

/// Default `max_body`: 1 MiB.
const DEFAULT_MAX_BODY: usize = 1 << 20;

/// Checks one webhook; `None` when it has problems (they are in `ctx`).
pub(crate) fn webhook(
    ctx: &mut Ctx<'_>,
    name: &str,
    raw: &RawWebhook,
    streams: &[&str],
) -> Option<Webhook> {
    let at = format!("webhooks.{name}");
    let name_ok = names::identifier(ctx, &at, name, "webhook name");
    let path = ctx
        .require(raw.path.as_ref(), &at, "path", "/hooks/crm")
        .and_then(|p| url_path(ctx, &format!("{at}.path"), p));
    let verify = ctx
        .require(
            raw.verify.as_ref(),
            &at,
            "verify",
            "{ scheme: standard_webhooks, secret: \"{{ env.CRM_WEBHOOK_SECRET }}\" }",
        )
        .and_then(|v| verify(ctx, &format!("{at}.verify"), v));
    let event_id = event_id(
        ctx,
        &at,
        raw.event_id.as_deref(),
        verify.as_ref().map(|v| &v.scheme),
    );
    let version = raw
        .version
        .as_ref()
        .map(|v| values::json_path(ctx, &format!("{at}.version"), v));
    let route = ctx
        .require(
            raw.route.as_ref(),
            &at,
            "route",
            "[{ stream: contacts, record: \"$.data\" }]",
        )
        .and_then(|r| routes(ctx, &format!("{at}.route"), r, streams));
    let max_body = max_body(ctx, &format!("{at}.max_body"), raw.max_body.as_ref());
    if !name_ok {
        return None;
    }
    Some(Webhook {
        name: name.to_owned(),
        path: path?,
        verify: verify?,
        event_id: event_id?,
        version: values::optional(version)?,
        route: route?,
        max_body: max_body?,
    })
}

/// Reports two webhooks on one path.
pub(crate) fn shared_paths(ctx: &mut Ctx<'_>, webhooks: &[Webhook]) {
    for (i, w) in webhooks.iter().enumerate() {
        if let Some(first) = webhooks[..i].iter().find(|o| o.path == w.path) {
            ctx.error(
                &format!("webhooks.{}.path", w.name),
                format!(
                    "path `{}` is already used by webhook `{}`",
                    w.path, first.name
                ),
                format!("give each webhook its own path, e.g. `/hooks/{}`", w.name),
            );
        }
    }
}

fn url_path(ctx: &mut Ctx<'_>, at: &str, path: &str) -> Option<String> {
    let example = "/hooks/crm";
    if !path.starts_with('/') {
        ctx.error(
            at,
            format!("webhook path `{path}` must start with `/`"),
            format!("write the path alone, e.g. `{example}`"),
        );
        return None;
    }
    if path.contains(['?', '#', ' ', '{', '}']) || path.contains("//") {
        ctx.error(
            at,
            format!("webhook path `{path}` is not a plain URL path"),
            format!("use letters, digits, `-`, `_` and `/`, e.g. `{example}`"),
        );
        return None;
    }
    let lower = path.to_ascii_lowercase();
    if let Some(r) = RESERVED_PATHS
        .iter()
        .find(|r| lower == **r || lower.starts_with(&format!("{r}/")))
    {
        ctx.error(
            at,
            format!("webhook path `{path}` is under `{r}`, which holdfast serve uses itself"),
            format!("choose another path, e.g. `{example}`"),
        );
        return None;
    }
    Some(path.trim_end_matches('/').to_owned())
        .filter(|p| !p.is_empty())
        .or_else(|| {
            ctx.error(
                at,
                "webhook path `/` is too broad",
                format!("use e.g. `{example}`"),
            );
            None
        })
}

fn verify(ctx: &mut Ctx<'_>, at: &str, raw: &RawVerify) -> Option<Verify> {
    let scheme_name = ctx.require(raw.scheme.as_ref(), at, "scheme", "standard_webhooks");
    let hmac_only = [
        ("header", raw.header.is_some()),
        ("encoding", raw.encoding.is_some()),
        ("prefix", raw.prefix.is_some()),
    ];
    let scheme = match scheme_name.map(String::as_str) {
        None => None,
        Some("standard_webhooks") => Some(VerifyScheme::StandardWebhooks),
        Some("stripe") => Some(VerifyScheme::Stripe),
        Some("github") => Some(VerifyScheme::Github),
        Some("hmac_sha256") => {
            let header = ctx.require(raw.header.as_ref(), at, "header", "X-Signature");
            if let Some(h) = header {
                names::header(ctx, &format!("{at}.header"), h);
            }
            let encoding = match raw.encoding.as_deref() {
                None | Some("hex") => Some(SignatureEncoding::Hex),
                Some("base64") => Some(SignatureEncoding::Base64),
                Some(other) => {
                    ctx.error(
                        &format!("{at}.encoding"),
                        format!("unknown signature encoding `{other}`: expected `hex` or `base64`"),
                        format!(
                            "use `encoding: hex` or `encoding: base64`{}",
                            suggestion(other, ["hex", "base64"])
                        ),
                    );
                    None
                }
            };
            Some(VerifyScheme::HmacSha256 {
                header: header?.clone(),
                encoding: encoding?,
                prefix: raw.prefix.clone().unwrap_or_default(),
            })
        }
        Some(other) => {
            let near = suggestion(other, SCHEMES.iter().copied());
            ctx.error(
                &format!("{at}.scheme"),
                format!("unknown signature scheme `{other}`"),
                format!("use one of `{}`{near}", SCHEMES.join("`, `")),
            );
            None
        }
    };
    if let Some(scheme) = &scheme
        && !matches!(scheme, VerifyScheme::HmacSha256 { .. })
    {
        for (key, present) in hmac_only {
            if present {
                ctx.error(
                    &format!("{at}.{key}"),
                    format!("`{key}` is only for `scheme: hmac_sha256`"),
                    "remove it: this scheme defines its own headers",
                );
            }
        }
    }
    let secrets = ctx
        .require(
            raw.secret.as_ref(),
            at,
            "secret",
            "\"{{ env.CRM_WEBHOOK_SECRET }}\"",
        )
        .and_then(|s| secrets(ctx, &format!("{at}.secret"), s));
    let tolerance = values::positive_duration(
        ctx,
        &format!("{at}.tolerance"),
        raw.tolerance.as_ref(),
        Duration::from_secs(300),
    );
    Some(Verify {
        scheme: scheme?,
        secrets: secrets?,
        tolerance: tolerance?,
    })
}

fn secrets(ctx: &mut Ctx<'_>, at: &str, raw: &Strings) -> Option<Vec<Template>> {
    if raw.items.is_empty() {
        ctx.error(
            at,
            "`secret` is an empty list",
            "give the signing secret, e.g. `secret: \"{{ env.CRM_WEBHOOK_SECRET }}\"`",
        );
        return None;
    }
    let before = ctx.error_count();
    let out: Vec<_> = raw
        .items
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let item = if raw.listed {
                format!("{at}[{i}]")
            } else {
                at.to_owned()
            };
            if s.trim().is_empty() {
                ctx.error(
                    &item,
                    "empty webhook secret",
                    "read it from the environment, e.g. `\"{{ env.CRM_WEBHOOK_SECRET }}\"`",
                );
            }
            templates::template(ctx, &item, s, CONNECTION_SCOPE)
        })
        .collect();
    (ctx.error_count() == before).then_some(out)
}

fn event_id(
    ctx: &mut Ctx<'_>,
    at: &str,
    raw: Option<&str>,
    scheme: Option<&VerifyScheme>,
) -> Option<EventId> {
    let key = format!("{at}.event_id");
    match raw {
        Some(text) => {
            if let Some(header) = text.strip_prefix("header:") {
                let header = header.trim();
                names::header(ctx, &key, header);
                Some(EventId::Header(header.to_owned()))
            } else {
                values::json_path(ctx, &key, text).map(EventId::Path)
            }
        }
        None => match scheme? {
            VerifyScheme::StandardWebhooks => Some(EventId::Header("webhook-id".into())),
            VerifyScheme::Github => Some(EventId::Header("X-GitHub-Delivery".into())),
            VerifyScheme::Stripe => crate::model::Path::parse("$.id").ok().map(EventId::Path),
            VerifyScheme::HmacSha256 { .. } => {
                ctx.missing(at, "event_id", "\"$.id\"");
                None
            }
        },
    }
}

fn routes(ctx: &mut Ctx<'_>, at: &str, raw: &[RawRoute], streams: &[&str]) -> Option<Vec<Route>> {
    if raw.is_empty() {
        ctx.error(
            at,
            "`route` is empty: events would be acknowledged and dropped",
            "add a rule, e.g. `route: [{ stream: contacts, record: \"$.data\" }]`",
        );
        return None;
    }
    let checked: Vec<Option<Route>> = raw
        .iter()
        .enumerate()
        .map(|(i, r)| route(ctx, &format!("{at}[{i}]"), r, streams))
        .collect();
    checked.into_iter().collect()
}

fn route(ctx: &mut Ctx<'_>, at: &str, raw: &RawRoute, streams: &[&str]) -> Option<Route> {
    let condition = |ctx: &mut Ctx<'_>, key: &str, source: &String| {
        let path = format!("{at}.{key}");
        let example = "body.type == 'contact.deleted'";
        templates::no_braces(ctx, &path, (key, "a condition"), source, example)
            .then(|| templates::condition(ctx, &path, source, ROUTE_SCOPE, example))
    };
    let when = raw.when.as_ref().map(|w| condition(ctx, "when", w));
    let delete_when = raw
        .delete_when
        .as_ref()
        .map(|w| condition(ctx, "delete_when", w));
    let stream = ctx
        .require(
            raw.stream.as_ref(),
            at,
            "stream",
            streams.first().unwrap_or(&"contacts"),
        )
        .and_then(|s| {
            if streams.contains(&s.as_str()) {
                return Some(s.clone());
            }
            let help = if streams.is_empty() {
                "declare the stream under `streams:`; its table, schema and `map:` apply".to_owned()
            } else {
                let near = suggestion(s, streams.iter().copied());
                format!("use a name under `streams:`{near}")
            };
            ctx.error(
                &format!("{at}.stream"),
                format!("unknown stream `{s}`"),
                help,
            );
            None
        });
    let record = values::json_path(
        ctx,
        &format!("{at}.record"),
        raw.record.as_deref().unwrap_or("$"),
    );
    Some(Route {
        when: values::optional(when)?,
        stream: stream?,
        record: record?,
        delete_when: values::optional(delete_when)?,
    })
}

fn max_body(ctx: &mut Ctx<'_>, at: &str, raw: Option<&Scalar>) -> Option<usize> {
    let Some(Scalar(text)) = raw else {
        return Some(DEFAULT_MAX_BODY);
    };
    let lower = text.trim().to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits_end);
    let factor: Option<usize> = match unit.trim() {
        "" | "b" => Some(1),
        "kb" | "k" | "kib" => Some(1 << 10),
        "mb" | "m" | "mib" => Some(1 << 20),
        _ => None,
    };
    match (number.parse::<usize>(), factor) {
        (Ok(n), Some(f)) if n > 0 => n.checked_mul(f).filter(|b| *b <= 1 << 30).or_else(|| {
            ctx.error(
                at,
                format!("`max_body` `{text}` is over 1gb"),
                "use e.g. `1mb`",
            );
            None
        }),
        _ => {
            ctx.error(
                at,
                format!("invalid size `{text}`"),
                "write a number of bytes, or with a unit: `256kb`, `1mb`",
            );
            None
        }
    }
}
