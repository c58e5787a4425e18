//! Unit tests of `paginate:` checks.

use super::*;
use crate::env::Env;
use crate::model::{Next, NextParams, Place};
use crate::span::SpanIndex;

fn check_with(yaml: &str, has_body: bool) -> (Option<Paginate>, Vec<String>) {
    let raw: RawPaginate = yaml_serde::from_str(yaml).expect("parses");
    let index = SpanIndex::default();
    let env = Env::default();
    let mut ctx = Ctx::new(&index, &env);
    let p = paginate(&mut ctx, "p", Some(&raw), has_body);
    let errors = ctx
        .finish()
        .into_iter()
        .map(|d| format!("{}: {}", d.key_path, d.message))
        .collect();
    (p, errors)
}

fn check(yaml: &str) -> (Option<Paginate>, Vec<String>) {
    check_with(yaml, false)
}

fn strategy(yaml: &str, has_body: bool) -> Strategy {
    let (p, errors) = check_with(yaml, has_body);
    assert!(errors.is_empty(), "{errors:?}");
    p.expect("valid").strategy
}

fn body_at(source: &str) -> Place {
    Place::Body(crate::model::Pointer::parse(source).expect("pointer"))
}

#[test]
fn offset_defaults() {
    let (p, errors) = check("{ type: offset, max_pages: 5 }");
    assert!(errors.is_empty(), "{errors:?}");
    let p = p.expect("valid");
    assert_eq!(p.max_pages, Some(5));
    assert!(
        matches!(p.strategy, Strategy::Offset { param: Place::Query(ref param), limit_param: Place::Query(ref limit_param), limit: 100 } if param == "offset" && limit_param == "limit")
    );
}

#[test]
fn stop_when_is_a_path_or_a_condition() {
    let raw = |s: &str| format!("{{ type: link_header, stop_when: \"{s}\" }}");
    assert!(matches!(
        check(&raw("$.done")).0.and_then(|p| p.stop_when),
        Some(StopWhen::Path(_))
    ));
    assert!(matches!(
        check(&raw("records == 0")).0.and_then(|p| p.stop_when),
        Some(StopWhen::Condition(_))
    ));
    let (p, errors) = check(&raw("{{ records == 0 }}"));
    assert!(p.is_none());
    assert!(
        errors[0].contains("without braces") || errors[0].contains("condition"),
        "{errors:?}"
    );
    let (_, errors) = check(&raw("cursor == 0"));
    assert_eq!(
        errors,
        ["p.stop_when: unknown variable `cursor` in template `cursor == 0`"]
    );
}

#[test]
fn cursor_needs_next_and_param() {
    let (p, errors) = check("{ type: cursor, max_pages: 0 }");
    assert!(p.is_none());
    assert_eq!(
        errors,
        [
            "p.max_pages: expected a number of at least 1, found 0",
            "p.next: missing key `next`",
            "p.param: missing key `param`"
        ]
    );
}

