//! The contact listing as CSV, JSON Lines and XML (a SOAP envelope), each
//! optionally gzipped, paged by number, and breakable on request.
//!
//! `GET /v2/contacts.csv|.jsonl|.xml?page=1&per_page=100`: page numbers from 1
//! (a short or empty page is the last) and a `Link: <…>; rel="next"` header
//! while more follow. Options:
//! - `gzip=1`: `Content-Encoding: gzip`; `gzip=body`: the gzipped bytes as
//!   the body itself (`Content-Type: application/gzip`).
//! - `delimiter=;` (csv): another delimiter.
//! - `broken=ragged` (csv): a row with one field too many after the last;
//!   `broken=truncated`: the body (after gzip, when gzipped) cut in half;
//!   `broken=fault` (xml): a SOAP Fault with status 200.
//!
//! CSV columns: `id,email,first_name,last_name,company,amount,currency,
//! status,tags,note,updated_at`; `tags` are joined with `", "`, and the
//! `note` of every third contact holds quotes, a comma and a line break.
//! XML: `soap:Envelope/soap:Body/crm:ListContactsResponse/crm:Contact` with
//! `id` and `status` attributes, `crm:Tags/crm:Tag` repeated, a nil
//! `crm:Company` when there is none, `crm:Amount` with a `currency` attribute.

use std::io::Write;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE, HOST, LINK};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::data::Contact;
use crate::error::ApiError;
use crate::query::Params;
use crate::state::MockState;

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 11] = [
    "id",
    "email",
    "first_name",
    "last_name",
    "company",
    "amount",
    "currency",
    "status",
    "tags",
    "note",
    "updated_at",
];

/// The note of every third contact: quotes, a comma and a line break.
pub const TRICKY_NOTE: &str = "Said \"call me\", then\nhung up";

/// `GET /v2/contacts.csv`.
pub(crate) async fn csv(
    State(state): State<MockState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    listing(&state, &headers, query.as_deref(), Kind::Csv)
}

/// `GET /v2/contacts.jsonl`.
pub(crate) async fn jsonl(
    State(state): State<MockState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    listing(&state, &headers, query.as_deref(), Kind::Jsonl)
}

/// `GET /v2/contacts.xml`.
pub(crate) async fn xml(
    State(state): State<MockState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    listing(&state, &headers, query.as_deref(), Kind::Xml)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Csv,
    Jsonl,
    Xml,
}

impl Kind {
    fn extension(self) -> &'static str {
        match self {
            Kind::Csv => "csv",
            Kind::Jsonl => "jsonl",
            Kind::Xml => "xml",
        }
    }

    fn media(self) -> &'static str {
        match self {
            Kind::Csv => "text/csv; charset=utf-8",
            Kind::Jsonl => "application/x-ndjson",
            Kind::Xml => "text/xml; charset=utf-8",
        }
    }
}

fn listing(
    state: &MockState,
    headers: &HeaderMap,
    query: Option<&str>,
    kind: Kind,
) -> Result<Response, ApiError> {
    let params = Params::parse(query);
    let (since, per_page) = (params.since()?, params.limit("per_page")?);
    let page = params.number("page", 1)?.max(1);
    let position = (page - 1).saturating_mul(per_page as u64);
    let render = state.render();
    let (total, items) =
        state.with_touches(|t| (t.count(since), t.slice(since, position, per_page)));
    let contacts: Vec<Value> = items
        .iter()
        .map(|item| serde_json::to_value(Contact::render(render, *item)))
        .collect::<Result<_, _>>()
        .map_err(ApiError::internal)?;
    let broken = params.get("broken").unwrap_or_default();
    let mut body = match kind {
        Kind::Csv => csv_body(&contacts, &params, broken == "ragged")?,
        Kind::Jsonl => jsonl_body(&contacts)?,
        Kind::Xml if broken == "fault" => FAULT.as_bytes().to_vec(),
        Kind::Xml => xml_body(&contacts, page, total.div_ceil(per_page as u64)),
    };
    let gzip = params.get("gzip").unwrap_or_default();
    if !gzip.is_empty() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&body).map_err(ApiError::internal)?;
        body = encoder.finish().map_err(ApiError::internal)?;
    }
    if broken == "truncated" {
        body.truncate(body.len() / 2);
    }
    let media = if gzip == "body" {
        "application/gzip"
    } else {
        kind.media()
    };
    let mut response = ([(CONTENT_TYPE, media)], body).into_response();
    let out = response.headers_mut();
    if !gzip.is_empty() && gzip != "body" {
        out.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if position.saturating_add(per_page as u64) < total {
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let next = (page + 1).to_string();
        let query = params.encode_with(&[("page", &next)], &["page"]);
        let link = format!(
            "<http://{host}/v2/contacts.{}?{query}>; rel=\"next\"",
            kind.extension()
        );
        if let Ok(value) = HeaderValue::try_from(link) {
            out.insert(LINK, value);
        }
    }
    Ok(response)
}

