use super::*;
use holdfast_spec::{NextParams, Path};
use serde_json::json;

/// A query parameter named `name`.
fn q(name: &str) -> Place {
    Place::Query(name.into())
}

fn pag(strategy: Strategy) -> Paginate {
    Paginate {
        strategy,
        stop_when: None,
        max_pages: None,
        expect_more: None,
        expect_total: None,
    }
}

fn url() -> Url {
    Url::parse("http://127.0.0.1:9/v2/contacts?limit=2").expect("url")
}

fn view<'a>(body: &'a Value, records: usize, url: &'a Url) -> ResponseView<'a> {
    ResponseView {
        body,
        link: None,
        records,
        url,
        next_header: None,
        last_record: None,
    }
}

#[test]
fn cursor_follows_tokens_and_ends_on_null() {
    let spec = pag(Strategy::Cursor {
        next: Next::Body(Path::parse("$.meta.next").expect("path")),
        param: q("cursor"),
    });
    let mut p = Paginator::new(&spec);
    let u = url();
    let body = json!({"meta": {"next": "abc"}});
    let next = p
        .next(&Position::Start, &view(&body, 2, &u), false)
        .expect("ok");
    assert_eq!(
        next,
        Some(Position::Cursor {
            token: "abc".into()
        })
    );
    assert_eq!(
        p.params(next.as_ref().expect("some")),
        vec![("cursor".into(), "abc".into())]
    );
    // An empty page with a next token is not the end.
    let body = json!({"meta": {"next": "def"}});
    assert!(
        p.next(&Position::Start, &view(&body, 0, &u), false)
            .expect("ok")
            .is_some()
    );
    for end in [
        json!({"meta": {"next": null}}),
        json!({"meta": {}}),
        json!({"meta": {"next": ""}}),
    ] {
        assert_eq!(
            p.next(&Position::Start, &view(&end, 2, &u), false),
            Ok(None)
        );
    }
}

#[test]
fn a_token_seen_twice_is_a_loop() {
    let spec = pag(Strategy::Cursor {
        next: Next::Body(Path::parse("$.next").expect("path")),
        param: q("c"),
    });
    let mut p = Paginator::new(&spec);
    let u = url();
    let body = json!({"next": 7});
    assert!(p.next(&Position::Start, &view(&body, 1, &u), false).is_ok());
    let err = p
        .next(&Position::Start, &view(&body, 1, &u), false)
        .unwrap_err();
    assert!(err.to_string().contains("cursor `7` twice"), "{err}");
}

#[test]
fn next_url_resolves_relative_links() {
    let spec = pag(Strategy::NextUrl {
        next: Path::parse("$.links.next").expect("path"),
        params: NextParams::Drop,
    });
    let mut p = Paginator::new(&spec);
    let u = url();
    let body = json!({"links": {"next": "/v2/contacts?page_token=x"}});
    assert_eq!(
        p.next(&Position::Start, &view(&body, 2, &u), false),
        Ok(Some(Position::Url {
            url: "http://127.0.0.1:9/v2/contacts?page_token=x".into()
        }))
    );
}

#[test]
fn link_header() {
    let spec = pag(Strategy::LinkHeader {
        params: NextParams::Drop,
    });
    let mut p = Paginator::new(&spec);
    let u = url();
    let body = json!({});
    let link = r#"<http://h/x?p=1>; rel="first", <http://h/x?p=2>; rel="next""#;
    let v = ResponseView {
        link: Some(link),
        ..view(&body, 2, &u)
    };
    assert_eq!(
        p.next(&Position::Start, &v, false),
        Ok(Some(Position::Url {
            url: "http://h/x?p=2".into()
        }))
    );
    assert_eq!(
        p.next(&Position::Start, &view(&body, 2, &u), false),
        Ok(None)
    );
}

