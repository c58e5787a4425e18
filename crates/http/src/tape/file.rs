//! Cassette files: HAR 1.2 ([`har`]), one entry per exchange in the order
//! sent. What holdfast needs besides HAR's fields travels in comments as
//! JSON: the file's own (`log.comment`) and each entry's connection and
//! stream (`entries[].comment`).

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use har::v1_2::{Content, Entries, Headers, PostData, QueryString, Request, Response};
use serde_json::{Value, json};

use super::Exchange;

/// A cassette file that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CassetteError {
    /// The file could not be read or written.
    #[error("cassette {path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        error: std::io::Error,
    },
    /// The file is not a HAR 1.2 document.
    #[error(
        "cassette {path} is not a HAR 1.2 file ({error}); record it again with `holdfast record STREAM`"
    )]
    NotHar {
        /// The file.
        path: String,
        /// What the parser said.
        error: String,
    },
}

/// One exchange as a HAR entry, serialized (what a [`Recorder`](super::Recorder) spills).
pub(crate) fn entry_json(e: &Exchange) -> Vec<u8> {
    serde_json::to_vec(&entry(e)).unwrap_or_default()
}

/// Writes a HAR 1.2 document to `path`: `meta` in `log.comment`, then the
/// entries at `chosen` (offset, length) of `source`, copied one at a time
/// (one per line), so memory holds one entry whatever the cassette's size.
/// The file appears whole or not at all (written beside, then renamed).
pub(crate) fn write_entries(
    path: &Path,
    meta: &Value,
    source: Option<&mut std::fs::File>,
    chosen: &[(u64, u64)],
) -> Result<(), CassetteError> {
    use std::io::{Read, Seek, SeekFrom, Write};
    let io = |error| CassetteError::Io {
        path: path.display().to_string(),
        error,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let creator = json!({"name": "holdfast", "version": env!("CARGO_PKG_VERSION")});
    let partial = path.with_extension("har.partial");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&partial).map_err(io)?);
    let head = format!(
        "{{\"log\":{{\"version\":\"1.2\",\"creator\":{creator},\"comment\":{},\"entries\":[\n",
        Value::String(meta.to_string())
    );
    out.write_all(head.as_bytes()).map_err(io)?;
    let mut buffer = Vec::new();
    if let Some(source) = source {
        for (i, &(at, len)) in chosen.iter().enumerate() {
            source.seek(SeekFrom::Start(at)).map_err(io)?;
            buffer.clear();
            Read::by_ref(source)
                .take(len)
                .read_to_end(&mut buffer)
                .map_err(io)?;
            if i > 0 {
                out.write_all(b",\n").map_err(io)?;
            }
            out.write_all(&buffer).map_err(io)?;
        }
    }
    out.write_all(b"\n]}}\n").map_err(io)?;
    out.into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)?;
    std::fs::rename(&partial, path).map_err(io)
}

/// Reads a cassette: its `log.comment` (parsed as JSON when it is, else
/// `null`) and its exchanges in order. Entries from other tools (a browser's
/// export) are read too; they have no connection or stream.
///
/// # Errors
/// The file cannot be read or is not HAR 1.2.
pub fn read_cassette(path: &Path) -> Result<(Value, Vec<Exchange>), CassetteError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| CassetteError::Io {
        path: shown.clone(),
        error,
    })?;
    let not_har = |error: String| CassetteError::NotHar {
        path: shown.clone(),
        error,
    };
    let har = har::from_slice(&bytes).map_err(|e| not_har(error_chain(&e)))?;
    let har::Spec::V1_2(log) = har.log else {
        return Err(not_har("it is HAR 1.3".to_owned()));
    };
    let meta = log
        .comment
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or(Value::Null);
    let exchanges = log
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| exchange(e).map_err(|m| not_har(format!("entries[{i}]: {m}"))))
        .collect::<Result<_, _>>()?;
    Ok((meta, exchanges))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn entry(e: &Exchange) -> Entries {
    let millis = e.elapsed.as_secs_f64() * 1000.0;
    let query = url::Url::parse(&e.url)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| QueryString {
                    name: k.into_owned(),
                    value: v.into_owned(),
                    comment: None,
                })
                .collect()
        })
        .unwrap_or_default();
    let header = |(k, v): &(String, String)| Headers {
        name: k.clone(),
        value: v.clone(),
        comment: None,
    };
    let find = |list: &[(String, String)], name: &str| {
        list.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let (text, encoding) = match std::str::from_utf8(&e.body) {
        Ok(t) => (t.to_owned(), None),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(&e.body),
            Some("base64".to_owned()),
        ),
    };
    Entries {
        started_date_time: e.started.to_rfc3339(),
        time: millis,
        request: Request {
            method: e.method.clone(),
            url: e.url.clone(),
            http_version: "HTTP/1.1".to_owned(),
            headers: e.request_headers.iter().map(header).collect(),
            query_string: query,
            post_data: e.request_body.as_ref().map(|b| PostData {
                mime_type: find(&e.request_headers, "content-type").unwrap_or_default(),
                text: Some(b.clone()),
                params: None,
                comment: None,
            }),
            headers_size: -1,
            body_size: e.request_body.as_ref().map_or(0, |b| b.len() as i64),
            ..Request::default()
        },
        response: Response {
            status: i64::from(e.status),
            status_text: http::StatusCode::from_u16(e.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("")
                .to_owned(),
            http_version: "HTTP/1.1".to_owned(),
            headers: e.response_headers.iter().map(header).collect(),
            content: Content {
                size: e.body.len() as i64,
                mime_type: find(&e.response_headers, "content-type"),
                text: Some(text),
                encoding,
                ..Content::default()
            },
            redirect_url: Some(find(&e.response_headers, "location").unwrap_or_default()),
            headers_size: -1,
            body_size: e.body.len() as i64,
            ..Response::default()
        },
        timings: har::v1_2::Timings {
            send: 0.0,
            wait: millis,
            receive: 0.0,
            ..har::v1_2::Timings::default()
        },
        comment: Some(json!({"connection": e.connection, "stream": e.stream}).to_string()),
        ..Entries::default()
    }
}

fn exchange(e: Entries) -> Result<Exchange, String> {
    let tags: Value = e
        .comment
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or(Value::Null);
    let text = e.response.content.text.unwrap_or_default();
    let body = if e.response.content.encoding.as_deref() == Some("base64") {
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|err| format!("response.content.text is not base64 ({err})"))?
            .into()
    } else {
        Bytes::from(text)
    };
    let status = u16::try_from(e.response.status)
        .ok()
        .filter(|s| (100..600).contains(s))
        .ok_or_else(|| {
            format!(
                "response.status {} is not an HTTP status",
                e.response.status
            )
        })?;
    let started = DateTime::parse_from_rfc3339(&e.started_date_time)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let pairs = |list: Vec<Headers>| list.into_iter().map(|h| (h.name, h.value)).collect();
    Ok(Exchange {
        connection: tags["connection"].as_str().unwrap_or_default().to_owned(),
        stream: tags["stream"].as_str().map(str::to_owned),
        started,
        method: e.request.method.to_ascii_uppercase(),
        url: e.request.url,
        request_headers: pairs(e.request.headers),
        request_body: e.request.post_data.and_then(|p| p.text),
        status,
        response_headers: pairs(e.response.headers),
        body,
        elapsed: Duration::from_secs_f64((e.time.max(0.0)) / 1000.0),
    })
}
