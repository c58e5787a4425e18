//! Pagination read off consecutive captured pages: page numbers, offsets,
//! next URLs, Link headers, and what one page says (a guess, or a warning).

#[path = "support/capture.rs"]
mod capture;

use capture::{BASE, har, options, pages};
use holdfast_import::{Paginate, import_har};
use serde_json::{Value, json};

#[test]
fn page_numbers_offsets_next_urls_and_link_headers_are_read_off_consecutive_pages() {
    let items = |n: usize| json!([{"id": n * 2}, {"id": n * 2 + 1}]);
    // A page number that the body also mentions (`total_pages`) is a page, not a cursor.
    let paged = pages(
        &[
            "/api/items?page=1&per_page=2",
            "/api/items?page=2&per_page=2",
        ],
        |n| json!({"items": items(n), "page": n + 1, "total_pages": 2}),
    );
    let import = import_har(&har(&paged), &options()).expect("page");
    assert_eq!(
        import.draft.streams[0].paginate,
        Paginate::Page {
            param: "page".into(),
            start: 1,
            size: Some(("per_page".into(), 2))
        }
    );
    assert!(
        import.draft.streams[0].params.is_empty(),
        "{:?}",
        import.draft.streams[0].params
    );
    let offset = pages(
        &["/api/items?offset=0&limit=2", "/api/items?offset=2&limit=2"],
        items,
    );
    let import = import_har(&har(&offset), &options()).expect("offset");
    assert_eq!(
        import.draft.streams[0].paginate,
        Paginate::Offset {
            param: "offset".into(),
            limit_param: "limit".into(),
            limit: 2
        }
    );
    let next_url = pages(
        &["/api/items", "/api/items?after=x2"],
        |n| json!({"data": items(n), "links": {"next": if n == 0 { json!(format!("{BASE}/api/items?after=x2")) } else { Value::Null }}}),
    );
    let import = import_har(&har(&next_url), &options()).expect("next_url");
    assert_eq!(
        import.draft.streams[0].paginate,
        Paginate::NextUrl {
            next: "$.links.next".into()
        }
    );
    let mut linked = pages(
        &["/api/items?per_page=2", "/api/items?per_page=2&page=2"],
        items,
    );
    linked[0].response_headers.push((
        "Link",
        format!("<{BASE}/api/items?per_page=2&page=2>; rel=\"next\""),
    ));
    let import = import_har(&har(&linked), &options()).expect("link");
    assert_eq!(import.draft.streams[0].paginate, Paginate::LinkHeader);
    // One page with a cursor member: a guess, said as one.
    let single = pages(
        &["/api/items"],
        |_| json!({"data": [{"id": 1}], "next_cursor": "abc"}),
    );
    let import = import_har(&har(&single), &options()).expect("single");
    let stream = &import.draft.streams[0];
    assert_eq!(
        stream.paginate,
        Paginate::Cursor {
            next: "$.next_cursor".into(),
            param: "cursor".into()
        }
    );
    assert!(
        stream
            .paginate_note
            .starts_with("guessed from the member `next_cursor` of a single page"),
        "{}",
        stream.paginate_note
    );
}

#[test]
fn one_full_page_with_no_sign_of_a_next_one_is_said_loudly() {
    let full = pages(&["/api/rows?limit=2"], |_| json!([{"id": 1}, {"id": 2}]));
    let import = import_har(&har(&full), &options()).expect("full page");
    assert_eq!(import.draft.streams[0].paginate, Paginate::None);
    assert!(
        import.draft.streams[0]
            .paginate_note
            .contains("WARNING: the last page was full (2 records, `limit` = 2)"),
        "{}",
        import.draft.streams[0].paginate_note
    );
}
