use holdfast_spec::CsvOptions;
use serde_json::{Value, json};

use super::Rows;
use crate::error::{DecodeError, ErrorKind};

fn rows_with(options: &CsvOptions, text: &[u8]) -> Result<Vec<Value>, DecodeError> {
    Rows::new(options, text).collect()
}

fn rows(text: &str) -> Result<Vec<Value>, DecodeError> {
    rows_with(&CsvOptions::default(), text.as_bytes())
}

#[test]
fn the_header_names_the_fields_and_every_value_is_a_string() {
    assert_eq!(
        rows("id,email,score\n1,a@x.io,10\n2,b@x.io,\n").expect("decodes"),
        [
            json!({ "id": "1", "email": "a@x.io", "score": "10" }),
            json!({ "id": "2", "email": "b@x.io", "score": "" }),
        ]
    );
}

#[test]
fn quoted_fields_hold_delimiters_quotes_and_line_breaks() {
    let text = "id,name,note\r\n1,\"Doe, Jane\",\"said \"\"hi\"\"\nthen left\"\r\n2,Bo,plain";
    assert_eq!(
        rows(text).expect("decodes"),
        [
            json!({ "id": "1", "name": "Doe, Jane", "note": "said \"hi\"\nthen left" }),
            json!({ "id": "2", "name": "Bo", "note": "plain" }),
        ]
    );
}

#[test]
fn delimiter_quote_and_escape_settings() {
    let options = CsvOptions {
        delimiter: b';',
        quote: b'\'',
        escape: Some(b'\\'),
        columns: None,
    };
    let text = b"id;name\n1;'O\\'Brien; Pat'\n";
    assert_eq!(
        rows_with(&options, text).expect("decodes"),
        [json!({ "id": "1", "name": "O'Brien; Pat" })]
    );
}

#[test]
fn columns_name_a_file_without_a_header_row() {
    let options = CsvOptions {
        columns: Some(vec!["id".into(), "email".into()]),
        ..CsvOptions::default()
    };
    assert_eq!(
        rows_with(&options, b"1,a@x.io\n2,b@x.io\n").expect("decodes"),
        [
            json!({ "id": "1", "email": "a@x.io" }),
            json!({ "id": "2", "email": "b@x.io" }),
        ]
    );
    let e = rows_with(&options, b"1,a@x.io\n2\n").expect_err("short row");
    assert_eq!(
        e.to_string(),
        "line 2: the row has 1 field where there are 2 columns; a row is never padded or \
         cut: fix the file, or the `delimiter`/`quote` settings"
    );
}

#[test]
fn a_byte_order_mark_and_blank_lines_are_skipped() {
    assert_eq!(
        rows("\u{feff}id,name\n\n1,Ann\n\n").expect("decodes"),
        [json!({ "id": "1", "name": "Ann" })]
    );
    assert_eq!(rows("").expect("empty"), Vec::<Value>::new());
    assert_eq!(rows("id,name\n").expect("header only"), Vec::<Value>::new());
}

#[test]
fn a_ragged_row_is_an_error_with_its_line_never_padded() {
    let e = rows("id,name\n1,Ann\n2,\"Bo\nB\"\n3,Cy,extra\n4,Di\n").expect_err("ragged");
    assert_eq!(e.kind, ErrorKind::Malformed);
    assert_eq!(
        e.to_string(),
        "line 5: the row has 3 fields where there are 2 columns; a row is never padded or \
         cut: fix the file, or the `delimiter`/`quote` settings"
    );
}

#[test]
fn header_names_must_be_present_and_unique() {
    assert_eq!(
        rows("id,,name\n").expect_err("empty name").to_string(),
        "line 1: the header row's column 2 has no name; name every column, or give \
         `header: false` with `columns: [...]`"
    );
    assert_eq!(
        rows("id,name,id\n1,a,1\n").expect_err("twice").to_string(),
        "line 1: the header row names column `id` twice (columns 1 and 3); give \
         `header: false` with `columns: [...]` to name them yourself"
    );
}

#[test]
fn bytes_that_are_not_utf8_are_an_error() {
    let e =
        rows_with(&CsvOptions::default(), b"id,name\n1,Ann\n2,M\xfcller\n").expect_err("latin1");
    assert_eq!(e.kind, ErrorKind::Malformed);
    assert_eq!(
        e.to_string(),
        "line 3: field 2 is not UTF-8 text (invalid byte after 1 valid bytes); export the \
         file as UTF-8"
    );
}