#[test]
fn end_signals_are_json_paths() {
    let (p, errors) = check(
        "{ type: link_header, expect_more: \"$.has_more\", expect_total: \" $.meta.total \" }",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let p = p.expect("valid");
    assert_eq!(
        p.expect_more.map(|p| p.source).as_deref(),
        Some("$.has_more")
    );
    assert_eq!(
        p.expect_total.map(|p| p.source).as_deref(),
        Some("$.meta.total")
    );
    let (p, errors) =
        check("{ type: link_header, expect_more: has_more, expect_total: \"$.meta[\" }");
    assert!(p.is_none());
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(
        errors[0],
        "p.expect_more: expected a JSONPath into the response body, found `has_more`"
    );
    assert!(
        errors[1].starts_with("p.expect_total: invalid JSONPath `$.meta[`"),
        "{errors:?}"
    );
}

#[test]
fn page_size_param_needs_size() {
    assert_eq!(
        check("{ type: page, size_param: per_page }").1,
        ["p.size: missing key `size`"]
    );
}

#[test]
fn values_go_in_the_query_a_header_or_the_body() {
    let s = strategy(
        "{ type: cursor, next: $.next, param: page_token, in: header }",
        false,
    );
    assert!(matches!(s, Strategy::Cursor { param: Place::Header(ref h), .. } if h == "page_token"));
    let s = strategy(
        "{ type: cursor, next: $.next, in: body, at: /variables/after }",
        true,
    );
    assert!(
        matches!(s, Strategy::Cursor { ref param, .. } if *param == body_at("/variables/after"))
    );
    let s = strategy(
        "{ type: offset, in: body, at: /startAt, limit_at: /maxResults, limit: 50 }",
        true,
    );
    assert!(
        matches!(s, Strategy::Offset { ref param, ref limit_param, limit: 50 } if *param == body_at("/startAt") && *limit_param == body_at("/maxResults"))
    );
    let s = strategy(
        "{ type: page, in: body, at: /page/number, size_at: /page/size, size: 20 }",
        true,
    );
    assert!(
        matches!(s, Strategy::Page { ref param, size_param: Some(ref sp), size: Some(20), start: 1 } if *param == body_at("/page/number") && *sp == body_at("/page/size"))
    );
}

#[test]
fn body_places_are_checked() {
    let (_, errors) = check("{ type: cursor, next: $.next, in: body, at: /after }");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "p.in: the page value goes in the request body, but the request has no body"
        ),
        "{errors:?}"
    );
    let (_, errors) = check_with("{ type: cursor, next: $.next, in: body }", true);
    assert_eq!(errors, ["p.at: missing key `at`"]);
    let (_, errors) = check_with(
        "{ type: cursor, next: $.next, in: body, param: after, at: /after }",
        true,
    );
    assert!(
        errors[0]
            .starts_with("p.param: `param` names a query parameter or header; with `in: body`"),
        "{errors:?}"
    );
    let (_, errors) = check_with(
        "{ type: cursor, next: $.next, param: after, at: /after }",
        true,
    );
    assert!(
        errors[0].starts_with("p.at: `at` is a JSON Pointer into the body"),
        "{errors:?}"
    );
    let (_, errors) = check_with("{ type: cursor, next: $.next, in: body, at: after }", true);
    assert!(
        errors[0].starts_with("p.at: invalid JSON Pointer `after` does not start with `/`"),
        "{errors:?}"
    );
    let (_, errors) = check_with("{ type: offset, in: body, at: /startAt }", true);
    assert_eq!(errors, ["p.limit_at: missing key `limit_at`"]);
    let (_, errors) = check_with("{ type: offset, in: form }", true);
    assert!(
        errors[0].starts_with("p.in: unknown `in: form`"),
        "{errors:?}"
    );
    let (_, errors) = check("{ type: cursor, next: $.next, in: header, param: \"bad header\" }");
    assert_eq!(errors, ["p.param: invalid header name `bad header`"]);
}

#[test]
fn cursor_reads_a_body_path_or_a_header() {
    let s = strategy(
        "{ type: cursor, next_header: X-Next-Token, param: page_token }",
        false,
    );
    assert!(matches!(s, Strategy::Cursor { next: Next::Header(ref h), .. } if h == "X-Next-Token"));
    let (_, errors) = check("{ type: cursor, next: $.n, next_header: X-Next, param: p }");
    assert!(
        errors[0].starts_with("p.next_header: both `next` and `next_header`"),
        "{errors:?}"
    );
}

#[test]
fn last_record_relay_and_next_params() {
    let s = strategy(
        "{ type: last_record, field: id, param: starting_after, more: $.has_more }",
        false,
    );
    assert!(
        matches!(s, Strategy::LastRecord { ref field, param: Place::Query(ref p), ref more } if field == "id" && p == "starting_after" && more.source == "$.has_more")
    );
    let (_, errors) = check("{ type: last_record, param: starting_after }");
    assert_eq!(
        errors,
        ["p.field: missing key `field`", "p.more: missing key `more`"]
    );
    let (_, errors) = check("{ type: last_record, field: id, param: s, more: has_more }");
    assert_eq!(
        errors,
        ["p.more: expected a JSONPath into the response body, found `has_more`"]
    );
    let s = strategy("{ type: relay, page_info: $.data.items.pageInfo }", true);
    assert!(
        matches!(s, Strategy::Relay { ref param, .. } if *param == body_at("/variables/after"))
    );
    let (_, errors) = check("{ type: relay, page_info: $.data.items.pageInfo }");
    assert!(
        errors[0].starts_with("p: the page value goes in the request body"),
        "{errors:?}"
    );
    let s = strategy("{ type: link_header, params: keep }", false);
    assert!(matches!(
        s,
        Strategy::LinkHeader {
            params: NextParams::Keep
        }
    ));
    let s = strategy("{ type: next_url, next: $.next }", false);
    assert!(matches!(
        s,
        Strategy::NextUrl {
            params: NextParams::Drop,
            ..
        }
    ));
    let (_, errors) = check("{ type: link_header, params: kept }");
    assert!(
        errors[0].starts_with("p.params: unknown `params: kept`"),
        "{errors:?}"
    );
}
