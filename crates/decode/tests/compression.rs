//! Gzip, deflate and zip inputs, through the public API.

use std::io::Write;

use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};
use holdfast_decode::{DecodeError, ErrorKind, open_file, page_body, records};
use holdfast_spec::{CsvOptions, Format, XmlOptions};
use serde_json::{Value, json};

const CSV: &str = "id,name\n1,Ann\n2,\"Bo, Jr\"\n";

fn csv() -> Format {
    Format::Csv(CsvOptions::default())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).expect("write");
    e.finish().expect("finish")
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).expect("write");
    e.finish().expect("finish")
}

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, bytes) in entries {
        if name.ends_with('/') {
            w.add_directory(*name, options).expect("dir");
        } else {
            w.start_file(*name, options).expect("start");
            w.write_all(bytes).expect("write");
        }
    }
    w.finish().expect("finish").into_inner()
}

fn all(format: &Format, input: Vec<u8>) -> Result<Vec<Value>, DecodeError> {
    records(format, std::io::Cursor::new(input))?.collect()
}

fn rows() -> Vec<Value> {
    vec![
        json!({ "id": "1", "name": "Ann" }),
        json!({ "id": "2", "name": "Bo, Jr" }),
    ]
}

#[test]
fn plain_gzip_and_zlib_inputs_give_the_same_records() {
    assert_eq!(all(&csv(), CSV.as_bytes().to_vec()).expect("plain"), rows());
    assert_eq!(all(&csv(), gzip(CSV.as_bytes())).expect("gzip"), rows());
    assert_eq!(all(&csv(), zlib(CSV.as_bytes())).expect("zlib"), rows());
    // concatenated gzip members are one stream
    let mut two = gzip(b"id,name\n1,Ann\n");
    two.extend(gzip(b"2,\"Bo, Jr\"\n"));
    assert_eq!(all(&csv(), two).expect("members"), rows());
}

#[test]
fn a_truncated_gzip_stream_is_an_error() {
    let lines: String = (0..2000).map(|i| format!("{{\"id\":{i}}}\n")).collect();
    let mut packed = gzip(lines.as_bytes());
    packed.truncate(packed.len() / 2);
    let result = all(&Format::Jsonl, packed);
    let e = result.expect_err("cut");
    assert_eq!(e.kind, ErrorKind::Truncated, "{e}");
    // the trailer (checksum and length) missing is also a cut
    let mut packed = gzip(CSV.as_bytes());
    packed.truncate(packed.len() - 4);
    let e = all(&csv(), packed).expect_err("no trailer");
    assert_eq!(e.kind, ErrorKind::Truncated, "{e}");
}

#[test]
fn a_zip_archive_yields_every_entry_in_name_order() {
    let archive = zip(&[
        ("part-2.csv", b"id,name\n2,\"Bo, Jr\"\n"),
        ("dir/", b""),
        ("part-1.csv", b"id,name\n1,Ann\n"),
    ]);
    assert_eq!(all(&csv(), archive.clone()).expect("read"), rows());
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("export.zip");
    std::fs::write(&path, &archive).expect("write");
    let from_file: Vec<Value> = open_file(&path, &csv())
        .expect("open")
        .collect::<Result<_, _>>()
        .expect("read");
    assert_eq!(from_file, rows());
    assert_eq!(
        page_body(&csv(), &archive).expect("page"),
        Value::Array(rows())
    );
}

#[test]
fn an_error_in_a_zip_entry_names_the_entry() {
    let archive = zip(&[
        ("a.csv", b"id,name\n1,Ann\n"),
        ("b.csv", b"id,name\n2,Bo,extra\n"),
    ]);
    let mut it = records(&csv(), std::io::Cursor::new(archive)).expect("open");
    assert_eq!(
        it.next().and_then(Result::ok),
        Some(json!({ "id": "1", "name": "Ann" }))
    );
    let e = it.next().expect("an item").expect_err("ragged");
    assert_eq!(e.entry.as_deref(), Some("b.csv"));
    assert!(
        e.to_string()
            .starts_with("b.csv, line 2: the row has 3 fields"),
        "{e}"
    );
    assert!(it.next().is_none(), "nothing after an error");
}

#[test]
fn files_plain_and_gzipped() {
    let dir = tempfile::tempdir().expect("dir");
    for (name, bytes) in [
        ("plain.csv", CSV.as_bytes().to_vec()),
        ("packed.csv.gz", gzip(CSV.as_bytes())),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let got: Vec<Value> = open_file(&path, &csv())
            .expect("open")
            .collect::<Result<_, _>>()
            .expect("read");
        assert_eq!(got, rows(), "{name}");
    }
    let e = open_file(&dir.path().join("missing.csv"), &csv()).expect_err("missing");
    assert_eq!(e.kind, ErrorKind::Io);
}

#[test]
fn page_bodies_are_one_value() {
    assert_eq!(
        page_body(&Format::Json, &gzip(b"{\"data\":[1]}")).expect("json"),
        json!({ "data": [1] })
    );
    assert_eq!(
        page_body(&Format::Jsonl, b"{\"id\":1}\n{\"id\":2}\n").expect("jsonl"),
        json!([{ "id": 1 }, { "id": 2 }])
    );
    assert_eq!(
        page_body(&csv(), CSV.as_bytes()).expect("csv"),
        Value::Array(rows())
    );
    let xml = Format::Xml(XmlOptions {
        records: Some(vec!["L".into(), "Item".into()]),
        arrays: vec![],
    });
    assert_eq!(
        page_body(&xml, &gzip(b"<L next=\"2\"><Item><Id>1</Id></Item></L>")).expect("xml"),
        json!({ "L": { "@next": "2", "Item": [{ "Id": "1" }] } })
    );
    let e = page_body(&csv(), b"id,name\n1\n").expect_err("ragged");
    assert_eq!(
        e.to_string(),
        "line 2: the row has 1 field where there are 2 columns; a row is never padded or \
         cut: fix the file, or the `delimiter`/`quote` settings"
    );
}
