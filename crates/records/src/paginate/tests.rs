use super::*;
use holdfast_spec::Path;
use serde_json::json;

fn pag(strategy: Strategy) -> Paginate {
    Paginate {
        strategy,
        stop_when: None,
        max_pages: None,
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
    }
}

#[test]
fn cursor_follows_tokens_and_ends_on_null() {
    let spec = pag(Strategy::Cursor {
        next: Path::parse("$.meta.next").expect("path"),
        param: "cursor".into(),
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
        next: Path::parse("$.next").expect("path"),
        param: "c".into(),
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
    let spec = pag(Strategy::LinkHeader);
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

#[test]
fn offset_stops_on_short_page() {
    let spec = pag(Strategy::Offset {
        param: "offset".into(),
        limit_param: "limit".into(),
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
        Ok(None)
    );
    assert_eq!(
        p.next(&Position::Offset { offset: 2 }, &view(&body, 0, &u), false),
        Ok(None)
    );
}

#[test]
fn page_numbers() {
    let spec = pag(Strategy::Page {
        param: "page".into(),
        start: 1,
        size_param: Some("per_page".into()),
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
    assert_eq!(
        p.next(&Position::Page { page: 2 }, &view(&body, 1, &u), false),
        Ok(None)
    );
}

#[test]
fn stop_and_max_pages() {
    let mut spec = pag(Strategy::Page {
        param: "page".into(),
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
        param: "page".into(),
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
        param: "offset".into(),
        limit_param: "limit".into(),
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
