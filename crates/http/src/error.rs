//! The one error type of the HTTP layer.

use std::time::Duration;

/// What went wrong with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// The server answered with a non-2xx status.
    Status,
    /// No complete answer within the connection's timeout.
    Timeout,
    /// The connection could not be made, or was dropped before an answer.
    Connect,
    /// The answer started but the body could not be read to the end.
    Body,
    /// A 2xx answer whose body is not the JSON the stream expects (HTML, empty, malformed).
    NotJson,
    /// An `errors:` rule matched the response.
    Rule,
    /// The circuit breaker is open: the remote is considered down.
    BreakerOpen,
    /// The request could not be built (bad URL or header).
    Request,
    /// Credentials could not be obtained (an OAuth2 token endpoint refused
    /// them, the connection needs re-authorization, or a login failed).
    Auth,
    /// The answer says the login session has expired (handled by the auth
    /// layer, which logs in again once).
    SessionExpired,
    /// The URL (a next-page link, a redirect, a rendered path) leaves the
    /// connection's origin and is not among its `allowed_hosts:`: never sent.
    Refused,
    /// The body is larger than the connection's `max_response`.
    TooLarge,
}

/// A request failed. The URL and the detail are already redacted.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
#[error("connection `{connection}`: {method} {url} {detail}{}", attempts_note(*attempts))]
pub struct HttpError {
    /// The kind of failure.
    pub kind: HttpErrorKind,
    /// The connection's name.
    pub connection: String,
    /// The HTTP method.
    pub method: &'static str,
    /// The URL, with secrets hidden.
    pub url: String,
    /// The status, when the server answered.
    pub status: Option<u16>,
    /// `Retry-After`, when the server sent one.
    pub retry_after: Option<Duration>,
    /// What happened: "answered 404 Not Found: {body excerpt}", "timed out after 30s".
    pub detail: String,
    /// Whether an `errors:` rule asked to retry (only for [`HttpErrorKind::Rule`]).
    pub rule_retry: bool,
    /// How many attempts were made before giving up (set by the retry layer).
    pub attempts: u32,
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (gave up after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl HttpError {
    /// An error for a request that could not even be built.
    pub fn from_message(connection: &str, detail: String) -> Self {
        HttpError {
            kind: HttpErrorKind::Request,
            connection: connection.to_owned(),
            method: "-",
            url: String::new(),
            status: None,
            retry_after: None,
            detail,
            rule_retry: false,
            attempts: 0,
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }

    /// True for failures that may pass on another attempt: 408, 429, 5xx,
    /// timeouts, dropped connections, cut-off or non-JSON bodies, and rules
    /// with `action: retry`. Other 4xx and an open breaker are final.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            HttpErrorKind::Status => matches!(self.status, Some(408 | 429 | 500..=599)),
            HttpErrorKind::Timeout
            | HttpErrorKind::Connect
            | HttpErrorKind::Body
            | HttpErrorKind::NotJson => true,
            HttpErrorKind::Rule => self.rule_retry,
            HttpErrorKind::BreakerOpen
            | HttpErrorKind::Request
            | HttpErrorKind::Auth
            | HttpErrorKind::SessionExpired
            | HttpErrorKind::Refused
            | HttpErrorKind::TooLarge => false,
        }
    }

    /// True when the request surely did not reach the server: the
    /// connection could not be made, the breaker was open, or a `429` refused it.
    /// (A timeout or a dropped connection may have reached it.)
    pub fn surely_unsent(&self) -> bool {
        match self.kind {
            HttpErrorKind::Connect => self.detail.starts_with("could not connect"),
            HttpErrorKind::Status => self.status == Some(429),
            HttpErrorKind::BreakerOpen | HttpErrorKind::Refused | HttpErrorKind::Request => true,
            _ => false,
        }
    }

    /// True for failures that say the remote is unwell (what the breaker
    /// counts): 5xx, timeouts, dropped connections, cut-off bodies. A 429 says
    /// "slow down", not "down", and 4xx are the caller's fault.
    pub fn is_remote_failure(&self) -> bool {
        match self.kind {
            HttpErrorKind::Status => matches!(self.status, Some(500..=599)),
            HttpErrorKind::Timeout | HttpErrorKind::Connect | HttpErrorKind::Body => true,
            _ => false,
        }
    }

    /// A short class for logs and metrics: `status_5xx`, `timeout`, `not_json`, …
    pub fn class(&self) -> &'static str {
        match self.kind {
            HttpErrorKind::Status => match self.status {
                Some(429) => "status_429",
                Some(500..=599) => "status_5xx",
                _ => "status_4xx",
            },
            HttpErrorKind::Timeout => "timeout",
            HttpErrorKind::Connect => "connect",
            HttpErrorKind::Body => "body",
            HttpErrorKind::NotJson => "not_json",
            HttpErrorKind::Rule => "rule",
            HttpErrorKind::BreakerOpen => "breaker_open",
            HttpErrorKind::Request => "request",
            HttpErrorKind::Auth => "auth",
            HttpErrorKind::SessionExpired => "session_expired",
            HttpErrorKind::Refused => "refused",
            HttpErrorKind::TooLarge => "too_large",
        }
    }
}

/// The first `max` characters of a body, on one line, for messages.
pub fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// Parses `Retry-After`: delta seconds or an HTTP-date (relative to `now`).
pub(crate) fn parse_retry_after(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retry_after_both_forms() {
        let now = chrono::Utc
            .with_ymd_and_hms(2015, 10, 21, 7, 28, 0)
            .single()
            .expect("date");
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
