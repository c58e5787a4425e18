//! Issue 16: `format: csv | jsonl | xml`, gzip bodies, and loud failures.
//! The mock serves its contact listing in each format; the rows that land
//! in SQLite are exactly the records as the format's mapping reads them.

mod common;

use std::collections::BTreeMap;

use common::{Sandbox, mock_contacts, requests_to, runs};
use holdfast_mock::{CSV_COLUMNS, TRICKY_NOTE};
use serde_json::{Value, json};

const RECORDS: u64 = 250;

/// A connector over `/v2/contacts.{ext}` with `params`, paged by the
/// `Link` header, `format` and the other stream lines in `extra`.
fn connector(base_url: &str, ext: &str, params: &str, format: &str, extra: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts.{ext}, params: {{ per_page: 100{params} }} }}
    paginate: {{ type: link_header }}
    format: {format}
{extra}"#
    )
}

/// `_raw` of every row by the text of key column `key`.
async fn rows(sandbox: &Sandbox, key: &str) -> BTreeMap<String, Value> {
    let pool = sandbox.pool().await;
    let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(\"{key}\" AS TEXT), _raw FROM contacts"
    )))
    .fetch_all(&pool)
    .await
    .expect("rows");
    rows.into_iter()
        .map(|(k, raw)| (k, serde_json::from_str(&raw).expect("_raw is JSON")))
        .collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// The CSV record of a contact the JSON listing serves: every value a string.
fn csv_record(c: &Value) -> Value {
    let id = c["id"].as_u64().expect("id");
    let values = [
        text(&c["id"]),
        text(&c["email"]),
        text(&c["name"]["first"]),
        text(&c["name"]["last"]),
        text(&c["company"]),
        text(&c["amount"]["value"]),
        text(&c["amount"]["currency"]),
        text(&c["status"]),
        text(&c["tags"]),
        if id.is_multiple_of(3) {
            TRICKY_NOTE
        } else {
            ""
        }
        .to_owned(),
        text(&c["updated_at"]),
    ];
    let record: serde_json::Map<String, Value> = CSV_COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .zip(values.into_iter().map(Value::String))
        .collect();
    Value::Object(record)
}

