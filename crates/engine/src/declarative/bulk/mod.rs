//! A bulk stream: start an export job, poll it until it is done, download
//! its files to disk and hand out their records `checkpoint_every` at a time.
//!
//! The position saved with each committed page carries the job (see
//! [`BulkPosition`]): the first page is empty and only names the job, so a
//! crash while polling resumes polling the same job and never starts a
//! second export; a crash while reading a file downloads it again and skips
//! the records already committed.

mod download;
mod file;
mod position;
mod requests;

use std::sync::Arc;

use async_trait::async_trait;
use holdfast_http::{HttpResponse, RequestTags};
use holdfast_spec::{Bulk, Stream};
use serde_json::Value;

use super::connection::Connection;
use crate::SourceError;
use crate::source::{Page, PageReader, ReadScope};
use crate::template::{Renderer, Vars};
use file::OpenFile;
use position::{BulkPosition, Stage};

pub(crate) use requests::compile;

/// Reads one bulk stream (see the module docs).
pub(crate) struct BulkReader<'a> {
    stream: &'a Stream,
    bulk: &'a Bulk,
    conn: &'a Connection,
    renderer: &'a Renderer,
    cursor: Option<Value>,
    tags: Arc<RequestTags>,
    /// The file being read, once downloaded (removed from disk on drop);
    /// in a mutex only so the reader is `Sync` (it is never contended).
    open: std::sync::Mutex<Option<OpenFile>>,
    /// No page was read yet: a position handed to the first read comes from an earlier run.
    fresh: bool,
}

impl<'a> BulkReader<'a> {
    pub(crate) fn new(
        stream: &'a Stream,
        bulk: &'a Bulk,
        conn: &'a Connection,
        renderer: &'a Renderer,
        scope: ReadScope,
    ) -> Self {
        let tags = Arc::new(RequestTags {
            run: scope.run,
            stream: Some(stream.name.clone()),
            endpoint: Some(format!(
                "{} {} (bulk)",
                crate::http_method(bulk.create.method).as_str(),
                bulk.create.path.source
            )),
        });
        BulkReader {
            stream,
            bulk,
            conn,
            renderer,
            cursor: scope.cursor,
            tags,
            open: std::sync::Mutex::new(None),
            fresh: true,
        }
    }

    /// `stream `x`, export job `j``: how messages name what they are about.
    fn job_name(&self, job: &str) -> String {
        format!("stream `{}`, export job `{job}`", self.stream.name)
    }