/// A short page may be a capped one: only an empty page ends the chain.
#[test]
fn offset_ends_on_an_empty_page() {
    let spec = pag(Strategy::Offset {
        param: q("offset"),
        limit_param: q("limit"),
        limit: 2,
    });
    let mut p = Paginator::new(&spec);
    let u = url();
    let body = json!({});
    assert_eq!(
        p.params(&Position::Start),
        vec![("offset".into(), "0".into()), ("limit".into(), "2".into())]
    );
    let next = p
        .next(&Position::Start, &view(&body, 2, &u), false)
        .expect("ok");
    assert_eq!(next, Some(Position::Offset { offset: 2 }));
    assert_eq!(
        p.next(&Position::Offset { offset: 2 }, &view(&body, 1, &u), false),
        Ok(Some(Position::Offset { offset: 3 }))
    );
    assert_eq!(
        p.next(&Position::Offset { offset: 3 }, &view(&body, 0, &u), false),
        Ok(None)
    );
}

#[test]
fn page_numbers() {
    let spec = pag(Strategy::Page {
        param: q("page"),
        start: 1,
        size_param: Some(q("per_page")),
        size: Some(2),
    });
    let mut p = Paginator::new(&spec);
    let u = url();
    let body = json!({});
    assert_eq!(
        p.params(&Position::Start),
        vec![("page".into(), "1".into()), ("per_page".into(), "2".into())]
    );
    assert_eq!(
        p.next(&Position::Start, &view(&body, 2, &u), false),
        Ok(Some(Position::Page { page: 2 }))
    );
    // short, yet maybe capped: the empty page after it ends the chain
    assert_eq!(
        p.next(&Position::Page { page: 2 }, &view(&body, 1, &u), false),
        Ok(Some(Position::Page { page: 3 }))
    );
    assert_eq!(
        p.next(&Position::Page { page: 3 }, &view(&body, 0, &u), false),
        Ok(None)
    );
}

#[test]
fn stop_and_max_pages() {
    let mut spec = pag(Strategy::Page {
        param: q("page"),
        start: 0,
        size_param: None,
        size: None,
    });
    spec.max_pages = Some(2);
    let mut p = Paginator::new(&spec);
    let u = url();
    let body = json!({});
    assert_eq!(
        p.next(&Position::Start, &view(&body, 5, &u), true),
        Ok(None)
    );
    let mut p = Paginator::new(&spec);
    assert!(p.next(&Position::Start, &view(&body, 5, &u), false).is_ok());
    assert_eq!(
        p.next(&Position::Page { page: 1 }, &view(&body, 5, &u), false),
        Err(RecordsError::TooManyPages { max: 2 })
    );
}

/// A page number or offset at the end of `u64` (`paginate: { type: page,
/// start: 18446744073709551615 }` passes `check`) overflowed after the first
/// full page: a panic in debug builds, and in release the chain wrapped to
/// page 0. Found while fuzzing pagination (`fuzz/run select_and_paginate`
/// now includes this start); now a clear error.
#[test]
fn issue_13_fuzz_page_and_offset_never_overflow() {
    let u = url();
    let body = json!({});
    let spec = pag(Strategy::Page {
        param: q("page"),
        start: u64::MAX,
        size_param: None,
        size: None,
    });
    let mut p = Paginator::new(&spec);
    let err = p
        .next(&Position::Start, &view(&body, 1, &u), false)
        .expect_err("no page after u64::MAX");
    assert_eq!(
        err,
        RecordsError::Overflow {
            what: "page number",
            at: u64::MAX
        }
    );
    assert!(err.to_string().contains("paginate.start"), "{err}");
    // An empty page still ends the chain without an error.
    assert_eq!(
        p.next(&Position::Start, &view(&body, 0, &u), false),
        Ok(None)
    );

    let spec = pag(Strategy::Offset {
        param: q("offset"),
        limit_param: q("limit"),
        limit: 2,
    });
    let mut p = Paginator::new(&spec);
    let at = Position::Offset {
        offset: u64::MAX - 1,
    };
    let err = p
        .next(&at, &view(&body, 2, &u), false)
        .expect_err("no offset past u64::MAX");
    assert!(err.to_string().contains("offset after"), "{err}");
    let mut p = Paginator::new(&spec);
    assert_eq!(
        p.next(
            &Position::Offset {
                offset: u64::MAX - 2
            },
            &view(&body, 2, &u),
            false
        ),
        Ok(Some(Position::Offset { offset: u64::MAX }))
    );
}