/// A field of a rendered contact as text (`""` when absent or null).
fn text(contact: &Value, path: &[&str]) -> String {
    let mut value = contact;
    for key in path {
        value = match value.get(key) {
            Some(v) => v,
            None => return String::new(),
        };
    }
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

fn note(contact: &Value) -> &'static str {
    match contact.get("id").and_then(Value::as_u64) {
        Some(id) if id.is_multiple_of(3) => TRICKY_NOTE,
        _ => "",
    }
}

fn csv_row(contact: &Value) -> [String; 11] {
    [
        text(contact, &["id"]),
        text(contact, &["email"]),
        text(contact, &["name", "first"]),
        text(contact, &["name", "last"]),
        text(contact, &["company"]),
        text(contact, &["amount", "value"]),
        text(contact, &["amount", "currency"]),
        text(contact, &["status"]),
        text(contact, &["tags"]),
        note(contact).to_owned(),
        text(contact, &["updated_at"]),
    ]
}

fn csv_body(contacts: &[Value], params: &Params, ragged: bool) -> Result<Vec<u8>, ApiError> {
    let delimiter = match params.get("delimiter") {
        None => b',',
        Some(d) if d.len() == 1 => d.as_bytes()[0],
        Some(d) => {
            return Err(ApiError::bad_request(format!(
                "invalid `delimiter`: one character, got `{d}`"
            )));
        }
    };
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(ragged)
        .from_writer(Vec::new());
    writer
        .write_record(CSV_COLUMNS)
        .map_err(ApiError::internal)?;
    for contact in contacts {
        writer
            .write_record(csv_row(contact))
            .map_err(ApiError::internal)?;
    }
    if ragged {
        let mut row = csv_row(contacts.last().unwrap_or(&Value::Null)).to_vec();
        row.push("one too many".to_owned());
        writer.write_record(row).map_err(ApiError::internal)?;
    }
    writer.into_inner().map_err(ApiError::internal)
}

fn jsonl_body(contacts: &[Value]) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::with_capacity(contacts.len() * 400);
    for contact in contacts {
        serde_json::to_writer(&mut out, contact).map_err(ApiError::internal)?;
        out.push(b'\n');
    }
    Ok(out)
}

fn xml_body(contacts: &[Value], page: u64, pages: u64) -> Vec<u8> {
    use quick_xml::escape::escape;
    let mut out = String::with_capacity(contacts.len() * 600 + 400);
    out.push_str(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" ",
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:crm=\"urn:mock:crm\">\n",
        "  <soap:Body>\n"
    ));
    out.push_str(&format!(
        "    <crm:ListContactsResponse page=\"{page}\" totalPages=\"{pages}\">\n"
    ));
    for c in contacts {
        let t = |path: &[&str]| escape(text(c, path)).into_owned();
        out.push_str(&format!(
            "      <crm:Contact id=\"{}\" status=\"{}\">\n",
            t(&["id"]),
            t(&["status"])
        ));
        out.push_str(&format!(
            "        <crm:Email>{}</crm:Email>\n",
            t(&["email"])
        ));
        out.push_str(&format!(
            "        <crm:Name><crm:First>{}</crm:First><crm:Last>{}</crm:Last></crm:Name>\n",
            t(&["name", "first"]),
            t(&["name", "last"])
        ));
        if c.get("company").is_some_and(|v| !v.is_null()) {
            out.push_str(&format!(
                "        <crm:Company>{}</crm:Company>\n",
                t(&["company"])
            ));
        } else {
            out.push_str("        <crm:Company xsi:nil=\"true\"/>\n");
        }
        out.push_str(&format!(
            "        <crm:Amount currency=\"{}\">{}</crm:Amount>\n",
            t(&["amount", "currency"]),
            t(&["amount", "value"])
        ));
        out.push_str("        <crm:Tags>");
        for tag in c
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let tag = tag.as_str().unwrap_or_default();
            out.push_str(&format!("<crm:Tag>{}</crm:Tag>", escape(tag)));
        }
        out.push_str("</crm:Tags>\n");
        if !note(c).is_empty() {
            out.push_str(&format!(
                "        <crm:Note><![CDATA[{}]]></crm:Note>\n",
                note(c)
            ));
        }
        out.push_str(&format!(
            "        <crm:UpdatedAt>{}</crm:UpdatedAt>\n      </crm:Contact>\n",
            t(&["updated_at"])
        ));
    }
    out.push_str("    </crm:ListContactsResponse>\n  </soap:Body>\n</soap:Envelope>\n");
    out.into_bytes()
}

/// A SOAP 1.1 Fault, as SOAP services answer with status 200 more often than they should.
const FAULT: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n",
    "  <soap:Body>\n",
    "    <soap:Fault>\n",
    "      <faultcode>soap:Server</faultcode>\n",
    "      <faultstring>INVALID_SESSION_ID: Invalid Session ID found in SessionHeader</faultstring>\n",
    "    </soap:Fault>\n",
    "  </soap:Body>\n",
    "</soap:Envelope>\n"
);
