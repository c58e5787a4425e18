//! A done job's files: where they are, fetching each to a spool file, and
//! following a results chain (`download.next`) from file to file.

use std::time::Duration;

use holdfast_http::{HttpError, HttpRequest, HttpResponse};
use holdfast_spec::{BulkRequest, Download, DownloadNext};
use serde_json::Value;
use url::Url;

use super::{BulkReader, excerpt_value, file};
use crate::SourceError;
use crate::template::Vars;

/// The longest one file's download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(3600);

impl BulkReader<'_> {
    /// The file URLs (checked to be fetchable) and the announced row count of a done job.
    pub(super) fn files_of(
        &self,
        job: &str,
        body: &Value,
    ) -> Result<(Vec<String>, Option<u64>), SourceError> {
        let fail = |what: String| SourceError::Other(format!("{}: {what}", self.job_name(job)));
        let rows = match &self.bulk.rows {
            None => None,
            Some(path) => {
                let found = path.path.query(body).all();
                let n = found.first().and_then(|v| match v {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                });
                Some(n.ok_or_else(|| {
                    fail(format!(
                        "the done answer has no row count at `{}` (`bulk.rows`): {}",
                        path.source,
                        excerpt_value(body)
                    ))
                })?)
            }
        };
        let path = match &self.bulk.download {
            Download::Urls(path) => path,
            Download::Request(download) => {
                let request = self.download_request(job, &download.request)?;
                let url = self.file_url(request.url.as_str()).map_err(fail)?;
                return Ok((vec![url.into()], rows));
            }
        };
        let mut urls = Vec::new();
        for v in path.path.query(body).all() {
            let Value::String(raw) = v else {
                return Err(fail(format!(
                    "`{}` (`bulk.download`) found {v}, not a URL",
                    path.source
                )));
            };
            urls.push(self.file_url(raw).map_err(fail)?.into());
        }
        if urls.is_empty() && rows != Some(0) {
            return Err(fail(format!(
                "the job says it is done but its answer has no file URL at `{}` \
                 (`bulk.download`){}; nothing was written. The answer: {}",
                path.source,
                rows.map(|n| format!(" although it counts {n} rows"))
                    .unwrap_or_default(),
                excerpt_value(body)
            )));
        }
        Ok((urls, rows))
    }

    /// A file URL, joined to the base URL when relative, without query
    /// credentials, once known to be somewhere the connection may fetch.
    fn file_url(&self, raw: &str) -> Result<Url, String> {
        let mut url = crate::declarative::reader::join_url(&self.conn.base_url, raw)
            .map_err(|e| format!("the file URL is unusable: {e}"))?;
        let client = &self.conn.client;
        client.strip_credentials(&mut url);
        if client.scope().reach(&url) == holdfast_http::Reach::Refused {
            return Err(format!(
                "the file URL {} leaves connection `{}`'s origin {}; it was not requested, \
                 so no credentials went there and nothing was written. If the API hands out \
                 download links on that host (pre-signed storage links), list it under the \
                 connection's `allowed_hosts:` (it is then fetched without credentials)",
                client.redactor().url(&url),
                client.connection(),
                client.scope().origin(),
            ));
        }
        Ok(url)
    }

    /// Downloads file `index` of `urls` to a spool file. A link that answers
    /// 403, 404 or 410 (expired) makes the job hand out fresh links, once.
    pub(super) async fn download(
        &self,
        job: &str,
        urls: &mut Vec<String>,
        index: usize,
    ) -> Result<tempfile::TempPath, SourceError> {
        let mut repolled = false;
        loop {
            let raw = urls.get(index).cloned().unwrap_or_default();
            let url = self
                .file_url(&raw)
                .map_err(|e| SourceError::Other(format!("{}: {e}", self.job_name(job))))?;
            let spool = file::spool().map_err(|e| {
                SourceError::Other(format!(
                    "{}: could not create a file to download into: {e}",
                    self.job_name(job)
                ))
            })?;
            let save_to = Some(holdfast_http::SaveTo {
                path: spool.to_path_buf(),
                max_bytes: self.bulk.max_download,
                timeout: DOWNLOAD_TIMEOUT,
            });
            let request = match &self.bulk.download {
                Download::Urls(_) => HttpRequest {
                    save_to,
                    expect_json: false,
                    tags: self.tags.clone(),
                    ..HttpRequest::get_json(url)
                },
                Download::Request(download) => HttpRequest {
                    url,
                    save_to,
                    expect_json: false,
                    ..self.download_request(job, &download.request)?
                },
            };
            match self.conn.client.send(request).await {
                Ok(response) => {
                    tracing::info!(stream = %self.stream.name, %job, file = index + 1, bytes = response.saved.unwrap_or(0), "downloaded a file of the export job");
                    if let Download::Request(download) = &self.bulk.download
                        && let Some(next) = &download.next
                    {
                        self.chain(job, next, &response, urls, index)?;
                    }
                    return Ok(spool);
                }
                Err(e)
                    if !repolled
                        && expired(&e)
                        && matches!(self.bulk.download, Download::Urls(_)) =>
                {
                    tracing::warn!(stream = %self.stream.name, %job, "the link to file {} answered {} (expired?); asking the job for fresh links", index + 1, e.status.unwrap_or(0));
                    repolled = true;
                    let response = self.poll_once(job).await?;
                    let body = response.json.unwrap_or(Value::Null);
                    let (fresh, _) = self.files_of(job, &body)?;
                    if fresh.len() != urls.len() {
                        return Err(SourceError::Other(format!(
                            "{}: asked again for its file links, the job names {} files \
                             instead of {}; run with --full-refresh to start a new export",
                            self.job_name(job),
                            fresh.len(),
                            urls.len()
                        )));
                    }
                    *urls = fresh;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// `download.request` for `job`.
    fn download_request(
        &self,
        job: &str,
        request: &BulkRequest,
    ) -> Result<HttpRequest, SourceError> {
        let job_value = serde_json::json!({ "id": job });
        let vars = Vars::default().with("job", Some(&job_value));
        self.request("download.request", request, &vars)
    }

    /// Reads the next file's token from file `index`'s answer: `urls` then
    /// ends with that file, followed by the next one's URL unless it was the
    /// last. A missing header (when `last:` is set) or a token seen before
    /// is an error, never an early or endless end.
    fn chain(
        &self,
        job: &str,
        next: &DownloadNext,
        response: &HttpResponse,
        urls: &mut Vec<String>,
        index: usize,
    ) -> Result<(), SourceError> {
        let fail = |what: String| {
            SourceError::Other(format!(
                "{}, file {}: {what}; the records of earlier files are committed and the \
                 next run resumes at this file",
                self.job_name(job),
                index + 1
            ))
        };
        let value = response
            .header_joined(&next.header)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let token = match (value, &next.last) {
            (Some(v), Some(last)) if &v == last => None,
            (Some(v), _) => Some(v),
            (None, None) => None,
            (None, Some(last)) => {
                return Err(fail(format!(
                    "the answer has no `{}` header, so it cannot be told whether more files \
                     follow (the last file says `{last}`: `bulk.download.next.last`)",
                    next.header
                )));
            }
        };
        urls.truncate(index + 1);
        let Some(token) = token else {
            return Ok(());
        };
        let token_of = |raw: &str| {
            Url::parse(raw).ok().and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == next.param.as_str())
                    .map(|(_, v)| v.into_owned())
            })
        };
        if let Some(seen) = urls
            .iter()
            .position(|u| token_of(u).as_deref() == Some(&token))
        {
            return Err(fail(format!(
                "`{}: {token}` names file {} again; the chain of files would loop",
                next.header,
                seen + 1
            )));
        }
        let mut url = urls
            .get(index)
            .and_then(|u| Url::parse(u).ok())
            .ok_or_else(|| fail("the file's URL is unusable".to_owned()))?;
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != next.param.as_str())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair(&next.param, &token);
        urls.push(url.into());
        Ok(())
    }
}

/// A link that stopped working: expired, or gone.
fn expired(e: &HttpError) -> bool {
    e.kind() == holdfast_http::HttpErrorKind::Status && matches!(e.status, Some(403 | 404 | 410))
}
