//! The shared state of one mock: its config, touched contacts, and request bookkeeping.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::extract::Request;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use crate::auth::Credential;
use crate::config::MockConfig;
use crate::data::Render;
use crate::faults::Fault;
use crate::limit::Window;
use crate::listing::Touches;
use crate::shape::ShapeVersion;

/// How many requests [`MockState::requests`] remembers.
const LOG_LEN: usize = 1000;
/// How many arrival times [`MockState::max_requests_in_window`] looks at.
const ARRIVALS_LEN: usize = 100_000;
/// How early a request may come after a `429` without counting as a violation.
const RETRY_AFTER_SLACK: Duration = Duration::from_millis(50);
/// How many distinct paths [`MockStats::by_path`] tracks; later ones count as `(other)`.
const MAX_PATHS: usize = 10_000;

/// The state behind a [`router`](crate::router): cheap to clone (an `Arc`).
#[derive(Debug, Clone)]
pub struct MockState {
    inner: Arc<Inner>,
}

/// Requests served by the data endpoints (never `/_mock/*` or `/healthz`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MockStats {
    /// Data requests served in total, including those answered 400, 401 or 404.
    pub requests: u64,
    /// Requests per path, e.g. `"/cursor/contacts": 3`. After 10,000 distinct paths,
    /// new ones are counted under `"(other)"`.
    pub by_path: BTreeMap<String, u64>,
    /// Data requests answered with a real page: a 2xx with no fault.
    pub served_ok: u64,
    /// Injected faults per kind (`"429"`, `"500"`, `"503"`, `"slow"`, `"dropped"`, `"html"`,
    /// `"error_body"`, `"malformed"`, `"truncated"`, `"down"`); kinds never injected are
    /// absent.
    pub faults: BTreeMap<String, u64>,
    /// Requests rejected by the mock's own [`MockRateLimit`](crate::MockRateLimit): each one
    /// is a violation of that limit by the client.
    pub rate_limited: u64,
    /// Data requests that arrived more than 50 ms before the latest `429`'s `Retry-After`
    /// (from a fault or the rate limit) had passed.
    pub retry_after_violations: u64,
}

/// One request a data endpoint received, as [`MockState::requests`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeenRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, e.g. `/cursor/contacts`.
    pub path: String,
    /// The raw query string without `?`; empty if there was none.
    pub query: String,
    /// Headers by lower-case name; repeated headers are joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// When the request arrived (serialised as RFC 3339).
    #[serde(serialize_with = "rfc3339")]
    pub at: DateTime<Utc>,
    /// The fault injected (a [`MockStats::faults`] key), if any; a rejection by the mock's
    /// own rate limit is no fault (it shows as status 429 here).
    pub fault: Option<String>,
    /// The status answered; 0 while the answer is pending, when the connection was
    /// dropped, or when the client gave up first.
    pub status: u16,
    /// The request body as text (lossy UTF-8), when it had one.
    pub body: Option<String>,
}

/// What the data layer does with a request that passed auth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Serve the real page (with the rate-limit budget left, when the mock has a limit).
    Serve(Option<crate::limit::Budget>),
    /// Over the mock's rate limit: 429, room again after this long.
    Limited(Duration),
    /// Inject this fault.
    Fault(Fault),
}

/// Names one recorded request, so its outcome lands on the right log entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    /// Which [`Book`] (bumped by every reset) counted it.
    generation: u64,
    /// Its sequence number among the data requests since start or reset.
    pub(crate) seq: u64,
}

#[derive(Debug)]
struct Inner {
    config: MockConfig,
    credential: Option<Credential>,
    touches: RwLock<Touches>,
    /// The current [`ShapeVersion`], as [`ShapeVersion::to_u8`].
    shape: AtomicU8,
    book: Mutex<Book>,
    notes: Mutex<crate::notebook::Notes>,
    portal: crate::sessions::Portal,
    exports: crate::exports::Exports,
    started: Instant,
}

#[derive(Debug, Default)]
struct Book {
    generation: u64,
    total: u64,
    by_path: HashMap<String, u64>,
    log: VecDeque<SeenRequest>,
    served_ok: u64,
    faults: BTreeMap<String, u64>,
    rate_limited: u64,
    retry_after_violations: u64,
    /// No data request should come before this (the latest 429's Retry-After).
    retry_deadline: Option<Instant>,
    /// Arrival times of the last [`ARRIVALS_LEN`] data requests, in order.
    arrivals: VecDeque<Instant>,
    /// The mock's rate limit window.
    window: Window,
}

