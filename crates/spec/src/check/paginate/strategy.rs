//! The strategy of `paginate:` and the keys only it takes.

use super::super::context::Ctx;
use super::super::names;
use super::super::values;
use super::place::{In, Spot, place, place_kind};
use crate::model::{Next, NextParams, Strategy};
use crate::raw::RawPaginate;

/// Page size for `offset` when none is given.
const DEFAULT_LIMIT: u64 = 100;

/// Checks the strategy at `path`; `has_body`: the stream's request has a
/// `json:` or `graphql:` body (needed for `in: body`).
pub(super) fn strategy(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: &RawPaginate,
    has_body: bool,
) -> Option<Strategy> {
    Some(match raw {
        RawPaginate::None { .. } => Strategy::None,
        RawPaginate::LinkHeader { params, .. } => Strategy::LinkHeader {
            params: next_params(ctx, path, params.as_deref())?,
        },
        RawPaginate::NextUrl { next, params, .. } => {
            let params = next_params(ctx, path, params.as_deref());
            let next = ctx
                .require(next.as_ref(), path, "next", "\"$.links.next\"")
                .and_then(|n| values::json_path(ctx, &format!("{path}.next"), n));
            Strategy::NextUrl {
                next: next?,
                params: params?,
            }
        }
        RawPaginate::Cursor {
            next,
            next_header,
            param,
            place: kind,
            at,
            ..
        } => {
            let next = cursor_next(ctx, path, next.as_ref(), next_header.as_ref());
            let param = place_kind(ctx, path, kind.as_deref(), In::Query, has_body).and_then(|k| {
                let spot = Spot {
                    param_key: "param",
                    param: param.as_ref(),
                    param_default: None,
                    at_key: "at",
                    at: at.as_ref(),
                    at_default: None,
                };
                place(ctx, path, k, &spot)
            });
            Strategy::Cursor {
                next: next?,
                param: param?,
            }
        }
        RawPaginate::Offset {
            param,
            limit_param,
            limit,
            place: kind,
            at,
            limit_at,
            ..
        } => {
            let kind = place_kind(ctx, path, kind.as_deref(), In::Query, has_body);
            let limit = match limit {
                Some(n) => values::number(ctx, &format!("{path}.limit"), n, 1),
                None => Some(DEFAULT_LIMIT),
            };
            let kind = kind?;
            let offset = place(
                ctx,
                path,
                kind,
                &spot(("param", param, "offset"), ("at", at)),
            );
            let lp = place(
                ctx,
                path,
                kind,
                &spot(
                    ("limit_param", limit_param, "limit"),
                    ("limit_at", limit_at),
                ),
            );
            Strategy::Offset {
                param: offset?,
                limit_param: lp?,
                limit: limit?,
            }
        }
        RawPaginate::Page {
            param,
            start,
            size_param,
            size,
            place: kind,
            at,
            size_at,
            ..
        } => {
            let kind = place_kind(ctx, path, kind.as_deref(), In::Query, has_body);
            let size_n = size
                .as_ref()
                .map(|n| values::number(ctx, &format!("{path}.size"), n, 1));
            let start = match start {
                Some(n) => values::number(ctx, &format!("{path}.start"), n, 0),
                None => Some(1),
            };
            let kind = kind?;
            let page = place(ctx, path, kind, &spot(("param", param, "page"), ("at", at)));
            let wants_size = match kind {
                In::Body => size_at.is_some(),
                In::Query | In::Header => size_param.is_some(),
            };
            let size_place = if size_at.is_some() || size_param.is_some() {
                let spot = Spot {
                    param_key: "size_param",
                    param: size_param.as_ref(),
                    param_default: None,
                    at_key: "size_at",
                    at: size_at.as_ref(),
                    at_default: None,
                };
                Some(place(ctx, path, kind, &spot))
            } else {
                None
            };
            if wants_size && size.is_none() {
                ctx.missing(path, "size", "100");
                return None;
            }
            Strategy::Page {
                param: page?,
                start: start?,
                size_param: values::optional(size_place)?,
                size: values::optional(size_n)?,
            }
        }
        RawPaginate::LastRecord {
            field,
            more,
            param,
            place: kind,
            at,
            ..
        } => {
            let field = ctx
                .require(field.as_ref(), path, "field", "id")
                .and_then(|f| {
                    if f.trim().is_empty() {
                        ctx.error(
                            &format!("{path}.field"),
                            "empty `field`",
                            "name the record field sent to ask for the next page, e.g. `id`",
                        );
                        None
                    } else {
                        Some(f.trim().to_owned())
                    }
                });
            let more = ctx
                .require(more.as_ref(), path, "more", "\"$.has_more\"")
                .and_then(|m| super::signal(ctx, &format!("{path}.more"), m, "`$.has_more`"));
            let param = place_kind(ctx, path, kind.as_deref(), In::Query, has_body).and_then(|k| {
                let spot = Spot {
                    param_key: "param",
                    param: param.as_ref(),
                    param_default: None,
                    at_key: "at",
                    at: at.as_ref(),
                    at_default: None,
                };
                place(ctx, path, k, &spot)
            });
            Strategy::LastRecord {
                field: field?,
                param: param?,
                more: more?,
            }
        }
        RawPaginate::Relay {
            page_info,
            place: kind,
            at,
            param,
            ..
        } => {
            let page_info = ctx
                .require(
                    page_info.as_ref(),
                    path,
                    "page_info",
                    "\"$.data.products.pageInfo\"",
                )
                .and_then(|p| {
                    super::signal(
                        ctx,
                        &format!("{path}.page_info"),
                        p,
                        "`$.data.products.pageInfo`",
                    )
                });
            let param = place_kind(ctx, path, kind.as_deref(), In::Body, has_body).and_then(|k| {
                let spot = Spot {
                    param_key: "param",
                    param: param.as_ref(),
                    param_default: None,
                    at_key: "at",
                    at: at.as_ref(),
                    at_default: Some("/variables/after"),
                };
                place(ctx, path, k, &spot)
            });
            Strategy::Relay {
                page_info: page_info?,
                param: param?,
            }
        }
    })
}

