use super::*;
use crate::env::Env;
use crate::raw::RawFormat;
use crate::span::SpanIndex;

fn check(yaml: &str) -> (Option<Format>, Vec<String>) {
    let raw: RawFormat = yaml_serde::from_str(yaml).unwrap_or_else(|e| panic!("{e}"));
    let index = SpanIndex::default();
    let env = Env::default();
    let mut ctx = Ctx::new(&index, &env);
    let f = format(&mut ctx, "streams.x", Some(&raw));
    let messages = ctx.finish().into_iter().map(|d| {
        format!(
            "{}: {} | {}",
            d.key_path,
            d.message,
            d.help.unwrap_or_default()
        )
    });
    (f, messages.collect())
}

fn ok(yaml: &str) -> Format {
    let (f, errors) = check(yaml);
    assert!(errors.is_empty(), "{errors:?}");
    f.expect("valid")
}

#[test]
fn names_and_defaults() {
    assert_eq!(ok("json"), Format::Json);
    assert_eq!(ok("jsonl"), Format::Jsonl);
    assert_eq!(ok("csv"), Format::Csv(CsvOptions::default()));
    assert_eq!(ok("xml"), Format::Xml(XmlOptions::default()));
    assert_eq!(ok("{ type: jsonl }"), Format::Jsonl);
}

#[test]
fn csv_settings() {
    assert_eq!(
        ok(r#"{ type: csv, delimiter: ";", quote: "'", escape: "\\" }"#),
        Format::Csv(CsvOptions {
            delimiter: b';',
            quote: b'\'',
            escape: Some(b'\\'),
            columns: None,
        })
    );
    assert_eq!(
        ok("{ type: csv, delimiter: tab, header: false, columns: [id, email] }"),
        Format::Csv(CsvOptions {
            delimiter: b'\t',
            columns: Some(vec!["id".into(), "email".into()]),
            ..CsvOptions::default()
        })
    );
}

#[test]
fn xml_settings_drop_prefixes() {
    assert_eq!(
        ok(
            "{ type: xml, records: /soap:Envelope/soap:Body/GetCustomersResponse/Customer, arrays: [Customer, 'x:Phone'] }"
        ),
        Format::Xml(XmlOptions {
            records: Some(
                ["Envelope", "Body", "GetCustomersResponse", "Customer"]
                    .map(String::from)
                    .to_vec()
            ),
            arrays: vec!["Customer".into(), "Phone".into()],
        })
    );
}

#[test]
fn mistakes_are_located_with_a_hint() {
    assert_eq!(
        check("yml").1,
        [
            "streams.x.format: unknown format `yml`: expected json, jsonl, csv or xml | use \
          `json`, `jsonl`, `csv` or `xml`; did you mean `xml`?"
        ]
    );
    assert_eq!(
        check(r#"{ type: csv, delimiter: ";;" }"#).1,
        [
            "streams.x.format.delimiter: one character, got \";;\" | write one ASCII character, \
          e.g. `delimiter: \";\"` (or `tab`)"
        ]
    );
    assert_eq!(
        check(r#"{ type: csv, delimiter: "'", quote: "'" }"#).1,
        [
            "streams.x.format.quote: the quote and the delimiter are both `'` | choose two \
          different characters"
        ]
    );
    assert_eq!(
        check("{ type: csv, header: false }").1,
        [
            "streams.x.format.header: `header: false` needs `columns:` to name the fields | add \
          the field names in column order, e.g. `columns: [id, email, updated_at]`"
        ]
    );
    assert_eq!(
        check("{ type: csv, columns: [id] }").1,
        [
            "streams.x.format.columns: `columns:` names the fields of a file without a header \
          row | add `header: false`, or remove `columns:` to take the names from the header row"
        ]
    );
    assert_eq!(
        check("{ type: csv, header: false, columns: [id, id] }").1,
        ["streams.x.format.columns[1]: column `id` is named twice | give each column its own name"]
    );
    assert_eq!(
        check("{ type: jsonl, delimiter: ',' }").1,
        [
            "streams.x.format.delimiter: `delimiter` is a setting of `type: csv`, not of `type: \
          jsonl` | remove `delimiter:`, or use `type: csv`"
        ]
    );
    assert_eq!(
        check("{ type: xml, records: '$.Envelope.Body[*]' }").1,
        [
            "streams.x.format.records: `$.Envelope.Body[*]` is not an element path | write the \
          element names from the root down to one record, separated by `/`, e.g. \
          `Envelope/Body/GetCustomersResponse/Customer` (not a JSONPath)"
        ]
    );
    assert_eq!(
        check("{ delimiter: ',' }").1,
        ["streams.x.format.type: missing key `type` | add it, e.g. `type: csv`"]
    );
}
