//! Asynchronous bulk exports: `POST /v2/exports` starts a job, `GET
//! /v2/exports/{id}` tells its state, and once it is done its files are
//! streamed from `GET /v2/exports/{id}/files/{n}?sig=…`, generated on the
//! fly (a million rows cost no memory), as CSV or JSON Lines, gzipped when
//! asked. Knobs in the create body make a job fail, never finish, hand out
//! links that expire, point its files at another host, or lie about its size.

use std::io::Write;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::data::{CSV_HEADER, Contact, Item};
use crate::error::ApiError;
use crate::exports::{ExportRequest, Job};
use crate::query::Params;
use crate::state::MockState;

/// Rows per streamed chunk.
const CHUNK: u64 = 1000;

/// `POST /v2/exports`: 202 `{"id": "exp_1", "state": "pending"}`.
pub(crate) async fn create(
    State(state): State<MockState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: ExportRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid export request: {e}")))?;
    if request.object != "contacts" {
        return Err(ApiError::bad_request(format!(
            "unknown object `{}`; only `contacts` can be exported",
            request.object
        )));
    }
    if !matches!(request.format.as_deref(), None | Some("csv" | "jsonl")) {
        return Err(ApiError::bad_request("`format` is `csv` or `jsonl`"));
    }
    let from = match request.since.as_deref().filter(|s| !s.is_empty()) {
        None => 1,
        Some(since) => {
            let params = Params::parse(Some(&format!("updated_since={since}")));
            params.since()?.max(1)
        }
    };
    let last = request.rows.unwrap_or(state.config().records);
    let rows = (last + 1).saturating_sub(from);
    let files = request.files.unwrap_or(1).clamp(1, 100);
    let id = state.exports().with(|jobs| {
        let id = format!("exp_{}", jobs.len() + 1);
        jobs.push(Job {
            id: id.clone(),
            request,
            from,
            rows,
            polls: 0,
            issued: vec![0; files as usize],
            downloads: 0,
        });
        id
    });
    let body = json!({ "id": id, "state": "pending" });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// `GET /v2/exports/{id}`: `{"id", "state": "pending"}` for the first
/// `pending_polls` polls, then `{"state": "done", "files": [{"url"}], "row_count"}`
/// (or `{"state": "failed", "error": …}`).
pub(crate) async fn status(
    State(state): State<MockState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    state.exports().with(|jobs| {
        let job = jobs
            .iter_mut()
            .find(|j| j.id == id)
            .ok_or_else(|| ApiError::not_found(format!("no export `{id}`")))?;
        job.polls += 1;
        if job.polls <= job.request.pending_polls.unwrap_or(2) {
            return Ok(Json(json!({ "id": id, "state": "pending" })));
        }
        if job.request.fail {
            return Ok(Json(json!({
                "id": id, "state": "failed", "error": "the export ran out of memory"
            })));
        }
        let host = match &job.request.file_host {
            Some(other) => match host.rsplit_once(':') {
                Some((_, port)) => format!("{other}:{port}"),
                None => other.clone(),
            },
            None => host,
        };
        let mut files = Vec::new();
        for (n, issued) in job.issued.iter_mut().enumerate() {
            *issued += 1;
            files.push(json!({
                "url": format!("http://{host}/v2/exports/{id}/files/{n}?sig={issued}")
            }));
        }
        Ok(Json(json!({
            "id": id,
            "state": "done",
            "files": files,
            "row_count": job.rows + job.request.lie_rows,
        })))
    })
}

/// `GET /v2/exports/{id}/files/{n}?sig=…`: the file, streamed (no auth: the
/// link is the permission, as with pre-signed storage links). 403 for an
/// expired link, 404 for an unknown job or file.
pub(crate) async fn file(
    State(state): State<MockState>,
    Path((id, n)): Path<(String, usize)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let sig: u64 = Params::parse(query.as_deref()).number("sig", 0)?;
    let job = state.exports().with(|jobs| {
        let job = jobs.iter_mut().find(|j| j.id == id)?;
        job.downloads += 1;
        Some(job.clone())
    });
    let job = job.ok_or_else(|| ApiError::not_found(format!("no export `{id}`")))?;
    let Some(&issued) = job.issued.get(n) else {
        return Err(ApiError::not_found(format!(
            "export `{id}` has no file {n}"
        )));
    };
    if sig == 0 || sig > issued || (job.request.expire_first && sig == 1) {
        let body = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";
        return Ok((
            StatusCode::FORBIDDEN,
            [(CONTENT_TYPE, "application/xml")],
            body,
        )
            .into_response());
    }
    // this file's share of the rows
    let files = job.issued.len() as u64;
    let per = job.rows.div_ceil(files);
    let first = job.from + per * n as u64;
    let end = (first + per).min(job.from + job.rows);
    let end = if job.request.truncate {
        first + (end.saturating_sub(first)) / 2
    } else {
        end
    };
    let render = state.render();
    let csv = job.request.format.as_deref() != Some("jsonl");
    let gzip = job.request.gzip;
    let truncate = job.request.truncate;
    let delay = Duration::from_millis(job.request.delay_ms);
    let start = Writer {
        gz: gzip.then(|| flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast())),
    };
    let chunks = futures::stream::unfold(Some((first, start, true)), move |next| async move {
        let (from, mut out, header) = next?;
        if !header && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut buf = Vec::with_capacity(256 * 1024);
        if header && csv {
            buf.extend_from_slice(CSV_HEADER.as_bytes());
            buf.push(b'\n');
        }
        let to = (from + CHUNK).min(end);
        for id in from..to {
            let contact = Contact::render(render, Item::base(id));
            if csv {
                contact.write_csv(&mut buf);
            } else if serde_json::to_writer(&mut buf, &contact).is_ok() {
                buf.push(b'\n');
            }
        }
        if to >= end && truncate {
            // half a row more, and no end to the gzip stream
            buf.extend_from_slice(b"999999999,cut");
        }
        let bytes = out.push(&buf, to >= end && !truncate);
        let next = (to < end).then_some((to, out, false));
        Some((Ok::<_, std::io::Error>(Bytes::from(bytes)), next))
    });
    let content_type = match (gzip, csv) {
        (true, _) => "application/gzip",
        (false, true) => "text/csv",
        (false, false) => "application/x-ndjson",
    };
    Ok(([(CONTENT_TYPE, content_type)], Body::from_stream(chunks)).into_response())
}

/// Bytes out, gzipped or not.
struct Writer {
    gz: Option<flate2::write::GzEncoder<Vec<u8>>>,
}

impl Writer {
    /// The bytes to send for `data`; with `last`, the gzip trailer too.
    fn push(&mut self, data: &[u8], last: bool) -> Vec<u8> {
        match &mut self.gz {
            None => data.to_vec(),
            Some(gz) => {
                let _ = gz.write_all(data);
                if last {
                    let _ = gz.try_finish();
                }
                std::mem::take(gz.get_mut())
            }
        }
    }
}

/// `GET /_mock/exports`: `{"created": n, "jobs": [{"id", "polls", "downloads", "rows"}]}`.
pub(crate) async fn log(State(state): State<MockState>) -> Json<Value> {
    let jobs = state.exports().with(|jobs| {
        jobs.iter()
            .map(|j| json!({ "id": j.id, "polls": j.polls, "downloads": j.downloads, "rows": j.rows }))
            .collect::<Vec<_>>()
    });
    Json(json!({ "created": jobs.len(), "jobs": jobs }))
}
