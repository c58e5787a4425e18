//! Cassettes: every exchange of a run kept (redacted) for replay, and
//! answers served from a cassette instead of the network.
//!
//! A [`Tape`] sits at the bottom of a connection's stack, in the transport,
//! so it sees each attempt as sent (credentials included, which it hides)
//! and each answer as received. [`Tape::Record`] sends as usual and keeps
//! the exchange in a [`Recorder`]; [`Tape::Replay`] sends nothing and
//! answers from a [`Cassette`], refusing any request the cassette does not
//! hold (strict replay: an unrecorded request is a failed test, not a
//! guess). Cassettes are HAR 1.2 files ([`har`]), so browser and proxy
//! tools open them.

mod file;
mod hide;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use url::Url;

pub use file::{CassetteError, read_cassette};
pub use hide::hide_body;

use crate::{HttpRequest, Redactor};

/// Where a connection's requests go: recorded on the way, or answered
/// from a cassette.
#[derive(Clone, Debug)]
pub enum Tape {
    /// Send, and keep every exchange (redacted) in the recorder.
    Record(Arc<Recorder>),
    /// Send nothing: answer from the cassette.
    Replay(Arc<Cassette>),
}

/// One request and its answer, as a cassette keeps them: secrets hidden.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The connection that sent it.
    pub connection: String,
    /// The stream it was for, if any.
    pub stream: Option<String>,
    /// When it was sent.
    pub started: DateTime<Utc>,
    /// "GET", "POST", ….
    pub method: String,
    /// The URL, credentials hidden.
    pub url: String,
    /// Request headers, credentials hidden.
    pub request_headers: Vec<(String, String)>,
    /// The request body (text, secrets hidden), if any.
    pub request_body: Option<String>,
    /// The answer's status.
    pub status: u16,
    /// The answer's headers (cookie values and credentials hidden).
    pub response_headers: Vec<(String, String)>,
    /// The answer's body (secrets hidden when it is text).
    pub body: Bytes,
    /// Time from sending to the last body byte.
    pub elapsed: Duration,
}

/// Stops a run once some stream has had this many successful answers
/// (`holdfast record --pages N`, and its replay).
pub struct PageLimit {
    /// The answers after which `reached` is called (once).
    pub pages: u64,
    /// What stops the run (cancels its stop token).
    pub reached: Box<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for PageLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PageLimit({})", self.pages)
    }
}

impl PageLimit {
    fn check(limit: Option<&PageLimit>, count: u64) {
        if let Some(limit) = limit
            && count == limit.pages
        {
            (limit.reached)();
        }
    }
}

/// Keeps the exchanges of a recording run, in order, spilled to an
/// anonymous temporary file as they come: memory holds an index, not the
/// answers, however long the run.
#[derive(Debug, Default)]
pub struct Recorder {
    spill: Mutex<Spill>,
    /// Answers kept so far per stream (2xx only), to stop after N pages.
    pages: Mutex<HashMap<String, u64>>,
    limit: Option<PageLimit>,
}

#[derive(Debug, Default)]
struct Spill {
    file: Option<std::fs::File>,
    /// Each exchange's stream and where its HAR entry lies in the file.
    index: Vec<(Option<String>, u64, u64)>,
    end: u64,
    /// The first write that failed: the recording is incomplete.
    error: Option<String>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// An empty recorder that calls `limit.reached` once a stream has had
    /// `limit.pages` successful answers.
    pub fn with_limit(limit: PageLimit) -> Recorder {
        Recorder {
            limit: Some(limit),
            ..Recorder::default()
        }
    }

    /// Keeps one exchange: `request` as sent and its answer, both passed
    /// through `redactor` (the connection's) and the cassette rules of
    /// [`hide`](self::hide_body).
    #[allow(clippy::too_many_arguments)]
    pub fn keep(
        &self,
        connection: &str,
        request: &HttpRequest,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: Bytes,
        elapsed: Duration,
        redactor: &Redactor,
    ) {
        let exchange = hide::exchange(
            connection, request, status, headers, body, elapsed, redactor,
        );
        if (200..300).contains(&status)
            && let Some(stream) = &exchange.stream
        {
            let count = {
                let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
                let count = pages.entry(stream.clone()).or_default();
                *count += 1;
                *count
            };
            PageLimit::check(self.limit.as_ref(), count);
        }
        let entry = file::entry_json(&exchange);
        let mut spill = self.spill.lock().unwrap_or_else(|e| e.into_inner());
        if spill.error.is_some() {
            return;
        }
        if let Err(e) = spill.append(exchange.stream, &entry) {
            spill.error = Some(format!(
                "could not keep an exchange in a temporary file: {e}"
            ));
        }
    }

    /// Writes the exchanges whose stream `wanted` accepts (`None`: a request
    /// no stream sent) to `path` as a HAR 1.2 cassette with `meta`, in the
    /// order sent; returns how many. The file appears whole or not at all.
    ///
    /// # Errors
    /// The recording could not be kept (a temporary file failed), or the
    /// cassette cannot be written.
    pub fn write(
        &self,
        path: &std::path::Path,
        meta: &serde_json::Value,
        wanted: impl Fn(Option<&str>) -> bool,
    ) -> Result<usize, CassetteError> {
        let mut spill = self.spill.lock().unwrap_or_else(|e| e.into_inner());
        let io = |error| CassetteError::Io {
            path: path.display().to_string(),
            error,
        };
        if let Some(e) = &spill.error {
            return Err(io(std::io::Error::other(e.clone())));
        }
        let chosen: Vec<(u64, u64)> = spill
            .index
            .iter()
            .filter(|(stream, _, _)| wanted(stream.as_deref()))
            .map(|&(_, at, len)| (at, len))
            .collect();
        let count = chosen.len();
        let source = spill.file.as_mut();
        file::write_entries(path, meta, source, &chosen)?;
        Ok(count)
    }
}