/// The next position of a `link_header` chain's first page at `page_url` with `link`.
fn link_next_of(link: &str, page_url: &str) -> Result<Option<Position>, RecordsError> {
    let spec = pag(Strategy::LinkHeader {
        params: NextParams::Drop,
    });
    let mut p = Paginator::new(&spec);
    let u = Url::parse(page_url).expect("url");
    let body = json!({});
    let v = ResponseView {
        link: Some(link),
        ..view(&body, 2, &u)
    };
    p.next(&Position::Start, &v, false)
}

fn at(url: &str) -> Result<Option<Position>, RecordsError> {
    Ok(Some(Position::Url { url: url.into() }))
}

#[test]
fn link_header_forms() {
    let page = "http://h/v2/x?page=1";
    // GitHub: next then last; json-server: first, next, last; any order.
    for link in [
        r#"<http://h/v2/x?page=2>; rel="next", <http://h/v2/x?page=34>; rel="last""#,
        r#"<http://h/v2/x?page=1>; rel="first", <http://h/v2/x?page=2>; rel="next", <http://h/v2/x?page=9>; rel="last""#,
        r#"<http://h/v2/x?page=9>; rel="last", <http://h/v2/x?page=2>; rel=next"#,
        r#"<http://h/v2/x?page=2>; rel="NEXT last""#,
        // two `Link` headers joined
        r#"<http://h/v2/x?page=9>; rel="last", <http://h/v2/x?page=2>; rel="next""#,
        // a relative target, resolved against the page URL
        r#"</v2/x?page=2>; rel="next""#,
        "<?page=2>; rel=next",
        // delimiters inside a quoted parameter
        r#"<http://h/v2/x?page=1>; title="a; rel=next, <z>"; rel=prev, <x?page=2> ;rel = "next""#,
    ] {
        assert_eq!(
            link_next_of(link, page),
            at("http://h/v2/x?page=2"),
            "{link}"
        );
    }
}

#[test]
fn a_malformed_link_header_is_an_error_not_the_end() {
    let err = link_next_of(r#"<http://h/x?page=2; rel="next""#, "http://h/x").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(r#"the `Link` header `<http://h/x?page=2; rel="next"` cannot be read"#)
            && text.contains("expected `>` to close the link target at character 2"),
        "{text}"
    );
}

#[test]
fn a_last_link_not_reached_is_an_error() {
    // No next, but `last` is another page: the API stopped early.
    let err = link_next_of(
        r#"<http://h/x?page=1>; rel="first", <http://h/x?page=5>; rel="last""#,
        "http://h/x?page=3",
    )
    .unwrap_err();
    assert_eq!(
        err,
        RecordsError::LastNotReached {
            page: 1,
            last: "http://h/x?page=5".into()
        }
    );
    assert!(err.to_string().contains("was not reached"), "{err}");
    // On the last page itself (parameters in any order), the chain ends.
    assert_eq!(
        link_next_of(
            r#"<http://h/x?a=1&page=1>; rel="first", <http://h/x?page=5&a=1>; rel="last""#,
            "http://h/x?a=1&page=5",
        ),
        Ok(None)
    );
}

#[test]
fn a_resumed_cursor_handed_back_is_a_loop() {
    let spec = pag(Strategy::Cursor {
        next: Next::Body(Path::parse("$.next").expect("path")),
        param: q("c"),
    });
    let mut p = Paginator::new(&spec);
    let u = url();
    let body = json!({"next": "t1"});
    let err = p
        .next(
            &Position::Cursor { token: "t1".into() },
            &view(&body, 1, &u),
            false,
        )
        .unwrap_err();
    assert!(matches!(err, RecordsError::Loop { .. }), "{err}");
}

fn signalled(more: Option<&str>, total: Option<&str>) -> Paginate {
    Paginate {
        expect_more: more.map(|p| Path::parse(p).expect("path")),
        expect_total: total.map(|p| Path::parse(p).expect("path")),
        ..pag(Strategy::Cursor {
            next: Next::Body(Path::parse("$.next").expect("path")),
            param: q("c"),
        })
    }
}

