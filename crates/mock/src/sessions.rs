//! The portal's bookkeeping: pending login forms, live sessions and their
//! counters, shared by the portal's pages and the data endpoints' check.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use axum::http::{HeaderMap, header};
use serde::Serialize;

use crate::data::splitmix64;

/// The cookie a session is kept in.
pub const SESSION_COOKIE: &str = "mock_session";
/// The cookie the form's CSRF token is bound to.
pub(crate) const LOGIN_COOKIE: &str = "mock_login";

/// Login bookkeeping, as `GET /_mock/stats` shows it under `portal`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PortalStats {
    /// Login forms served.
    pub forms: u64,
    /// Successful logins (sessions opened).
    pub logins: u64,
    /// Logins refused for a missing or wrong CSRF token.
    pub bad_csrf: u64,
    /// Logins refused for wrong credentials.
    pub bad_credentials: u64,
    /// Data requests redirected to the login page (no session, or an expired one).
    pub redirected: u64,
}

/// Sessions and pending login forms.
#[derive(Debug, Default)]
pub(crate) struct Portal {
    book: Mutex<Book>,
}

/// Pending forms, live sessions and counters.
#[derive(Debug, Default)]
pub(crate) struct Book {
    counter: u64,
    /// `mock_login` cookie → the CSRF token its form carried.
    pub(crate) forms: HashMap<String, String>,
    /// `mock_session` cookie → data requests it has left.
    pub(crate) sessions: HashMap<String, u64>,
    /// The web app's bearer token → the session it was issued for.
    tokens: HashMap<String, String>,
    /// A session → the bearer token issued for it.
    token_of: HashMap<String, String>,
    pub(crate) stats: PortalStats,
}

impl Book {
    /// A new unique token starting with `what`.
    pub(crate) fn token(&mut self, seed: u64, what: &str) -> String {
        self.counter += 1;
        format!("{what}{:016x}", splitmix64(seed ^ self.counter))
    }

    /// Spends one request of `session`; false when it is unknown or spent.
    fn spend(&mut self, session: &str) -> bool {
        match self.sessions.get_mut(session) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }
}

impl Portal {
    /// The bookkeeping, locked (keep it short).
    pub(crate) fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> PortalStats {
        self.book().stats.clone()
    }

    /// Forgets the counters (sessions stay valid).
    pub(crate) fn reset(&self) {
        self.book().stats = PortalStats::default();
    }

    /// Whether `headers` carry a live session; spends one of its requests,
    /// and counts a refusal as a redirect to the login page.
    pub(crate) fn admit(&self, headers: &HeaderMap) -> bool {
        let live = self.spend_session(headers);
        if !live {
            self.book().stats.redirected += 1;
        }
        live
    }

    /// Whether `headers` carry a live session; spends one of its requests.
    pub(crate) fn spend_session(&self, headers: &HeaderMap) -> bool {
        cookie(headers, SESSION_COOKIE).is_some_and(|id| self.book().spend(&id))
    }

    /// The web app's bearer token for the session `headers` carry (the same
    /// one each time for one session); `None` for no known session. Spends
    /// nothing: [`Portal::spend_session`] admitted the request.
    pub(crate) fn token_for(&self, seed: u64, headers: &HeaderMap) -> Option<String> {
        let session = cookie(headers, SESSION_COOKIE)?;
        let mut book = self.book();
        if !book.sessions.contains_key(&session) {
            return None;
        }
        if let Some(token) = book.token_of.get(&session) {
            return Some(token.clone());
        }
        let token = book.token(seed, "tok_");
        book.tokens.insert(token.clone(), session.clone());
        book.token_of.insert(session, token.clone());
        Some(token)
    }

    /// Whether `headers` carry `Authorization: Bearer <token>` with a token
    /// of [`Portal::token_for`] whose session is live; spends one of that
    /// session's requests (a token dies with its session).
    pub(crate) fn admit_bearer(&self, headers: &HeaderMap) -> bool {
        let Some(token) = headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        let mut book = self.book();
        match book.tokens.get(token).cloned() {
            Some(session) => book.spend(&session),
            None => false,
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}
