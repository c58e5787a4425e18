//! `Link` headers (RFC 8288): `link_next` on any text, and the next-page
//! decision of the `link_header` strategy (the target joined to the page
//! URL, the loop guard) on whatever it returns.
#![no_main]

use holdfast_records::{Paginator, Position, ResponseView, link_next};
use holdfast_spec::{Paginate, Strategy};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let header = String::from_utf8_lossy(data);
    let next = link_next(&header);
    if let Some(target) = &next {
        // The target is a substring of the header, never invented.
        assert!(
            header.contains(target.as_str()),
            "{target:?} not in {header:?}"
        );
    }
    let spec = Paginate {
        strategy: Strategy::LinkHeader,
        stop_when: None,
        max_pages: Some(3),
    };
    let mut pages = Paginator::new(&spec);
    let base = Url::parse("https://api.example.com/v2/items?page=1").expect("base URL");
    let body = Value::Null;
    let mut at = Position::Start;
    for _ in 0..4 {
        let view = ResponseView {
            body: &body,
            link: Some(&header),
            records: 1,
            url: &base,
        };
        match pages.next(&at, &view, false) {
            Ok(Some(position)) => {
                let _ = pages.params(&position);
                at = position;
            }
            Ok(None) => {
                assert!(next.is_none(), "a next link was found but not followed");
                break;
            }
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        }
    }
});