#[test]
fn expect_more_true_at_the_end_is_an_error() {
    let spec = signalled(Some("$.has_more"), None);
    let mut p = Paginator::new(&spec);
    let u = url();
    let first = json!({"next": "a", "has_more": true});
    assert!(
        p.next(&Position::Start, &view(&first, 2, &u), false)
            .is_ok()
    );
    let lying = json!({"next": null, "has_more": true});
    let err = p
        .next(
            &Position::Cursor { token: "a".into() },
            &view(&lying, 2, &u),
            false,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "page 2 of this chain has no next page, but `paginate.expect_more` ($.has_more) is true \
         on it: the API stopped early and records are missing, so the run fails; if the signal \
         itself is wrong, fix or remove it in `paginate`"
    );
    // false (or "false") at the end is the end; `stop_when` is taken at its word.
    for end in [json!({"has_more": false}), json!({"has_more": "false"})] {
        let mut p = Paginator::new(&spec);
        assert_eq!(
            p.next(&Position::Start, &view(&end, 1, &u), false),
            Ok(None)
        );
    }
    let mut p = Paginator::new(&spec);
    assert_eq!(
        p.next(&Position::Start, &view(&lying, 1, &u), true),
        Ok(None)
    );
}

#[test]
fn expect_signals_that_never_match_or_are_not_values() {
    let u = url();
    let spec = signalled(Some("$.meta.has_more"), None);
    let err = Paginator::new(&spec)
        .next(
            &Position::Start,
            &view(&json!({"has_more": false}), 1, &u),
            false,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            RecordsError::SignalMissing {
                key: "expect_more",
                pages: 1,
                ..
            }
        ),
        "{err}"
    );
    let spec = signalled(None, Some("$.total"));
    let err = Paginator::new(&spec)
        .next(
            &Position::Start,
            &view(&json!({"total": [1]}), 1, &u),
            false,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`paginate.expect_total` ($.total) should give a whole number, found [1]"
    );
}

#[test]
fn expect_total_counts_the_chain() {
    let spec = signalled(None, Some("$.total"));
    let u = url();
    // 2 + 1 records of a claimed 5.
    let mut p = Paginator::new(&spec);
    let first = json!({"next": "a", "total": 5});
    assert!(
        p.next(&Position::Start, &view(&first, 2, &u), false)
            .is_ok()
    );
    let last = json!({"next": null, "total": "5"});
    let err = p
        .next(
            &Position::Cursor { token: "a".into() },
            &view(&last, 1, &u),
            false,
        )
        .unwrap_err();
    assert!(
        err.to_string().contains(
            "page 2 of this chain has no next page, but `paginate.expect_total` ($.total) says 5 \
             records and the chain read 3"
        ),
        "{err}"
    );
    // Exactly the total: done, no warning. More than it: done, with a warning.
    let mut p = Paginator::new(&spec);
    let all = json!({"total": 3});
    assert_eq!(
        p.next(&Position::Start, &view(&all, 3, &u), false),
        Ok(None)
    );
    assert_eq!(p.take_warning(), None);
    let mut p = Paginator::new(&spec);
    assert_eq!(
        p.next(&Position::Start, &view(&all, 4, &u), false),
        Ok(None)
    );
    assert!(
        p.take_warning()
            .is_some_and(|w| w.contains("read 4 records, more than the 3")),
        "a warning"
    );
    // A resumed chain did not read the records before it: no count check.
    let mut p = Paginator::new(&spec);
    assert_eq!(
        p.next(
            &Position::Cursor { token: "z".into() },
            &view(&all, 1, &u),
            false
        ),
        Ok(None)
    );
}

#[test]
fn a_page_parameter_the_api_ignores_is_an_error_not_a_loop() {
    let spec = pag(Strategy::Page {
        param: q("pg"),
        start: 1,
        size_param: None,
        size: None,
    });
    let mut p = Paginator::new(&spec);
    let u = url();
    let page = json!({"data": [1, 2], "page": 1});
    assert!(p.next(&Position::Start, &view(&page, 2, &u), false).is_ok());
    let err = p
        .next(&Position::Page { page: 2 }, &view(&page, 2, &u), false)
        .unwrap_err();
    assert_eq!(
        err,
        RecordsError::RepeatedPage {
            page: 2,
            param: "pg".into()
        }
    );
    // Different pages go on.
    let mut p = Paginator::new(&spec);
    assert!(p.next(&Position::Start, &view(&page, 2, &u), false).is_ok());
    let other = json!({"data": [3, 4], "page": 2});
    assert!(
        p.next(&Position::Page { page: 2 }, &view(&other, 2, &u), false)
            .expect("ok")
            .is_some()
    );
}