    /// Starts the export; the page is empty and its `next` names the job.
    async fn create(&self) -> Result<Page, SourceError> {
        let vars = Vars::default().with("cursor", self.cursor.as_ref());
        let mut request = self.request("create", &self.bulk.create, &vars)?;
        // Sent once: a retry after it may have reached the server could
        // start a second export.
        request.idempotent = false;
        let response = self.conn.client.send(request).await?;
        let body = response.json.clone().unwrap_or(Value::Null);
        let found = self.bulk.job_id.path.query(&body).all();
        let job = match found.first() {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(SourceError::Other(format!(
                    "stream `{}`: the export was started, but its answer has no job id at \
                     `{}` (`bulk.job_id`), so it cannot be followed; fix `bulk.job_id`. \
                     The answer: {}",
                    self.stream.name,
                    self.bulk.job_id.source,
                    self.excerpt(&response)
                )));
            }
        };
        tracing::info!(stream = %self.stream.name, %job, "started an export job");
        Ok(Page {
            next: Some(BulkPosition::poll(&job).to_value()),
            ..Page::default()
        })
    }

    /// Polls `job` until it is done; the page is empty and its `next` lists the files.
    async fn poll(&self, job: &str) -> Result<Page, SourceError> {
        let resumed = self.fresh;
        let body = match self.wait_until_done(job).await {
            Err(Failed::Job(message)) if resumed => {
                // An earlier run's job failed: that export is over, start another.
                tracing::warn!(stream = %self.stream.name, %job, "the export job an earlier run started has failed ({message}); starting a new export");
                return self.create().await;
            }
            Err(Failed::Job(message) | Failed::Other(message)) => {
                return Err(SourceError::Other(message));
            }
            Err(Failed::Source(e)) => return Err(e),
            Ok(body) => body,
        };
        let (urls, rows) = self.files_of(job, &body)?;
        if resumed {
            tracing::warn!(stream = %self.stream.name, %job, "resumed the export job an earlier run started");
        }
        let next = BulkPosition {
            at: "bulk".to_owned(),
            job: job.to_owned(),
            stage: Stage::Download {
                urls,
                file: 0,
                record: 0,
                done: 0,
                rows,
            },
        };
        Ok(Page {
            next: Some(next.to_value()),
            ..Page::default()
        })
    }

    /// Asks for `job`'s state every `poll.every` until `until` holds;
    /// `failed_when` holding, or `poll.timeout` passing, is an error.
    async fn wait_until_done(&self, job: &str) -> Result<Value, Failed> {
        let poll = &self.bulk.poll;
        let started = tokio::time::Instant::now();
        let prefix = format!("streams.{}.bulk.poll", self.stream.name);
        loop {
            let response = self.poll_once(job).await.map_err(Failed::Source)?;
            let body = response.json.clone().unwrap_or(Value::Null);
            let vars = Vars::default()
                .with("body", Some(&body))
                .with("headers", Some(&headers_json(&response)));
            if poll.failed_when.is_some()
                && self
                    .renderer
                    .holds(&format!("{prefix}.failed_when"), &vars)
                    .map_err(Failed::Source)?
            {
                return Err(Failed::Job(format!(
                    "{}: the job failed (`failed_when: {}` holds); nothing of it was \
                     written. The job's answer: {}",
                    self.job_name(job),
                    poll.failed_when.as_ref().map_or("", |t| t.source.as_str()),
                    self.excerpt(&response)
                )));
            }
            if self
                .renderer
                .holds(&format!("{prefix}.until"), &vars)
                .map_err(Failed::Source)?
            {
                return Ok(body);
            }
            if started.elapsed() + poll.every > poll.timeout {
                return Err(Failed::Other(format!(
                    "{}: not done after {} (`poll.timeout`); nothing of it was written. \
                     The job was not cancelled: the next run polls it again. Raise \
                     `bulk.poll.timeout` if exports take this long. The job's last answer: {}",
                    self.job_name(job),
                    humantime::format_duration(poll.timeout),
                    self.excerpt(&response)
                )));
            }
            tokio::time::sleep(poll.every).await;
        }
    }

    /// One poll request for `job`.
    async fn poll_once(&self, job: &str) -> Result<HttpResponse, SourceError> {
        let job_value = serde_json::json!({ "id": job });
        let vars = Vars::default().with("job", Some(&job_value));
        let request = self.request("poll.request", &self.bulk.poll.request, &vars)?;
        Ok(self.conn.client.send(request).await?)
    }

    /// The next page of the files at `position`.
    async fn read_files(&mut self, position: BulkPosition) -> Result<Page, SourceError> {
        let BulkPosition { job, stage, .. } = position;
        let Stage::Download {
            mut urls,
            mut file,
            mut record,
            mut done,
            rows,
        } = stage
        else {
            return Err(SourceError::Other("not a download position".to_owned()));
        };
        let files = urls.len();
        let held = self
            .open
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .filter(|o| o.index() == file);
        let open = match held {
            Some(open) => open,
            None => {
                let spool = self.download(&job, &mut urls, file).await?;
                let mut open = OpenFile::open(file, spool, &self.stream.format)
                    .map_err(|e| self.file_error(&job, file, files, &e))?;
                if record > 0 {
                    tracing::warn!(
                        stream = %self.stream.name, %job,
                        "resuming export job `{job}` at record {} of file {} of {files}: the \
                         file was downloaded again and its first {record} records (committed \
                         before the interruption) are skipped",
                        record + 1,
                        file + 1,
                    );
                    let skip = record_count(record);
                    open = blocking(move || open.skip(skip).map(|()| open))
                        .await?
                        .map_err(|e| self.file_error(&job, file, files, &e))?;
                }
                open
            }
        };
        let n = record_count(self.bulk.checkpoint_every);
        let (taken, open) = blocking(move || {
            let mut open = open;
            (open.take(n), open)
        })
        .await?;
        // A results chain learns the next file's URL as each file arrives.
        let files = urls.len();
        let (records, ended) = taken.map_err(|e| self.file_error(&job, file, files, &e))?;
        if !ended {
            *self
                .open
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(open);
        }
        record += records.len() as u64;
        let more = !ended || file + 1 < files;
        if ended && more {
            done += record;
            file += 1;
            record = 0;
        }
        if !more {
            let total = done + record;
            if let Some(expected) = rows
                && expected != total
            {
                return Err(SourceError::Other(format!(
                    "{}: the job says it exported {expected} rows (`bulk.rows`), but its \
                     files hold {total}; the files are incomplete or the count is wrong, so \
                     the export is not taken as done (its last {} records were not written)",
                    self.job_name(&job),
                    records.len()
                )));
            }
            tracing::info!(stream = %self.stream.name, %job, records = total, "read every file of the export job");
        }
        let next = more.then(|| {
            BulkPosition {
                at: "bulk".to_owned(),
                job: job.clone(),
                stage: Stage::Download {
                    urls,
                    file,
                    record,
                    done,
                    rows,
                },
            }
            .to_value()
        });
        Ok(Page {
            records,
            next,
            ..Page::default()
        })
    }

    fn file_error(
        &self,
        job: &str,
        file: usize,
        files: usize,
        e: &dyn std::fmt::Display,
    ) -> SourceError {
        SourceError::Other(format!(
            "{}, file {} of {}: {e}",
            self.job_name(job),
            file + 1,
            files
        ))
    }

    /// The start of `response`'s body, redacted, for messages.
    fn excerpt(&self, response: &HttpResponse) -> String {
        self.conn
            .client
            .redactor()
            .text(&holdfast_http::excerpt(&response.body, 300))
    }
}

/// Why polling stopped without a done job.
enum Failed {
    /// `failed_when` held.
    Job(String),
    /// The timeout passed.
    Other(String),
    /// A request or a condition failed.
    Source(SourceError),
}

fn record_count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Runs `f` on the blocking pool (decoding is CPU and disk work).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SourceError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SourceError::Other(format!("reading a downloaded file failed: {e}")))
}

/// Response headers as a JSON object (lower-case names; repeated ones joined).
fn headers_json(response: &HttpResponse) -> Value {
    let mut map = serde_json::Map::new();
    for name in response.headers.keys() {
        if let Some(v) = response.header_joined(name.as_str()) {
            map.insert(name.as_str().to_owned(), Value::String(v));
        }
    }
    Value::Object(map)
}

fn excerpt_value(body: &Value) -> String {
    holdfast_http::excerpt(body.to_string().as_bytes(), 300)
}

#[async_trait]
impl PageReader for BulkReader<'_> {
    async fn read_page(&mut self, position: &Value) -> Result<Page, SourceError> {
        if position.is_null() {
            self.fresh = false;
            return self.create().await;
        }
        let position = BulkPosition::parse(&self.stream.name, position)?;
        let page = match &position.stage {
            Stage::Poll => {
                let job = position.job.clone();
                self.poll(&job).await
            }
            Stage::Download { .. } => self.read_files(position).await,
        };
        self.fresh = false;
        page
    }
}
