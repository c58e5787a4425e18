use super::*;

/// `(target, rels)` of every link.
fn links(value: &str) -> Vec<(String, Vec<String>)> {
    parse_links(value)
        .unwrap_or_else(|e| panic!("{value}: {e}"))
        .into_iter()
        .map(|l| (l.target, l.rels))
        .collect()
}

fn one(target: &str, rels: &[&str]) -> (String, Vec<String>) {
    (
        target.to_owned(),
        rels.iter().map(|r| (*r).to_owned()).collect(),
    )
}

#[test]
fn several_links_in_one_value_any_order() {
    // json-server 0.17: first, next, last.
    assert_eq!(
        links(r#"<a>; rel="first", <b>; rel="next", <c>; rel="last""#),
        [
            one("a", &["first"]),
            one("b", &["next"]),
            one("c", &["last"])
        ]
    );
    // GitHub: next followed by last.
    assert_eq!(
        links(
            r#"<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=34>; rel="last""#
        ),
        [
            one("https://api.github.com/x?page=2", &["next"]),
            one("https://api.github.com/x?page=34", &["last"])
        ]
    );
    assert_eq!(
        links(r#"<c>; rel="last", <b>; rel="next""#),
        [one("c", &["last"]), one("b", &["next"])]
    );
}

#[test]
fn several_header_values_joined() {
    // Two `Link` headers are one list once joined as HTTP says.
    let joined = [r#"<a>; rel="prev""#, r#"<b>; rel=next"#].join(", ");
    assert_eq!(links(&joined), [one("a", &["prev"]), one("b", &["next"])]);
}

#[test]
fn quoted_and_unquoted_rel_and_several_types() {
    assert_eq!(links("<b>; rel=next"), [one("b", &["next"])]);
    assert_eq!(links(r#"<b>; rel="NEXT""#), [one("b", &["next"])]);
    assert_eq!(links("<b>; REL=Next"), [one("b", &["next"])]);
    assert_eq!(
        links(r#"<b>; rel="next   last""#),
        [one("b", &["next", "last"])]
    );
    // Only the first `rel` counts.
    assert_eq!(links(r#"<b>; rel=prev; rel=next"#), [one("b", &["prev"])]);
}

#[test]
fn delimiters_inside_quoted_parameters() {
    assert_eq!(
        links(r#"<a>; title="see; rel=next, <z>"; rel="prev", <b>; rel="next""#),
        [one("a", &["prev"]), one("b", &["next"])]
    );
    assert_eq!(
        links(r#"<a>; title="a \"quoted\" word"; rel=next"#),
        [one("a", &["next"])]
    );
    assert_eq!(
        links("<a>; title=\"nächste Seite, 次\"; rel=next"),
        [one("a", &["next"])]
    );
    assert_eq!(
        links("<a>; title*=UTF-8'de'n%c3%a4chstes; rel=next"),
        [one("a", &["next"])]
    );
}

#[test]
fn whitespace_and_empty_elements() {
    for value in [
        "<b>;rel=next,<c>;rel=last",
        "  <b> ; rel = \"next\" ,\t<c>;\trel=last  ",
        "<b>; rel=next, , <c>; rel=last,",
        ", <b>;; rel=next; , <c>; rel=last",
    ] {
        assert_eq!(
            links(value),
            [one("b", &["next"]), one("c", &["last"])],
            "{value}"
        );
    }
    assert_eq!(links(""), []);
    assert_eq!(links(" , "), []);
}

#[test]
fn relative_targets_are_kept_as_written() {
    assert_eq!(
        links(r#"</v2/items?page=2>; rel="next""#),
        [one("/v2/items?page=2", &["next"])]
    );
}

#[test]
fn anchor_is_kept() {
    let l = parse_links(r#"<b>; rel=next; anchor="/other""#).expect("ok");
    assert_eq!(l[0].anchor.as_deref(), Some("/other"));
}

#[test]
fn malformed_values_say_where() {
    for (value, reason, at) in [
        ("garbage", "expected `<` to start a link", 1),
        (
            r#"<b; rel="next""#,
            "expected `>` to close the link target",
            2,
        ),
        (
            r#"<b>; rel="next"#,
            "expected `\"` to close the quoted string starting",
            10,
        ),
        (r#"<b> rel="next""#, "expected `;` or `,` after a link", 5),
        ("<b>; =next", "expected a parameter name after `;`", 6),
        ("<b>; rel=", "expected a value after `=`", 10),
        (
            r#"<b>; rel=next <c>"#,
            "expected `;` or `,` after a link",
            15,
        ),
    ] {
        assert_eq!(parse_links(value), Err(LinkError { at, reason }), "{value}");
    }
}
