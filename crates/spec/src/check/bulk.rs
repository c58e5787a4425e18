//! `bulk:` an asynchronous export job: its requests, the paths into its
//! answers, the poll's conditions and limits.

use std::time::Duration;

use super::actions::leaves;
use super::context::Ctx;
use super::json::to_json;
use super::names;
use super::templates;
use super::values;
use crate::model::{
    Bulk, BulkPoll, BulkRequest, DEFAULT_CHECKPOINT_EVERY, DEFAULT_MAX_DOWNLOAD, Download,
    DownloadNext, DownloadRequest, Method, Path,
};
use crate::raw::{RawBulk, RawBulkPoll, RawBulkRequest, RawDownload, RawDownloadRequest};

/// What the requests after `create` may read.
const JOB_SCOPE: &[&str] = &["env", "job", "secret"];

/// What a poll's `until:` and `failed_when:` may read.
pub(crate) const POLL_SCOPE: &[&str] = &["body", "headers"];

/// Checks `bulk:` at `path` (`streams.NAME.bulk`); `scope` is what the
/// stream's templates read (`cursor`, `env`, `secret`, a parent alias).
pub(crate) fn bulk(ctx: &mut Ctx<'_>, path: &str, raw: &RawBulk, scope: &[&str]) -> Option<Bulk> {
    let create = ctx
        .require(
            raw.create.as_ref(),
            path,
            "create",
            "{ method: POST, path: /v2/exports, json: { object: contacts } }",
        )
        .and_then(|r| request(ctx, &format!("{path}.create"), r, Method::Post, scope));
    let job_id = ctx
        .require(raw.job_id.as_ref(), path, "job_id", "\"$.id\"")
        .and_then(|p| answer_path(ctx, &format!("{path}.job_id"), p, "\"$.id\""));
    let poll = ctx
        .require(
            raw.poll.as_ref(),
            path,
            "poll",
            "{ request: { path: \"/v2/exports/{{ job.id }}\" }, until: \"body.state == 'done'\" }",
        )
        .and_then(|p| poll(ctx, &format!("{path}.poll"), p));
    let download = ctx
        .require(
            raw.download.as_ref(),
            path,
            "download",
            "\"$.files[*].url\"",
        )
        .and_then(|d| download(ctx, &format!("{path}.download"), d));
    let rows = raw
        .rows
        .as_ref()
        .map(|p| answer_path(ctx, &format!("{path}.rows"), p, "\"$.row_count\""));
    let checkpoint_every = match &raw.checkpoint_every {
        Some(n) => values::number(ctx, &format!("{path}.checkpoint_every"), n, 1),
        None => Some(DEFAULT_CHECKPOINT_EVERY),
    };
    let max_download = values::byte_size(
        ctx,
        &format!("{path}.max_download"),
        raw.max_download.as_ref(),
        DEFAULT_MAX_DOWNLOAD,
    );
    Some(Bulk {
        create: create?,
        job_id: job_id?,
        poll: poll?,
        download: download?,
        rows: values::optional(rows)?,
        checkpoint_every: checkpoint_every?,
        max_download: max_download?,
    })
}

/// Reports `request:`, `paginate:` or `records:` beside `bulk:` (`path` is
/// the stream's); true when there is none.
pub(crate) fn exclusive(ctx: &mut Ctx<'_>, path: &str, given: &[(&str, bool)]) -> bool {
    for (key, present) in given {
        if *present {
            ctx.error_at_key(
                &format!("{path}.{key}"),
                format!("`{key}` cannot be used with `bulk:`"),
                format!(
                    "a bulk stream's records come from the export's files: remove `{key}` \
                     (the export is started by `bulk.create`)"
                ),
            );
        }
    }
    !given.iter().any(|(_, present)| *present)
}

fn download(ctx: &mut Ctx<'_>, path: &str, raw: &RawDownload) -> Option<Download> {
    match raw {
        RawDownload::Path(p) => answer_path(ctx, path, p, "\"$.files[*].url\"").map(Download::Urls),
        RawDownload::Request(r) => {
            download_request(ctx, path, r).map(|r| Download::Request(Box::new(r)))
        }
    }
}

fn download_request(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: &RawDownloadRequest,
) -> Option<DownloadRequest> {
    let request = ctx
        .require(
            raw.request.as_ref(),
            path,
            "request",
            "{ path: \"/v2/exports/{{ job.id }}/results\" }",
        )
        .and_then(|r| request(ctx, &format!("{path}.request"), r, Method::Get, JOB_SCOPE));
    let next = raw.next.as_ref().map(|next| {
        let at = format!("{path}.next");
        let header = ctx
            .require(next.header.as_ref(), &at, "header", "Sforce-Locator")
            .map(|h| {
                names::header(ctx, &format!("{at}.header"), h);
                h.clone()
            });
        let param = ctx
            .require(next.param.as_ref(), &at, "param", "locator")
            .and_then(|p| values::param_name(ctx, &format!("{at}.param"), p));
        Some(DownloadNext {
            header: header?,
            param: param?,
            last: next.last.clone(),
        })
    });
    Some(DownloadRequest {
        request: request?,
        next: values::optional(next)?,
    })
}