impl MockState {
    /// Builds the state for `config`; no records are generated up front.
    pub fn new(config: MockConfig) -> Self {
        let touches = Touches::new(config.records, config.seed);
        let credential = config.auth.as_ref().map(Credential::new);
        let shape = AtomicU8::new(config.shape.to_u8());
        let inner = Inner {
            config,
            credential,
            touches: RwLock::new(touches),
            shape,
            book: Mutex::new(Book::default()),
            notes: Mutex::new(crate::notebook::Notes::default()),
            portal: crate::sessions::Portal::default(),
            exports: crate::exports::Exports::default(),
            started: Instant::now(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The config this state was built from (its [`MockConfig::shape`] is the starting
    /// shape; [`MockState::shape`] is the current one).
    pub fn config(&self) -> &MockConfig {
        &self.inner.config
    }

    /// The shape contacts are served in now.
    pub fn shape(&self) -> ShapeVersion {
        ShapeVersion::from_u8(self.inner.shape.load(Ordering::Acquire))
    }

    /// Serves every later response in `shape` (a response already streaming keeps its
    /// shape). Stats, the request log and touches are unaffected.
    pub fn set_shape(&self, shape: ShapeVersion) {
        self.inner.shape.store(shape.to_u8(), Ordering::Release);
    }

    /// How contacts are rendered right now.
    pub(crate) fn render(&self) -> Render {
        let config = &self.inner.config;
        Render {
            seed: config.seed,
            bad_every: config.bad_every,
            shape: self.shape(),
        }
    }

    /// Data requests served so far, in total and per path.
    pub fn stats(&self) -> MockStats {
        let book = self.book();
        MockStats {
            requests: book.total,
            by_path: book.by_path.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            served_ok: book.served_ok,
            faults: book.faults.clone(),
            rate_limited: book.rate_limited,
            retry_after_violations: book.retry_after_violations,
        }
    }

    /// The most data requests that arrived within any `window`-long span (a half-open
    /// interval), over the last 100,000 data requests: assert a client kept its rate
    /// limit with `max_requests_in_window(per) <= requests`.
    pub fn max_requests_in_window(&self, window: Duration) -> u64 {
        let book = self.book();
        let arrivals = &book.arrivals;
        let (mut best, mut lo) = (0, 0);
        for (hi, &at) in arrivals.iter().enumerate() {
            while at.duration_since(arrivals[lo]) >= window {
                lo += 1;
            }
            best = best.max(hi + 1 - lo);
        }
        best as u64
    }

    /// The last 1000 data requests, oldest first.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.book().log.iter().cloned().collect()
    }

    /// Touches `count` distinct contacts (at most all): each gets an `updated_at` after
    /// every earlier time and a bumped `version`. Returns their ids in touch order.
    pub fn touch(&self, count: u64) -> Vec<u64> {
        let mut touches = self
            .inner
            .touches
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        touches.touch(count)
    }

    /// Deletes contacts `ids` silently: gone from every listing, lookup and
    /// total, with no event anywhere. Returns the ids deleted (unknown or
    /// already deleted ones are left out).
    pub fn delete(&self, ids: &[u64]) -> Vec<u64> {
        self.touches_mut().delete(ids)
    }

    /// Edits contacts `ids` silently: `version` goes up, `updated_at` does
    /// not move, so only a full scan sees it. Returns the ids edited.
    pub fn edit(&self, ids: &[u64]) -> Vec<u64> {
        self.touches_mut().edit(ids)
    }

    fn touches_mut(&self) -> std::sync::RwLockWriteGuard<'_, Touches> {
        self.inner
            .touches
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Zeroes the stats and empties the request log, the arrival times, the rate limit
    /// window and the pending Retry-After; touches and the shape stay, and fault draws
    /// start again from sequence number 0.
    pub fn reset(&self) {
        self.inner.portal.reset();
        let mut book = self.book();
        *book = Book {
            generation: book.generation + 1,
            ..Book::default()
        };
    }

    /// The export jobs (`/v2/exports`).
    pub(crate) fn exports(&self) -> &crate::exports::Exports {
        &self.inner.exports
    }

    /// Runs `f` on the notes endpoint's state (a lock; keep `f` short).
    pub(crate) fn with_notes<T>(&self, f: impl FnOnce(&mut crate::notebook::Notes) -> T) -> T {
        f(&mut self
            .inner
            .notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner))
    }

    /// What the notes endpoint did: notes created, replays, repeated keys.
    pub fn notes(&self) -> crate::notebook::NotesLog {
        self.with_notes(|n| n.log())
    }

    /// Runs `f` on the touched set (a read lock; keep `f` short).
    pub(crate) fn with_touches<T>(&self, f: impl FnOnce(&Touches) -> T) -> T {
        f(&self
            .inner
            .touches
            .read()
            .unwrap_or_else(PoisonError::into_inner))
    }

    /// The credential data endpoints demand, if any.
    /// The login portal's sessions and counters.
    pub(crate) fn portal(&self) -> &crate::sessions::Portal {
        &self.inner.portal
    }

    /// Login counters (all zero unless auth is [`MockAuth::Session`](crate::MockAuth::Session)).
    pub fn portal_stats(&self) -> crate::sessions::PortalStats {
        self.inner.portal.stats()
    }

    pub(crate) fn credential(&self) -> Option<&Credential> {
        self.inner.credential.as_ref()
    }

    /// Counts `req` in the stats, appends it to the request log and its arrival time to
    /// the window log, and counts it if it came before the latest Retry-After passed.
    pub(crate) fn record(&self, req: &Request, body: &[u8]) -> Ticket {
        let mut headers = BTreeMap::new();
        for (name, value) in req.headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|v: &mut String| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        let path = req.uri().path();
        let seen = SeenRequest {
            method: req.method().as_str().to_owned(),
            path: path.to_owned(),
            query: req.uri().query().unwrap_or("").to_owned(),
            headers,
            at: Utc::now(),
            fault: None,
            status: 0,
            body: (!body.is_empty()).then(|| String::from_utf8_lossy(body).into_owned()),
        };
        let mut book = self.book();
        let now = Instant::now();
        let ticket = Ticket {
            generation: book.generation,
            seq: book.total,
        };
        book.total += 1;
        if book.arrivals.len() == ARRIVALS_LEN {
            book.arrivals.pop_front();
        }
        book.arrivals.push_back(now);
        if book
            .retry_deadline
            .is_some_and(|deadline| now + RETRY_AFTER_SLACK < deadline)
        {
            book.retry_after_violations += 1;
        }
        if let Some(n) = book.by_path.get_mut(path) {
            *n += 1;
        } else {
            let key = if book.by_path.len() < MAX_PATHS {
                path
            } else {
                "(other)"
            };
            *book.by_path.entry(key.to_owned()).or_default() += 1;
        }
        if book.log.len() == LOG_LEN {
            book.log.pop_front();
        }
        book.log.push_back(seen);
        ticket
    }

    /// Decides what a request that passed auth gets: the rate limit first, then the down
    /// window, then the fault draw. Counts rate limit rejections and faults.
    pub(crate) fn verdict(&self, ticket: Ticket) -> Verdict {
        let config = &self.inner.config;
        let mut book = self.book();
        let mut budget = None;
        if let Some(limit) = &config.rate_limit {
            match book.window.admit(limit, Instant::now()) {
                Ok(left) => budget = Some(left),
                Err(wait) => {
                    book.rate_limited += 1;
                    return Verdict::Limited(wait);
                }
            }
        }
        let fault = if config.faults.is_down(self.inner.started.elapsed()) {
            Some(Fault::Down)
        } else {
            config.faults.draw(config.seed, ticket.seq)
        };
        let Some(fault) = fault else {
            return Verdict::Serve(budget);
        };
        *book.faults.entry(fault.name().to_owned()).or_default() += 1;
        if let Some(seen) = book.entry(ticket) {
            seen.fault = Some(fault.name().to_owned());
        }
        Verdict::Fault(fault)
    }

    /// Notes a `429` just sent: no request should come for `wait`.
    pub(crate) fn asked_to_wait(&self, wait: Duration) {
        let deadline = Instant::now() + wait;
        let mut book = self.book();
        book.retry_deadline = Some(book.retry_deadline.map_or(deadline, |d| d.max(deadline)));
    }

    /// Notes the answer to a request: its status (`None` for no response at all), and
    /// whether it was a real page.
    pub(crate) fn answered(&self, ticket: Ticket, status: Option<u16>, page: bool) {
        let mut book = self.book();
        if book.generation != ticket.generation {
            return;
        }
        if page {
            book.served_ok += 1;
        }
        if let (Some(status), Some(seen)) = (status, book.entry(ticket)) {
            seen.status = status;
        }
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.inner
            .book
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Book {
    /// The log entry of `ticket`, if it is still in the log.
    fn entry(&mut self, ticket: Ticket) -> Option<&mut SeenRequest> {
        if ticket.generation != self.generation {
            return None;
        }
        let back = self.total.checked_sub(ticket.seq + 1)?;
        let index = self
            .log
            .len()
            .checked_sub(1 + usize::try_from(back).ok()?)?;
        self.log.get_mut(index)
    }
}

fn rfc3339<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true))
}
