//! `Link` headers (RFC 8288): `parse_links` on any text, and the next-page
//! decision of the `link_header` strategy (the target joined to the page
//! URL, the loop guard) on whatever it returns.
#![no_main]

use holdfast_records::{Paginator, Position, ResponseView, parse_links};
use holdfast_spec::{Paginate, Strategy};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let header = String::from_utf8_lossy(data);
    let links = parse_links(&header);
    for link in links.iter().flatten() {
        // A target is a substring of the header, never invented.
        assert!(
            header.contains(link.target.as_str()),
            "{:?} not in {header:?}",
            link.target
        );
    }
    let next = links.as_ref().ok().and_then(|links| {
        links
            .iter()
            .find(|l| l.anchor.is_none() && l.has_rel("next"))
    });
    let spec = Paginate {
        strategy: Strategy::LinkHeader,
        stop_when: None,
        max_pages: Some(3),
        expect_more: None,
        expect_total: None,
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
                assert!(
                    links.is_ok(),
                    "an unreadable header ended the chain quietly"
                );
                break;
            }
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        }
    }
});
