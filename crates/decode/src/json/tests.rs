use serde_json::{Value, json};

use super::{Document, Lines, document};
use crate::error::{DecodeError, ErrorKind};

fn lines(text: &str) -> Result<Vec<Value>, DecodeError> {
    Lines::new(text.as_bytes()).collect()
}

#[test]
fn one_object_per_line_blank_lines_skipped() {
    assert_eq!(
        lines("{\"id\":1}\n\n  \r\n{\"id\":2,\"n\":\"b\"}\r\n{\"id\":3}").expect("decodes"),
        [
            json!({ "id": 1 }),
            json!({ "id": 2, "n": "b" }),
            json!({ "id": 3 })
        ]
    );
    assert_eq!(lines("").expect("empty"), Vec::<Value>::new());
    assert_eq!(
        lines("\u{feff}{\"id\":1}\n").expect("bom"),
        [json!({ "id": 1 })]
    );
}

#[test]
fn a_line_that_is_not_an_object_is_an_error_with_its_number() {
    let e = lines("{\"id\":1}\n[1,2]\n").expect_err("array");
    assert_eq!(e.kind, ErrorKind::Shape);
    assert_eq!(
        e.to_string(),
        "line 2: a JSON Lines record must be an object, this line is an array"
    );
    let e = lines("{\"id\":1}\n\n{\"id\":2,}\n{\"id\":3}\n").expect_err("bad");
    assert_eq!(e.kind, ErrorKind::Malformed);
    assert_eq!(
        e.to_string(),
        "line 3: not a JSON value: trailing comma (column 9)"
    );
}

#[test]
fn a_cut_off_last_line_is_an_error_never_dropped() {
    let e = lines("{\"id\":1}\n{\"id\":2,\"name\":\"Bo").expect_err("cut");
    assert_eq!(e.kind, ErrorKind::Truncated);
    assert_eq!(
        e.to_string(),
        "line 2: the last line ends in the middle of a record (a cut-off download?): EOF \
         while parsing a string (column 18)"
    );
}

#[test]
fn a_json_document_yields_its_list_or_itself() {
    let items: Vec<Value> = Document::new(&b"[{\"id\":1},{\"id\":2}]"[..])
        .collect::<Result<_, _>>()
        .expect("decodes");
    assert_eq!(items, [json!({ "id": 1 }), json!({ "id": 2 })]);
    let one: Vec<Value> = Document::new(&b"{\"id\":1}"[..])
        .collect::<Result<_, _>>()
        .expect("decodes");
    assert_eq!(one, [json!({ "id": 1 })]);
    let e = Document::new(&b"[{\"id\":1}, 2]"[..])
        .collect::<Result<Vec<_>, _>>()
        .expect_err("not a record");
    assert_eq!(
        e.to_string(),
        "item 2 of the top-level list is a number, not an object (a record)"
    );
}

#[test]
fn a_json_document_that_is_cut_off_or_empty_is_an_error() {
    let e = document(&b"{\"data\": [\n{\"id\":1},\n"[..]).expect_err("cut");
    assert_eq!(e.kind, ErrorKind::Truncated);
    assert!(
        e.to_string().starts_with(
            "line 3: the JSON document ends in the middle (a cut-off body or file?): EOF"
        ),
        "{e}"
    );
    assert_eq!(
        document(&b" \n"[..]).expect_err("empty").to_string(),
        "the body is empty, not a JSON document"
    );
}