/// Syncs `yaml` and asserts every contact landed once as `expected` says.
async fn sync_exactly(
    mock: &holdfast_mock::MockServer,
    yaml: &str,
    key: &str,
    expected: impl Fn(&Value) -> (String, Value),
) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_config(yaml);
    sandbox.run(&["sync"]).await.expect_code(0);
    let served = mock_contacts(&mock.url()).await;
    let want: BTreeMap<String, Value> = served.values().map(&expected).collect();
    let got = rows(&sandbox, key).await;
    assert_eq!(got.len(), RECORDS as usize);
    for (k, row) in &want {
        assert_eq!(got.get(k), Some(row), "row {k}");
    }
    let pool = sandbox.pool().await;
    let run = &runs(&pool).await[0];
    assert_eq!(
        (run.outcome.as_str(), run.created, run.pages),
        ("succeeded", RECORDS as i64, 3)
    );
    sandbox
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_rows_land_as_strings_with_quotes_commas_and_line_breaks() {
    let mock = common::start_mock(RECORDS).await;
    let yaml = connector(
        &mock.url(),
        "csv",
        "",
        "csv",
        "    primary_key: id\n    map:\n      amount: { from: \"$.amount\", type: decimal }\n",
    );
    let sandbox = sync_exactly(&mock, &yaml, "id", |c| (c["id"].to_string(), csv_record(c))).await;
    // one row spelled out: the note's quotes, comma and line break survive
    let got = rows(&sandbox, "id").await;
    assert_eq!(got["3"]["note"], json!("Said \"call me\", then\nhung up"));
    assert_eq!(got["4"]["note"], json!(""));
    // `map:` types what CSV leaves as text
    let pool = sandbox.pool().await;
    let amount: String =
        sqlx::query_scalar("SELECT CAST(amount AS TEXT) FROM contacts WHERE id = '3'")
            .fetch_one(&pool)
            .await
            .expect("amount");
    assert_eq!(amount, got["3"]["amount"].as_str().expect("text"));
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_with_semicolons_gzipped_both_ways() {
    let mock = common::start_mock(RECORDS).await;
    for gzip in ["1", "body"] {
        let yaml = connector(
            &mock.url(),
            "csv",
            &format!(", delimiter: \";\", gzip: {gzip}"),
            "{ type: csv, delimiter: \";\" }",
            "    primary_key: id\n",
        );
        sync_exactly(&mock, &yaml, "id", |c| (c["id"].to_string(), csv_record(c))).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn jsonl_records_land_as_served_plain_and_gzipped() {
    let mock = common::start_mock(RECORDS).await;
    for params in ["", ", gzip: body"] {
        let yaml = connector(
            &mock.url(),
            "jsonl",
            params,
            "jsonl",
            "    primary_key: id\n",
        );
        sync_exactly(&mock, &yaml, "id", |c| (c["id"].to_string(), c.clone())).await;
    }
}

/// The XML record of a contact, by the documented mapping.
fn xml_record(c: &Value) -> Value {
    let id = c["id"].as_u64().expect("id");
    let tags: Vec<Value> = c["tags"].as_array().expect("tags").clone();
    let mut record = json!({
        "@id": id.to_string(),
        "@status": c["status"],
        "Email": c["email"],
        "Name": { "First": c["name"]["first"], "Last": c["name"]["last"] },
        "Company": c["company"],
        "Amount": { "@currency": c["amount"]["currency"], "#text": c["amount"]["value"] },
        // `arrays: [Tag]`: a list even with one tag; no tags: an empty element
        "Tags": if tags.is_empty() { json!("") } else { json!({ "Tag": tags }) },
        "UpdatedAt": c["updated_at"],
    });
    if id.is_multiple_of(3) {
        record["Note"] = json!(TRICKY_NOTE);
    }
    record
}

#[tokio::test(flavor = "multi_thread")]
async fn xml_soap_records_land_by_the_documented_mapping() {
    let mock = common::start_mock(RECORDS).await;
    let format = "{ type: xml, records: soap:Envelope/soap:Body/ListContactsResponse/Contact, arrays: [Tag] }";
    for params in ["", ", gzip: 1"] {
        let yaml = connector(
            &mock.url(),
            "xml",
            params,
            format,
            "    primary_key: \"@id\"\n",
        );
        sync_exactly(&mock, &yaml, "@id", |c| {
            (c["id"].to_string(), xml_record(c))
        })
        .await;
    }
}

/// A broken body fails the sync, says where, and writes nothing of it.
async fn fails_loudly(ext: &str, params: &str, format: &str, key: &str, says: &[&str]) {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        &mock.url(),
        ext,
        params,
        format,
        &format!("    primary_key: \"{key}\"\n"),
    ));
    let out = sandbox.run(&["sync"]).await;
    assert_ne!(out.code, Some(0), "{out}");
    let all = out.all_text();
    for part in says {
        assert!(all.contains(part), "`{part}` in: {all}");
    }
    let pool = sandbox.pool().await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&pool)
        .await
        .unwrap_or(0);
    assert_eq!(count, 0, "nothing of a broken page is written");
    let run = &runs(&pool).await[0];
    assert_eq!((run.outcome.as_str(), run.created), ("failed", 0));
    assert!(requests_to(&mock, &format!("/v2/contacts.{ext}")) >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ragged_csv_row_fails_with_its_line() {
    fails_loudly(
        "csv",
        ", broken: ragged",
        "csv",
        "id",
        &[
            // 100 contacts after the header, a third of them with a two-line note
            "/v2/contacts.csv?per_page=100&broken=ragged: csv body: line 135: the row has 12 \
             fields where there are 11 columns",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_gzip_body_fails() {
    fails_loudly(
        "jsonl",
        ", gzip: body, broken: truncated",
        "jsonl",
        "id",
        &["jsonl body: ", "the data ends early"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cut_off_jsonl_body_fails_with_its_line() {
    fails_loudly(
        "jsonl",
        ", broken: truncated",
        "jsonl",
        "id",
        &[
            "jsonl body: line ",
            "the last line ends in the middle of a record",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_soap_fault_with_status_200_fails_quoting_it() {
    fails_loudly(
        "xml",
        ", broken: fault",
        "{ type: xml, records: Envelope/Body/ListContactsResponse/Contact }",
        "@id",
        &["xml body: the SOAP answer is a Fault: \"INVALID_SESSION_ID: Invalid Session ID found in SessionHeader\" (fault code soap:Server)"],
    )
    .await;
}
