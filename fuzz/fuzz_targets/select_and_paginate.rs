//! JSONPath selection and the next-page decision over arbitrary bodies.
//!
//! Input, as text: the first line is a JSONPath (the stream's `records:` and
//! the strategies' `next:`; an invalid one falls back to `$.data[*]`), the
//! second a `Link` header value (empty for none), the rest the JSON body
//! (not JSON is skipped: the engine refuses it before selection).
//!
//! Checks that selection never panics, that the fast path for `$.a.b[*]`
//! selects exactly what the general JSONPath query does, that counting
//! agrees with selecting, and that every strategy decides a next page (or
//! an error) without panicking.
#![no_main]

use holdfast_records::{
    Paginator, Position, ResponseView, count_records, path_is_true, select_records,
};
use holdfast_spec::{Paginate, Path, Strategy};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let path_text = lines.next().unwrap_or_default();
    let link = lines.next().unwrap_or_default();
    let Some(body_text) = lines.next() else {
        return;
    };
    let Ok(body) = serde_json::from_str::<Value>(body_text) else {
        return;
    };
    let path = Path::parse(path_text)
        .or_else(|_| Path::parse("$.data[*]"))
        .expect("fallback path");

    let general: Vec<Value> = path.path.query(&body).all().into_iter().cloned().collect();
    let selected = select_records(body.clone(), &path);
    assert_eq!(
        selected, general,
        "fast and general selection differ for {:?}",
        path.source
    );
    // An answer without the list is an error, never a count that disagrees.
    match count_records(&body, &path) {
        Ok(n) => assert_eq!(n, selected.len()),
        Err(_) => assert!(selected.is_empty(), "no list, yet records were selected"),
    }
    let _ = path_is_true(&body, &path);

    let base = Url::parse("https://api.example.com/v2/items?limit=2").expect("base URL");
    let strategies = [
        Strategy::None,
        Strategy::Cursor {
            next: path.clone(),
            param: "cursor".to_owned(),
        },
        Strategy::NextUrl { next: path.clone() },
        Strategy::LinkHeader,
        Strategy::Offset {
            param: "offset".to_owned(),
            limit_param: "limit".to_owned(),
            limit: 2,
        },
        Strategy::Page {
            param: "page".to_owned(),
            start: 1,
            size_param: Some("per_page".to_owned()),
            size: Some(2),
        },
        Strategy::Page {
            param: "page".to_owned(),
            start: 0,
            size_param: None,
            size: None,
        },
        // `check` accepts any u64 start: the next page must not overflow.
        Strategy::Page {
            param: "page".to_owned(),
            start: u64::MAX,
            size_param: None,
            size: None,
        },
    ];
    for strategy in strategies {
        let spec = Paginate {
            strategy,
            stop_when: None,
            max_pages: Some(3),
            expect_more: None,
            expect_total: None,
        };
        let mut pages = Paginator::new(&spec);
        let mut at = Position::Start;
        for _ in 0..4 {
            let _ = pages.params(&at);
            let view = ResponseView {
                body: &body,
                link: (!link.is_empty()).then_some(link),
                records: selected.len(),
                url: &base,
            };
            match pages.next(&at, &view, false) {
                Ok(Some(next)) => at = next,
                Ok(None) => break,
                Err(e) => {
                    let _ = e.to_string();
                    break;
                }
            }
        }
    }
});
