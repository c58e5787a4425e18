//! Each pagination kind, recognised from parameters, members and headers.

use super::*;
use crate::draft::Paginate;

#[test]
fn page_and_per_page_make_page_pagination_with_the_largest_size() {
    let params = "[ { name: page, in: query, schema: { type: integer, default: 1 } }, \
                  { name: per_page, in: query, schema: { type: integer, maximum: 250, default: 30 } } ]";
    let s = import(&doc30(&list_op("/pets", "listPets", params, PETS, ""), ""));
    let s = only(&s);
    assert_eq!(
        s.paginate,
        Paginate::Page {
            param: "page".into(),
            start: 1,
            size: Some(("per_page".into(), 250))
        }
    );
    assert!(
        s.paginate_note.contains("maximum 250"),
        "{}",
        s.paginate_note
    );
    assert!(
        s.params.is_empty(),
        "page params are pagination's: {:?}",
        s.params
    );
}

#[test]
fn a_zero_based_page_starts_at_zero() {
    let params = "[ { name: pageNumber, in: query, schema: { type: integer, minimum: 0 } } ]";
    let i = import(&doc30(&list_op("/pets", "listPets", params, PETS, ""), ""));
    assert_eq!(
        only(&i).paginate,
        Paginate::Page {
            param: "pageNumber".into(),
            start: 0,
            size: None
        }
    );
}

#[test]
fn offset_and_limit_make_offset_pagination() {
    let params = "[ { name: offset, in: query, schema: { type: integer } }, \
                  { name: limit, in: query, description: 'How many (maximum: 50).', schema: { type: integer } } ]";
    let i = import(&doc30(&list_op("/pets", "listPets", params, PETS, ""), ""));
    let s = only(&i);
    assert_eq!(
        s.paginate,
        Paginate::Offset {
            param: "offset".into(),
            limit_param: "limit".into(),
            limit: 50
        }
    );
    assert!(
        s.paginate_note.contains("description"),
        "{}",
        s.paginate_note
    );
}

#[test]
fn a_cursor_parameter_with_a_next_cursor_member_makes_cursor_pagination() {
    let params = "[ { name: cursor, in: query, schema: { type: string } }, \
                  { name: limit, in: query, schema: { type: integer, default: 20 } } ]";
    let schema = "{ type: object, properties: { data: { type: array, items: { $ref: '#/components/schemas/Pet' } }, \
                  meta: { type: object, properties: { next_cursor: { type: string, nullable: true } } } } }";
    let extra =
        "components:\n  schemas:\n    Pet: { type: object, properties: { id: { type: string } } }";
    let i = import(&doc30(
        &list_op("/pets", "listPets", params, schema, ""),
        extra,
    ));
    let s = only(&i);
    assert_eq!(
        s.paginate,
        Paginate::Cursor {
            next: "$.meta.next_cursor".into(),
            param: "cursor".into()
        }
    );
    assert_eq!(s.records, "$.data[*]");
    assert_eq!(s.params[0].name, "limit");
    assert_eq!(s.params[0].value, 20);
    assert!(
        s.paginate_note.contains("meta.next_cursor"),
        "{}",
        s.paginate_note
    );
}

#[test]
fn a_page_token_parameter_pairs_with_next_page_token() {
    let params = "[ { name: pageToken, in: query, schema: { type: string } } ]";
    let schema = "{ type: object, properties: { items: { type: array, items: { type: object } }, nextPageToken: { type: string } } }";
    let i = import(&doc31(
        &list_op("/pets", "listPets", params, schema, ""),
        "",
    ));
    assert_eq!(
        only(&i).paginate,
        Paginate::Cursor {
            next: "$.nextPageToken".into(),
            param: "pageToken".into()
        }
    );
}

#[test]
fn a_next_member_that_is_a_url_makes_next_url_pagination() {
    let schema = "{ type: object, properties: { results: { type: array, items: { type: object } }, \
                  next: { type: string, format: uri, nullable: true }, count: { type: integer } } }";
    let i = import(&doc30(&list_op("/pets", "listPets", "[]", schema, ""), ""));
    let s = only(&i);
    assert_eq!(
        s.paginate,
        Paginate::NextUrl {
            next: "$.next".into()
        }
    );
    assert!(
        s.paginate_note.contains("format: uri"),
        "{}",
        s.paginate_note
    );
    assert_eq!(s.records, "$.results[*]");
}

#[test]
fn hal_links_next_href_is_a_next_url() {
    let schema = "{ type: object, properties: { _embedded: { type: object }, items: { type: array, items: { type: object } }, \
                  _links: { type: object, properties: { next: { type: object, properties: { href: { type: string } } } } } } }";
    let i = import(&doc30(&list_op("/pets", "listPets", "[]", schema, ""), ""));
    assert_eq!(
        only(&i).paginate,
        Paginate::NextUrl {
            next: "$._links.next.href".into()
        }
    );
}

#[test]
fn a_declared_link_header_wins_over_page_parameters() {
    let params = "[ { $ref: '#/components/parameters/per-page' }, { $ref: '#/components/parameters/page' } ]";
    let more = "        headers:\n          Link: { $ref: '#/components/headers/link' }";
    let extra = "components:\n  parameters:\n    per-page: { name: per_page, in: query, description: 'Results per page (max 100).', schema: { type: integer, default: 30 } }\n    page: { name: page, in: query, schema: { type: integer, default: 1 } }\n  headers:\n    link: { schema: { type: string } }";
    let i = import(&doc30(
        &list_op("/pets", "listPets", params, PETS, more),
        extra,
    ));
    let s = only(&i);
    assert_eq!(s.paginate, Paginate::LinkHeader);
    assert!(
        s.paginate_note.contains("#/components/headers/link"),
        "{}",
        s.paginate_note
    );
    assert_eq!(s.params.len(), 1, "{:?}", s.params);
    assert_eq!(
        (s.params[0].name.as_str(), &s.params[0].value),
        ("per_page", &100.into())
    );
    assert!(i.draft.to_yaml().contains("type: link_header"));
}

#[test]
fn stripe_style_starting_after_with_has_more_is_last_record() {
    let params = "[ { name: starting_after, in: query, schema: { type: string } }, { name: limit, in: query, schema: { type: integer, maximum: 100 } } ]";
    let schema = "{ type: object, required: [data, has_more], properties: { object: { type: string }, \
                  data: { type: array, items: { type: object, properties: { id: { type: string } } } }, \
                  has_more: { type: boolean }, url: { type: string } } }";
    let i = import(&doc30(
        &list_op("/v1/customers", "GetCustomers", params, schema, ""),
        "",
    ));
    let s = only(&i);
    assert_eq!(
        s.paginate,
        Paginate::LastRecord {
            field: "id".into(),
            param: "starting_after".into(),
            more: "$.has_more".into()
        }
    );
    assert_eq!(s.params[0].value, 100);
}

#[test]
fn no_pagination_is_said_and_a_lone_cursor_parameter_is_loud() {
    let i = import(&doc30(&list_op("/pets", "listPets", "[]", PETS, ""), ""));
    let s = only(&i);
    assert_eq!(s.paginate, Paginate::None);
    assert!(
        s.paginate_note.contains("one request"),
        "{}",
        s.paginate_note
    );

    let params = "[ { name: cursor, in: query, schema: { type: string } } ]";
    let i = import(&doc30(&list_op("/pets", "listPets", params, PETS, ""), ""));
    let s = only(&i);
    assert_eq!(s.paginate, Paginate::None);
    assert!(
        s.paginate_note.starts_with("NOT PAGINATED"),
        "{}",
        s.paginate_note
    );
}