fn poll(ctx: &mut Ctx<'_>, path: &str, raw: &RawBulkPoll) -> Option<BulkPoll> {
    let request = ctx
        .require(
            raw.request.as_ref(),
            path,
            "request",
            "{ path: \"/v2/exports/{{ job.id }}\" }",
        )
        .and_then(|r| request(ctx, &format!("{path}.request"), r, Method::Get, JOB_SCOPE));
    let every = values::positive_duration(
        ctx,
        &format!("{path}.every"),
        raw.every.as_ref(),
        Duration::from_secs(5),
    );
    let until = ctx
        .require(
            raw.until.as_ref(),
            path,
            "until",
            "\"body.state == 'done'\"",
        )
        .and_then(|c| condition(ctx, &format!("{path}.until"), c, "body.state == 'done'"));
    let failed_when = raw.failed_when.as_ref().map(|c| {
        condition(
            ctx,
            &format!("{path}.failed_when"),
            c,
            "body.state == 'failed'",
        )
    });
    let timeout = values::positive_duration(
        ctx,
        &format!("{path}.timeout"),
        raw.timeout.as_ref(),
        Duration::from_secs(3600),
    );
    Some(BulkPoll {
        request: request?,
        every: every?,
        until: until?,
        failed_when: values::optional(failed_when)?,
        timeout: timeout?,
    })
}

/// A condition over the poll answer (no braces).
fn condition(
    ctx: &mut Ctx<'_>,
    path: &str,
    source: &str,
    example: &str,
) -> Option<crate::model::Template> {
    let source = source.trim();
    if source.contains("{{") || source.contains("{%") || source.starts_with('$') {
        ctx.error(
            path,
            format!("expected a condition over `body` and `headers`, found `{source}`"),
            format!("write the expression without braces, e.g. `{example}`"),
        );
        return None;
    }
    let before = ctx.error_count();
    let t = templates::condition(ctx, path, source, POLL_SCOPE, example);
    (ctx.error_count() == before).then_some(t)
}

/// A JSONPath into a job's answer.
fn answer_path(ctx: &mut Ctx<'_>, path: &str, source: &str, example: &str) -> Option<Path> {
    let source = source.trim();
    if !source.starts_with('$') {
        ctx.error(
            path,
            format!("expected a JSONPath into the job's answer, found `{source}`"),
            format!("write a path starting with `$`, e.g. {example}"),
        );
        return None;
    }
    values::json_path(ctx, path, source)
}

fn request(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: &RawBulkRequest,
    default: Method,
    scope: &[&str],
) -> Option<BulkRequest> {
    let method = match raw
        .method
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None => Some(default),
        Some("GET") => Some(Method::Get),
        Some("POST") => Some(Method::Post),
        Some(_) => {
            let found = raw.method.as_deref().unwrap_or_default();
            ctx.error(
                &format!("{path}.method"),
                format!("unsupported method `{found}`: expected `GET` or `POST`"),
                "use `method: POST` or `method: GET`",
            );
            None
        }
    };
    let url_path = ctx
        .require(raw.path.as_ref(), path, "path", "/v2/exports")
        .map(|p| templates::template(ctx, &format!("{path}.path"), p, scope));
    for (name, _) in &raw.params.0 {
        values::param_name(ctx, &format!("{path}.params.{name}"), name);
    }
    let params = templates::pairs(ctx, &format!("{path}.params"), &raw.params, scope);
    for (name, _) in &raw.headers.0 {
        names::header(ctx, &format!("{path}.headers.{name}"), name);
    }
    let headers = templates::pairs(ctx, &format!("{path}.headers"), &raw.headers, scope);
    let json = match &raw.json {
        None => Some(None),
        Some(yaml) => match to_json(yaml) {
            Ok(json) => {
                let before = ctx.error_count();
                leaves(ctx, &format!("{path}.json"), &json, scope);
                (ctx.error_count() == before).then_some(Some(json))
            }
            Err(e) => {
                ctx.error(
                    &format!("{path}.json"),
                    format!("`json` cannot be sent as JSON: {e}"),
                    "write a mapping, e.g. `{ object: contacts, format: csv }`",
                );
                None
            }
        },
    };
    Some(BulkRequest {
        method: method?,
        path: url_path?,
        params,
        headers,
        json: json?,
    })
}

#[cfg(test)]
mod tests;
