//! The shared state of one mock: its config, touched contacts, and request bookkeeping.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use axum::extract::Request;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use crate::auth::Credential;
use crate::config::MockConfig;
use crate::listing::Touches;

/// How many requests [`MockState::requests`] remembers.
const LOG_LEN: usize = 1000;
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
}

#[derive(Debug)]
struct Inner {
    config: MockConfig,
    credential: Option<Credential>,
    touches: RwLock<Touches>,
    book: Mutex<Book>,
}

#[derive(Debug, Default)]
struct Book {
    total: u64,
    by_path: HashMap<String, u64>,
    log: VecDeque<SeenRequest>,
}

impl MockState {
    /// Builds the state for `config`; no records are generated up front.
    pub fn new(config: MockConfig) -> Self {
        let touches = Touches::new(config.records, config.seed);
        let credential = config.auth.as_ref().map(Credential::new);
        let inner = Inner {
            config,
            credential,
            touches: RwLock::new(touches),
            book: Mutex::new(Book::default()),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The config this state was built from.
    pub fn config(&self) -> &MockConfig {
        &self.inner.config
    }

    /// Data requests served so far, in total and per path.
    pub fn stats(&self) -> MockStats {
        let book = self.book();
        MockStats {
            requests: book.total,
            by_path: book.by_path.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
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

    /// Zeroes the stats and empties the request log; touches stay.
    pub fn reset(&self) {
        *self.book() = Book::default();
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
    pub(crate) fn credential(&self) -> Option<&Credential> {
        self.inner.credential.as_ref()
    }

    /// Counts `req` in the stats and appends it to the request log.
    pub(crate) fn record(&self, req: &Request) {
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
        };
        let mut book = self.book();
        book.total += 1;
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
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.inner
            .book
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn rfc3339<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true))
}