/// A [`Spot`] whose name has a default and whose pointer is required.
fn spot<'r>(
    (param_key, param, default): (&'static str, &'r Option<String>, &'static str),
    (at_key, at): (&'static str, &'r Option<String>),
) -> Spot<'r> {
    Spot {
        param_key,
        param: param.as_ref(),
        param_default: Some(default),
        at_key,
        at: at.as_ref(),
        at_default: None,
    }
}

/// `next:` (a JSONPath into the body) or `next_header:`: exactly one.
fn cursor_next(
    ctx: &mut Ctx<'_>,
    path: &str,
    next: Option<&String>,
    header: Option<&String>,
) -> Option<Next> {
    match (next, header) {
        (Some(n), None) => values::json_path(ctx, &format!("{path}.next"), n).map(Next::Body),
        (None, Some(h)) => {
            let name = h.trim().to_owned();
            let before = ctx.error_count();
            names::header(ctx, &format!("{path}.next_header"), &name);
            (ctx.error_count() == before).then_some(Next::Header(name))
        }
        (None, None) => {
            ctx.missing(path, "next", "\"$.meta.next_cursor\"");
            None
        }
        (Some(_), Some(_)) => {
            ctx.error(
                &format!("{path}.next_header"),
                "both `next` and `next_header` say where the next token is",
                "keep one: `next:` for a JSONPath into the body, `next_header:` for a response header",
            );
            None
        }
    }
}

/// `params:` of `next_url` and `link_header`.
fn next_params(ctx: &mut Ctx<'_>, path: &str, raw: Option<&str>) -> Option<NextParams> {
    match raw.map(str::trim) {
        None | Some("drop") => Some(NextParams::Drop),
        Some("keep") => Some(NextParams::Keep),
        Some(other) => {
            ctx.error(
                &format!("{path}.params"),
                format!("unknown `params: {other}`"),
                "`params` is `drop` (the default: the next URL as the API gave it) or `keep` \
                 (add the stream's params the next URL lacks)",
            );
            None
        }
    }
}
