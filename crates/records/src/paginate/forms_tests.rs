//! The pagination forms of real APIs: values in headers and bodies, a token
//! in a response header, `last_record`, `relay`, and an offset `total`.

use holdfast_spec::{NextParams, Path, Pointer};
use serde_json::json;

use super::*;

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
    Url::parse("http://127.0.0.1:9/x").expect("url")
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

fn at(source: &str) -> Place {
    Place::Body(Pointer::parse(source).expect("pointer"))
}

fn path(source: &str) -> Path {
    Path::parse(source).expect("path")
}

#[test]
fn values_carry_their_place_and_type() {
    let spec = pag(Strategy::Offset {
        param: at("/startAt"),
        limit_param: at("/maxResults"),
        limit: 50,
    });
    let p = Paginator::new(&spec);
    let values = p.values(&Position::Offset { offset: 100 });
    assert_eq!(
        values,
        [
            (&at("/startAt"), json!(100)),
            (&at("/maxResults"), json!(50))
        ]
    );
    assert!(
        p.params(&Position::Start).is_empty(),
        "nothing in the query"
    );
    let spec = pag(Strategy::Cursor {
        next: Next::Header("X-Next".into()),
        param: Place::Header("X-Page-Token".into()),
    });
    let p = Paginator::new(&spec);
    assert_eq!(
        p.values(&Position::Cursor { token: "t1".into() }),
        [(&Place::Header("X-Page-Token".into()), json!("t1"))]
    );
    assert!(p.values(&Position::Start).is_empty());
}

#[test]
fn a_token_from_a_response_header() {
    let spec = pag(Strategy::Cursor {
        next: Next::Header("X-Next".into()),
        param: Place::Query("page_token".into()),
    });
    let mut p = Paginator::new(&spec);
    let (u, body) = (url(), json!({}));
    let v = ResponseView {
        next_header: Some(" t1 "),
        ..view(&body, 2, &u)
    };
    assert_eq!(
        p.next(&Position::Start, &v, false),
        Ok(Some(Position::Cursor { token: "t1".into() }))
    );
    let v = ResponseView {
        next_header: Some(""),
        ..view(&body, 2, &u)
    };
    let current = Position::Cursor { token: "t1".into() };
    assert_eq!(p.next(&current, &v, false), Ok(None));
}

#[test]
fn last_record_goes_on_while_more() {
    let spec = pag(Strategy::LastRecord {
        field: "id".into(),
        param: Place::Query("starting_after".into()),
        more: path("$.has_more"),
    });
    let u = url();
    let last = json!({"id": "cus_2"});
    let next = |body: Value, records: usize, last: Option<&Value>| {
        let mut p = Paginator::new(&spec);
        let v = ResponseView {
            last_record: last,
            ..view(&body, records, &u)
        };
        p.next(&Position::Start, &v, false)
    };
    assert_eq!(
        next(json!({"has_more": true}), 2, Some(&last)),
        Ok(Some(Position::Cursor {
            token: "cus_2".into()
        }))
    );
    assert_eq!(next(json!({"has_more": false}), 2, Some(&last)), Ok(None));
    let unclear = |r: Result<Option<Position>, RecordsError>| match r {
        Err(RecordsError::NextUnclear { problem, .. }) => problem,
        other => panic!("expected NextUnclear, got {other:?}"),
    };
    assert!(unclear(next(json!({}), 2, Some(&last))).contains("is missing from the body"));
    assert!(
        unclear(next(json!({"has_more": "yes"}), 2, Some(&last)))
            .contains("should be true or false")
    );
    assert!(unclear(next(json!({"has_more": true}), 0, None)).contains("without records"));
    let no_id = json!({"name": "x"});
    assert!(unclear(next(json!({"has_more": true}), 1, Some(&no_id))).contains("has no `id`"));
    let numeric = json!({"id": 42});
    assert_eq!(
        next(json!({"has_more": true}), 1, Some(&numeric)),
        Ok(Some(Position::Cursor { token: "42".into() }))
    );
}

#[test]
fn relay_reads_page_info() {
    let spec = pag(Strategy::Relay {
        page_info: path("$.data.items.pageInfo"),
        param: at("/variables/after"),
    });
    let u = url();
    let next = |info: Value| {
        let mut p = Paginator::new(&spec);
        let body = json!({"data": {"items": {"pageInfo": info}}});
        p.next(&Position::Start, &view(&body, 2, &u), false)
    };
    assert_eq!(
        next(json!({"hasNextPage": true, "endCursor": "c2"})),
        Ok(Some(Position::Cursor { token: "c2".into() }))
    );
    assert_eq!(
        next(json!({"hasNextPage": false, "endCursor": null})),
        Ok(None)
    );
    for (info, says) in [
        (
            json!({"hasNextPage": true, "endCursor": null}),
            "no `endCursor`",
        ),
        (json!({"endCursor": "c"}), "no `hasNextPage`"),
        (json!("x"), "should be an object"),
        (json!({"hasNextPage": 1}), "should be true or false"),
    ] {
        match next(info) {
            Err(RecordsError::NextUnclear { problem, .. }) => {
                assert!(problem.contains(says), "{problem}")
            }
            other => panic!("expected NextUnclear, got {other:?}"),
        }
    }
}

#[test]
fn an_offset_total_ends_the_chain_also_when_resumed() {
    let spec = Paginate {
        expect_total: Some(path("$.total")),
        ..pag(Strategy::Offset {
            param: Place::Query("startAt".into()),
            limit_param: Place::Query("maxResults".into()),
            limit: 10,
        })
    };
    let u = url();
    let body = json!({"total": 25});
    // A resumed chain at startAt=20 reading the last 5: done, no empty page asked.
    let mut p = Paginator::new(&spec);
    assert_eq!(
        p.next(&Position::Offset { offset: 20 }, &view(&body, 5, &u), false),
        Ok(None)
    );
    assert_eq!(p.total(), Some(25));
    // Ending short of the total (an empty page at 10) is an error.
    let mut p = Paginator::new(&spec);
    let err = p
        .next(&Position::Offset { offset: 10 }, &view(&body, 0, &u), false)
        .unwrap_err();
    assert!(err.to_string().contains("it ended at offset 10"), "{err}");
    let _ = NextParams::Drop;
}
