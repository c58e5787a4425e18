//! `in:`, `param:` and `at:`: where a pagination value is sent.

use super::super::context::Ctx;
use super::super::names::{self, suggestion};
use super::super::values;
use crate::model::{Place, Pointer};

/// `in:` of a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum In {
    Query,
    Header,
    Body,
}

/// Checks `in:` at `path.in`; `default` when absent. `in: body` needs the
/// request to have a body (`has_body`).
pub(super) fn place_kind(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: Option<&str>,
    default: In,
    has_body: bool,
) -> Option<In> {
    let kind = match raw.map(str::trim) {
        None => default,
        Some("query") => In::Query,
        Some("header") => In::Header,
        Some("body") => In::Body,
        Some(other) => {
            ctx.error(
                &format!("{path}.in"),
                format!("unknown `in: {other}`"),
                format!(
                    "`in` is one of `query` (the default), `header`, `body`{}",
                    suggestion(other, ["query", "header", "body"])
                ),
            );
            return None;
        }
    };
    if kind == In::Body && !has_body {
        let at = if raw.is_some() {
            format!("{path}.in")
        } else {
            path.to_owned()
        };
        ctx.error(
            &at,
            "the page value goes in the request body, but the request has no body",
            "give the stream's request a `json:` body (e.g. `json: { limit: 100 }`) or a \
             `graphql:` body, or send the value as a query parameter (`in: query`)",
        );
        return None;
    }
    Some(kind)
}

/// One value's place: the name under `param_key` for `in: query` and
/// `in: header`, the JSON Pointer under `at_key` for `in: body`. A key of
/// the other kind is an error (it would be silently unused).
pub(super) struct Spot<'r> {
    /// The key naming a parameter or header (`param`, `limit_param`, `size_param`).
    pub(super) param_key: &'static str,
    /// Its value, when written.
    pub(super) param: Option<&'r String>,
    /// The name used when none is written (`None`: required).
    pub(super) param_default: Option<&'static str>,
    /// The key holding a JSON Pointer (`at`, `limit_at`, `size_at`).
    pub(super) at_key: &'static str,
    /// Its value, when written.
    pub(super) at: Option<&'r String>,
    /// The pointer used when none is written (`None`: required).
    pub(super) at_default: Option<&'static str>,
}

/// Checks where one value goes (see [`Spot`]).
pub(super) fn place(ctx: &mut Ctx<'_>, path: &str, kind: In, spot: &Spot<'_>) -> Option<Place> {
    match kind {
        In::Query | In::Header => {
            if spot.at.is_some() {
                ctx.error(
                    &format!("{path}.{}", spot.at_key),
                    format!(
                        "`{}` is a JSON Pointer into the body, for `in: body`",
                        spot.at_key
                    ),
                    format!(
                        "remove `{}`, or send the value in the body with `in: body`",
                        spot.at_key
                    ),
                );
                return None;
            }
            let name = match (spot.param, spot.param_default) {
                (Some(n), _) => n.trim().to_owned(),
                (None, Some(d)) => d.to_owned(),
                (None, None) => {
                    let example = if kind == In::Header {
                        "X-Page-Token"
                    } else {
                        "cursor"
                    };
                    ctx.missing(path, spot.param_key, example);
                    return None;
                }
            };
            let at = format!("{path}.{}", spot.param_key);
            if kind == In::Header {
                let before = ctx.error_count();
                names::header(ctx, &at, &name);
                (ctx.error_count() == before).then_some(Place::Header(name))
            } else {
                values::param_name(ctx, &at, &name).map(Place::Query)
            }
        }
        In::Body => {
            if spot.param.is_some() {
                ctx.error(
                    &format!("{path}.{}", spot.param_key),
                    format!(
                        "`{}` names a query parameter or header; with `in: body` the value goes at `{}`",
                        spot.param_key, spot.at_key
                    ),
                    format!(
                        "write `{}: /after` (a JSON Pointer into the body) instead of `{}`",
                        spot.at_key, spot.param_key
                    ),
                );
                return None;
            }
            let source = match (spot.at, spot.at_default) {
                (Some(a), _) => a.trim(),
                (None, Some(d)) => d,
                (None, None) => {
                    ctx.missing(path, spot.at_key, "/after");
                    return None;
                }
            };
            pointer(ctx, &format!("{path}.{}", spot.at_key), source).map(Place::Body)
        }
    }
}

/// A JSON Pointer to a place inside the body (not the whole body).
fn pointer(ctx: &mut Ctx<'_>, path: &str, source: &str) -> Option<Pointer> {
    let help = "write an RFC 6901 JSON Pointer into the request body, e.g. `/after` or \
                `/variables/after`";
    match Pointer::parse(source) {
        Ok(p) if p.tokens.is_empty() => {
            ctx.error(
                path,
                "the pointer is empty: it would replace the whole body",
                help,
            );
            None
        }
        Ok(p) => Some(p),
        Err(e) => {
            ctx.error(path, format!("invalid JSON Pointer {e}"), help);
            None
        }
    }
}