impl Spill {
    fn append(&mut self, stream: Option<String>, entry: &[u8]) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        if self.file.is_none() {
            self.file = Some(tempfile::tempfile()?);
        }
        let Some(file) = self.file.as_mut() else {
            return Err(std::io::Error::other("no temporary file"));
        };
        file.seek(SeekFrom::Start(self.end))?;
        file.write_all(entry)?;
        self.index.push((stream, self.end, entry.len() as u64));
        self.end += entry.len() as u64;
        Ok(())
    }
}

/// A request a replay was asked for that its cassette does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    /// The connection that asked.
    pub connection: String,
    /// The stream it was for, if any.
    pub stream: Option<String>,
    /// "GET /v2/contacts?cursor=…", credentials hidden.
    pub request: String,
}

/// A cassette being replayed: answers keyed by method, path, query and
/// body; the same request asked again gets the next recorded answer (a
/// retried `429` then its `200`), and the last one once they run out.
#[derive(Debug)]
pub struct Cassette {
    exchanges: Vec<Exchange>,
    answers: Mutex<HashMap<String, VecDeque<usize>>>,
    last: Mutex<HashMap<String, usize>>,
    misses: Mutex<Vec<Miss>>,
    served: Mutex<BTreeMap<String, u64>>,
    limit: Option<PageLimit>,
    /// The limit was reached: requests past it are the run's read-ahead,
    /// not the connector asking for something new.
    past_limit: std::sync::atomic::AtomicBool,
}

impl Cassette {
    /// A cassette of `exchanges`, in the order recorded.
    pub fn new(exchanges: Vec<Exchange>) -> Cassette {
        let mut answers: HashMap<String, VecDeque<usize>> = HashMap::new();
        for (i, e) in exchanges.iter().enumerate() {
            let body = e.request_body.as_deref().unwrap_or("");
            if let Ok(url) = Url::parse(&e.url) {
                answers
                    .entry(key(&e.method, &url, body))
                    .or_default()
                    .push_back(i);
            }
        }
        Cassette {
            exchanges,
            answers: Mutex::new(answers),
            last: Mutex::new(HashMap::new()),
            misses: Mutex::new(Vec::new()),
            served: Mutex::new(BTreeMap::new()),
            limit: None,
            past_limit: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// This cassette calling `limit.reached` once a stream has been served
    /// `limit.pages` successful answers (a cassette recorded with `--pages N`:
    /// the recorded answers). Requests past that point are refused but not
    /// counted as misses: they are the run reading ahead of its stop.
    #[must_use]
    pub fn with_limit(mut self, limit: PageLimit) -> Cassette {
        self.limit = Some(limit);
        self
    }

    /// The recorded answer to `request` (its URL and body hidden with
    /// `redactor` first, as they were when recorded); `None`, noted as a
    /// [`Miss`], when the cassette does not hold it.
    pub fn answer(
        &self,
        connection: &str,
        request: &HttpRequest,
        redactor: &Redactor,
    ) -> Option<&Exchange> {
        let shown = redactor.url(&request.url);
        let url = Url::parse(&shown).unwrap_or_else(|_| request.url.clone());
        let body = request
            .body
            .as_ref()
            .map(|b| hide_body(&String::from_utf8_lossy(b), redactor))
            .unwrap_or_default();
        let key = key(request.method.as_str(), &url, &body);
        let next = {
            let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
            answers.get_mut(&key).and_then(VecDeque::pop_front)
        };
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let index = match next {
            Some(i) => {
                last.insert(key, i);
                i
            }
            None => match last.get(&key) {
                Some(&i) => i,
                None if self.past_limit.load(std::sync::atomic::Ordering::SeqCst) => return None,
                None => {
                    let mut target = url.path().to_owned();
                    if let Some(q) = url.query() {
                        target.push('?');
                        target.push_str(q);
                    }
                    self.misses
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(Miss {
                            connection: connection.to_owned(),
                            stream: request.tags.stream.clone(),
                            request: format!("{} {target}", request.method.as_str()),
                        });
                    return None;
                }
            },
        };
        let exchange = self.exchanges.get(index)?;
        if let Some(stream) = &request.tags.stream
            && (200..300).contains(&exchange.status)
        {
            let count = {
                let mut served = self.served.lock().unwrap_or_else(|e| e.into_inner());
                let count = served.entry(stream.clone()).or_default();
                *count += 1;
                *count
            };
            if self.limit.as_ref().is_some_and(|l| count >= l.pages) {
                self.past_limit
                    .store(true, std::sync::atomic::Ordering::SeqCst);
            }
            PageLimit::check(self.limit.as_ref(), count);
        }
        Some(exchange)
    }

    /// The requests asked for that the cassette does not hold, in order.
    pub fn misses(&self) -> Vec<Miss> {
        self.misses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Recorded exchanges never asked for (the engine made fewer requests
    /// than when it was recorded), in order.
    pub fn unused(&self) -> Vec<&Exchange> {
        let answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        let mut left: Vec<usize> = answers.values().flatten().copied().collect();
        left.sort_unstable();
        left.iter().filter_map(|&i| self.exchanges.get(i)).collect()
    }
}

/// Method, path, query pairs in order and body: what makes two requests the
/// same request (scheme, host and port are the connection's: not compared).
fn key(method: &str, url: &Url, body: &str) -> String {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{method} {}?{}\n{body}", url.path(), query.join("&"))
}
