use super::*;

fn parsed(text: &str) -> Parsed {
    parse(text, &SpanIndex::build(text))
}

/// "message @ path line:column" for each diagnostic, in file order.
fn messages(p: &Parsed) -> Vec<String> {
    let mut sorted: Vec<&Diagnostic> = p.diagnostics.iter().collect();
    sorted.sort_by_key(|d| (d.line, d.column));
    sorted
        .into_iter()
        .map(|d| {
            let (line, column) = (d.line.unwrap_or(0), d.column.unwrap_or(0));
            format!("{} @ {} {line}:{column}", d.message, d.key_path)
        })
        .collect()
}

fn only(text: &str) -> Diagnostic {
    let p = parsed(text);
    assert_eq!(p.diagnostics.len(), 1, "{:?}", messages(&p));
    p.diagnostics.into_iter().next().expect("one")
}

#[test]
fn friendly_messages() {
    let d = only("hello");
    assert!(
        d.message
            .starts_with("wrong type: found string \"hello\", expected a mapping"),
        "{d:?}"
    );
    let d = only("  ");
    assert_eq!(d.message, "the file is empty");
    let d = only("connections:\n  crm:\n    auth: { token: x }\n");
    assert_eq!(
        (d.message.as_str(), d.key_path.as_str()),
        ("missing key `type`", "connections.crm.auth.type"),
        "{d:?}"
    );
    assert!(parsed("connections:\nstreams:\n").raw.is_some());
    assert!(parsed("# nothing but a comment\n").raw.is_some());
}

#[test]
fn a_repeated_key_is_reported_and_the_first_kept() {
    let p =
        parsed("streams:\n  a: {}\n  a: {}\nconnections:\n  crm: { base_url: a, base_url: b }\n");
    assert_eq!(
        messages(&p),
        [
            "duplicate key `a` @ streams.a 3:3",
            "duplicate key `base_url` @ connections.crm.base_url 5:23"
        ]
    );
    let raw = p.raw.expect("read on");
    assert_eq!(raw.streams.0.len(), 1);
    assert_eq!(raw.connections.0[0].1.base_url.as_deref(), Some("a"));
}

#[test]
fn every_unknown_key_is_reported_and_left_out() {
    let p = parsed(
        "conections: {}\nstreams:\n  a:\n    recrds: x\n    request: { path: /a, parms: {} }\n    paginate: { type: cursor, nxt: $.n, param: c }\n",
    );
    assert_eq!(
        messages(&p),
        [
            "unknown key `conections` @ conections 1:1",
            "unknown key `recrds` @ streams.a.recrds 4:5",
            "unknown key `parms` @ streams.a.request.parms 5:26",
            "unknown key `nxt` @ streams.a.paginate.nxt 6:31",
        ]
    );
    let raw = p.raw.expect("read on");
    let (_, a) = &raw.streams.0[0];
    assert_eq!(
        a.request.as_ref().and_then(|r| r.path.as_deref()),
        Some("/a")
    );
    assert!(
        a.paginate.is_some(),
        "the rest of the tagged mapping is kept"
    );
    for explained in [
        "streams.a.records",
        "streams.a.request.params",
        "streams.a.paginate.next",
    ] {
        assert!(p.explained.covers(explained), "{explained}");
    }
    assert!(!p.explained.covers("streams.a.primary_key"));
}

#[test]
fn a_refused_value_is_left_out_and_the_rest_read() {
    let p = parsed(
        "connections:\n  crm: [1]\nstreams:\n  a: { request: /a, records: $.x }\n  b: { paginate: { type: cursr }, primary_key: [id, [x]] }\n",
    );
    let found = messages(&p);
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(
        found[0].starts_with("wrong type: found list, expected a connection"),
        "{found:?}"
    );
    assert!(found[0].ends_with("@ connections.crm 2:8"), "{found:?}");
    assert!(found[1].ends_with("@ streams.a.request 4:17"), "{found:?}");
    assert!(
        found[2].starts_with("unknown type `cursr` @ streams.b.paginate.type 5:26"),
        "{found:?}"
    );
    assert!(
        found[3].ends_with("@ streams.b.primary_key[1] 5:53"),
        "{found:?}"
    );
    let raw = p.raw.expect("read on");
    assert_eq!(raw.connections.0[0].0, "crm", "the name is kept");
    let (_, a) = &raw.streams.0[0];
    assert!(a.request.is_none() && a.records.as_deref() == Some("$.x"));
    let (_, b) = &raw.streams.0[1];
    assert!(b.paginate.is_none() && b.primary_key.is_none());
    for explained in [
        "connections.crm.base_url",
        "streams.a.request",
        "streams.b.primary_key",
    ] {
        assert!(p.explained.covers(explained), "{explained}");
    }
}

#[test]
fn a_bad_list_item_keeps_the_others() {
    let p = parsed(
        "connections:\n  crm:\n    errors:\n      - { when: status == 500, action: retry }\n      - retry\n      - { when: [x], action: fail }\n",
    );
    let found = messages(&p);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].ends_with("@ connections.crm.errors[1] 5:9"),
        "{found:?}"
    );
    assert!(
        found[1].ends_with("@ connections.crm.errors[2].when 6:17"),
        "{found:?}"
    );
    let raw = p.raw.expect("read on");
    let rules = raw.connections.0[0].1.errors.as_ref().expect("errors");
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[0].action.as_deref(), Some("retry"));
    assert!(rules[2].when.is_none() && rules[2].action.as_deref() == Some("fail"));
    assert!(p.explained.covers("connections.crm.errors[1].when"));
}

#[test]
fn a_syntax_error_stops() {
    let p = parsed("a: [\n");
    assert!(p.raw.is_none());
    assert!(
        p.diagnostics[0].message.starts_with("invalid yaml"),
        "{:?}",
        messages(&p)
    );
}

#[test]
fn explained_covers_children() {
    let mut e = Explained::new();
    e.0.insert("streams.a.primary_key".to_owned());
    assert!(e.covers("streams.a.primary_key"));
    assert!(e.covers("streams.a.primary_key[1]"));
    assert!(!e.covers("streams.a"));
    assert!(!e.covers("streams.a.primary"));
}

#[test]
fn syntax_errors_are_placed_at_the_mistake() {
    // an unclosed `{` on line 2 is noticed by the parser on line 3
    let d = only("a:\n  b: { c: 1\n  d: 2\n");
    assert_eq!(
        (d.message.as_str(), d.line, d.column),
        (
            "the `{` opened at 2:6 is not closed (no `}` follows)",
            Some(2),
            Some(6)
        ),
        "{d:?}"
    );
    let d = only("a: [1, 2\nb: 3\n");
    assert_eq!((d.line, d.column), (Some(1), Some(4)), "{d:?}");
    assert!(d.message.starts_with("the `[` opened at 1:4"), "{d:?}");
    let d = only("a:\n\tb: 1\n");
    assert_eq!(
        (d.message.as_str(), d.line, d.column),
        (
            "line 2 is indented with a tab; YAML allows only spaces",
            Some(2),
            Some(1)
        ),
        "{d:?}"
    );
    // a tab inside a value is not indentation
    assert!(parsed("a: \"x\ty\"\nb:\n  c: 1\n").raw.is_some());
}
