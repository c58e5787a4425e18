//! Session login, for portals without an API: a chain of login requests
//! (e.g. GET the login page, take its CSRF token, POST the credentials)
//! whose cookies every later request carries, and one new login when the
//! session turns out to have expired.
//!
//! - **Cookies** live in a [`SessionJar`] shared by the login requests and
//!   the connection's transport; a new login starts from an empty jar.
//! - **Values** taken from a step's answer ([`Extract`]: an HTML element by
//!   CSS selector, a regex, a cookie, a JSON path or a header) feed the later
//!   steps' templates and the headers added to every request (`session.NAME`).
//! - **Expiry** ([`SessionExpiry`]) is judged by the classify layer, on the
//!   raw answer: a configured status (401, 403), a redirect to a login step's
//!   page, or a condition. The auth layer then logs in once (single-flight:
//!   concurrent requests share one login) and retries once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use reqwest::cookie::CookieStore;
use reqwest::header::HeaderValue;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use super::oauth2::{TokenState, TokenStore, now_millis};
use crate::classify::{Classifier, Verdict};
use crate::{HttpError, HttpErrorKind, HttpRequest, HttpResponse, Method, Redactor, excerpt};

/// Renders one template with the session's values so far (`session.NAME`);
/// `Err` is a message saying why it could not.
pub type RenderFn = Arc<dyn Fn(&BTreeMap<String, String>) -> Result<String, String> + Send + Sync>;

/// Where a login step finds a value in its answer.
#[derive(Debug, Clone)]
pub enum Extract {
    /// The first HTML element matching a CSS selector: an attribute's value,
    /// or its text when `attr` is `None`.
    Css {
        /// The selector, e.g. `input[name=csrf_token]`.
        selector: String,
        /// The attribute to read, e.g. `value`.
        attr: Option<String>,
    },
    /// The first match of a regex in the body: its first capture group, or
    /// the whole match when it has none.
    Regex(String),
    /// A cookie's value, once the answer's `Set-Cookie` headers are in the jar.
    Cookie(String),
    /// An RFC 9535 JSONPath into a JSON body; a string is taken as is, other
    /// values as JSON text.
    Json(String),
    /// A response header.
    Header(String),
}

impl std::fmt::Display for Extract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Extract::Css {
                selector,
                attr: Some(a),
            } => write!(f, "css `{selector}` attribute `{a}`"),
            Extract::Css { selector, .. } => write!(f, "css `{selector}` text"),
            Extract::Regex(r) => write!(f, "regex `{r}`"),
            Extract::Cookie(c) => write!(f, "cookie `{c}`"),
            Extract::Json(p) => write!(f, "JSON path `{p}`"),
            Extract::Header(h) => write!(f, "header `{h}`"),
        }
    }
}

/// A login step's body.
#[derive(Clone)]
pub enum LoginBody {
    /// None.
    None,
    /// `application/x-www-form-urlencoded` fields.
    Form(Vec<(String, RenderFn)>),
    /// A JSON body: the template renders JSON text.
    Json(RenderFn),
}

/// One request of the login chain.
#[derive(Clone)]
pub struct LoginStep {
    /// Method.
    pub method: Method,
    /// Absolute URL (query included).
    pub url: Url,
    /// Extra headers.
    pub headers: Vec<(String, RenderFn)>,
    /// Body.
    pub body: LoginBody,
    /// Values to take from the answer, by name.
    pub extract: Vec<(String, Extract)>,
}

/// A session login's settings, templates compiled.
#[derive(Clone)]
pub struct SessionConfig {
    /// The connection's name.
    pub connection: String,
    /// The login chain, in order.
    pub steps: Vec<LoginStep>,
    /// Headers added to every request of the connection (e.g. a CSRF header).
    pub headers: Vec<(String, RenderFn)>,
    /// When an answer means the session has expired.
    pub expiry: SessionExpiry,
    /// Timeout of each login request.
    pub timeout: Duration,
}

/// What says that a session has expired.
#[derive(Clone, Default)]
pub struct SessionExpiry {
    /// Statuses that mean "log in again" (default 401 and 403).
    pub statuses: Vec<u16>,
    /// Paths of login pages: an answer that was redirected to one of them.
    pub login_paths: Vec<String>,
    /// A user condition over `status`, `headers` and `body`.
    pub when: Option<Arc<dyn Classifier>>,
}

impl std::fmt::Debug for SessionExpiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionExpiry")
            .field("statuses", &self.statuses)
            .field("login_paths", &self.login_paths)
            .field("when", &self.when.is_some())
            .finish()
    }
}

impl SessionExpiry {
    /// Why `response` (with its parsed `body`, or null) means the session
    /// has expired, if it does.
    pub fn check(&self, response: &HttpResponse, body: &Value) -> Option<String> {
        if let Some(to) = &response.redirected_to
            && self.login_paths.iter().any(|p| p == to.path())
        {
            return Some(format!(
                "was redirected to the login page {}: the session has expired",
                to.path()
            ));
        }
        if self.statuses.contains(&response.status) {
            return Some(format!(
                "answered {}: the session has expired",
                response.status
            ));
        }
        let rule = self.when.as_ref()?;
        match rule.classify(response.status, &response.headers, body) {
            Verdict::Pass => None,
            _ => Some(format!(
                "answered {} and the session's `expired_when` holds: the session has expired",
                response.status
            )),
        }
    }
}

/// A cookie jar that can be emptied (a new login starts from no cookies).
#[derive(Debug, Default)]
pub struct SessionJar {
    jar: RwLock<Arc<reqwest::cookie::Jar>>,
}

impl SessionJar {
    fn current(&self) -> Arc<reqwest::cookie::Jar> {
        self.jar.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Forgets every cookie.
    pub fn clear(&self) {
        *self.jar.write().unwrap_or_else(|e| e.into_inner()) = Arc::default();
    }

    /// The value of cookie `name` sent to `url`, if any.
    pub fn get(&self, url: &Url, name: &str) -> Option<String> {
        let header = self.current().cookies(url)?;
        let text = header.to_str().ok()?;
        text.split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }
}

impl CookieStore for SessionJar {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        self.current().set_cookies(cookie_headers, url);
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        self.current().cookies(url)
    }
}

struct State {
    /// Bumped by every login; a request that saw an expired session names
    /// the generation it used, so only the first of many logs in again.
    generation: u64,
    /// The values of the current session; `None` before the first login.
    values: Option<Arc<BTreeMap<String, String>>>,
    /// Login health, as `holdfast status` shows it.
    status: TokenState,
    loaded: bool,
}

/// A connection's login session, shared by its clones.
pub struct SessionCredential {
    config: SessionConfig,
    jar: Arc<SessionJar>,
    http: reqwest::Client,
    store: Option<Arc<dyn TokenStore>>,
    redactor: OnceLock<Arc<Redactor>>,
    state: Mutex<State>,
    logins: AtomicU64,
}

impl std::fmt::Debug for SessionCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCredential")
            .field("connection", &self.config.connection)
            .finish_non_exhaustive()
    }
}

impl PartialEq for SessionCredential {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// One logged-in session: its generation and values.
#[derive(Debug, Clone)]
pub struct Session {
    generation: u64,
    values: Arc<BTreeMap<String, String>>,
}

impl SessionCredential {
    /// A credential that logs in on first use; `store` keeps its login
    /// health (never its cookies) for `holdfast status`.
    ///
    /// # Errors
    /// [`HttpErrorKind::Request`] if the TLS stack cannot be initialised.
    pub fn new(
        config: SessionConfig,
        store: Option<Arc<dyn TokenStore>>,
    ) -> Result<Self, HttpError> {
        let jar = Arc::new(SessionJar::default());
        // A login answer may redirect within the login pages' origins only: a
        // 307 elsewhere would carry the form (the password) with it.
        let origins: Vec<url::Origin> = config.steps.iter().map(|s| s.url.origin()).collect();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > 10 {
                attempt.error("more than 10 redirects during the login")
            } else if origins.contains(&attempt.url().origin()) {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(redirects)
            .cookie_provider(jar.clone())
            .user_agent(concat!("holdfast/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                HttpError::from_message(&config.connection, format!("cannot build a client: {e}"))
            })?;
        Ok(SessionCredential {
            config,
            jar,
            http,
            store,
            redactor: OnceLock::new(),
            state: Mutex::new(State {
                generation: 0,
                values: None,
                status: TokenState {
                    session: true,
                    ..TokenState::default()
                },
                loaded: false,
            }),
            logins: AtomicU64::new(0),
        })
    }

    /// The jar the connection's transport must use.
    pub fn jar(&self) -> Arc<SessionJar> {
        self.jar.clone()
    }

    /// What the classify layer checks.
    pub fn expiry(&self) -> SessionExpiry {
        self.config.expiry.clone()
    }

    /// Gives the credential the connection's redactor, so values it learns are hidden.
    pub fn attach_redactor(&self, redactor: Arc<Redactor>) {
        let _ = self.redactor.set(redactor);
    }

    /// How many login chains ran to the end.
    pub fn logins(&self) -> u64 {
        self.logins.load(Ordering::Relaxed)
    }

    /// The current session, logging in first if there is none. With
    /// `expired`, the session that generation named is over: unless another
    /// request logged in since, log in again.
    ///
    /// # Errors
    /// A login step failed (see [`SessionCredential::login`]).
    pub async fn session(&self, expired: Option<&Session>) -> Result<Session, HttpError> {
        let mut state = self.state.lock().await;
        if !state.loaded {
            state.loaded = true;
            if let Some(store) = &self.store
                && let Ok(Some(saved)) = store.load(&self.config.connection).await
            {
                state.status = TokenState {
                    session: true,
                    ..saved
                };
            }
        }
        let current = state.values.clone();
        match (current, expired) {
            (Some(values), None) => {
                return Ok(Session {
                    generation: state.generation,
                    values,
                });
            }
            (Some(values), Some(old)) if old.generation != state.generation => {
                return Ok(Session {
                    generation: state.generation,
                    values,
                });
            }
            _ => {}
        }
        let result = self.login().await;
        let now = now_millis();
        state.status.last_refresh_at = Some(now);
        match result {
            Ok(values) => {
                crate::telemetry::session_login(&self.config.connection, "ok");
                let values = Arc::new(values);
                state.generation += 1;
                state.values = Some(values.clone());
                state.status.issued_at = Some(now);
                state.status.last_outcome = Some("ok".to_owned());
                state.status.consecutive_failures = 0;
                self.save(&state.status).await;
                Ok(Session {
                    generation: state.generation,
                    values,
                })
            }
            Err(e) => {
                crate::telemetry::session_login(&self.config.connection, "error");
                state.values = None;
                state.status.last_outcome = Some(e.detail.clone());
                state.status.consecutive_failures += 1;
                self.save(&state.status).await;
                Err(e)
            }
        }
    }

    /// Adds the session's headers to `request`.
    ///
    /// # Errors
    /// A header template failed to render.
    pub fn apply(&self, session: &Session, request: &mut HttpRequest) -> Result<(), HttpError> {
        for (name, render) in &self.config.headers {
            let value = render(&session.values).map_err(|e| {
                self.error(
                    HttpErrorKind::Auth,
                    None,
                    format!("session header `{name}` could not be rendered: {e}"),
                )
            })?;
            request
                .headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            request.headers.push((name.clone(), value));
        }
        Ok(())
    }

    /// The error for a request that still looks logged out right after a
    /// new login; the login counts as failed (in `holdfast status`) and the
    /// next request logs in afresh.
    pub async fn still_expired(&self, e: HttpError) -> HttpError {
        let mut out = e;
        out.kind = HttpErrorKind::Auth;
        out.detail = format!(
            "{} again right after a new login: the login steps ran but did not open a session \
             (check the credentials and the last login step)",
            out.detail
        );
        crate::telemetry::session_login(&self.config.connection, "rejected");
        let mut state = self.state.lock().await;
        state.values = None;
        state.status.last_outcome = Some(out.detail.clone());
        state.status.consecutive_failures += 1;
        self.save(&state.status).await;
        out
    }

    /// Runs the login chain on an empty jar: the values extracted.
    async fn login(&self) -> Result<BTreeMap<String, String>, HttpError> {
        self.jar.clear();
        let mut values = BTreeMap::new();
        let count = self.config.steps.len();
        for (i, step) in self.config.steps.iter().enumerate() {
            let what = format!(
                "login step {} of {count} ({} {})",
                i + 1,
                step.method.as_str(),
                step.url.path()
            );
            self.step(step, &what, &mut values).await?;
        }
        self.logins.fetch_add(1, Ordering::Relaxed);
        tracing::info!(connection = %self.config.connection, steps = count, "logged in");
        Ok(values)
    }

    async fn step(
        &self,
        step: &LoginStep,
        what: &str,
        values: &mut BTreeMap<String, String>,
    ) -> Result<(), HttpError> {
        let render = |field: &str, f: &RenderFn, values: &BTreeMap<String, String>| {
            f(values).map_err(|e| {
                self.step_error(
                    step,
                    HttpErrorKind::Auth,
                    None,
                    format!("{what}: `{field}` could not be rendered: {e}"),
                )
            })
        };
        let method = match step.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.http.request(method, step.url.clone());
        for (name, f) in &step.headers {
            builder = builder.header(name.as_str(), render(name, f, values)?);
        }
        match &step.body {
            LoginBody::None => {}
            LoginBody::Form(fields) => {
                let mut pairs = Vec::with_capacity(fields.len());
                for (name, f) in fields {
                    pairs.push((name.clone(), render(name, f, values)?));
                }
                builder = builder.form(&pairs);
            }
            LoginBody::Json(f) => {
                builder = builder
                    .header("content-type", "application/json")
                    .body(render("json", f, values)?);
            }
        }
        let response = builder.send().await.map_err(|e| {
            let kind = if e.is_timeout() {
                HttpErrorKind::Timeout
            } else {
                HttpErrorKind::Connect
            };
            self.step_error(step, kind, None, format!("{what} failed: {e}"))
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = crate::transport::read_body(response, super::AUTH_MAX_BODY)
            .await
            .map_err(|e| {
                self.step_error(
                    step,
                    HttpErrorKind::Body,
                    Some(status.as_u16()),
                    format!("{what}: the answer was unreadable: {e}"),
                )
            })?;
        if !status.is_success() {
            let kind = if status.is_server_error() || status.as_u16() == 429 {
                HttpErrorKind::Status
            } else {
                HttpErrorKind::Auth
            };
            return Err(self.step_error(
                step,
                kind,
                Some(status.as_u16()),
                format!("{what} answered {status}: {}", excerpt(&body, 200)),
            ));
        }
        let text = String::from_utf8_lossy(&body);
        for (name, extract) in &step.extract {
            let found = match extract {
                Extract::Css { selector, attr } => css(&text, selector, attr.as_deref()),
                Extract::Regex(pattern) => regex::Regex::new(pattern).ok().and_then(|re| {
                    let caps = re.captures(&text)?;
                    caps.get(1)
                        .or_else(|| caps.get(0))
                        .map(|m| m.as_str().to_owned())
                }),
                Extract::Cookie(cookie) => self.jar.get(&step.url, cookie),
                Extract::Json(path) => json_value(&body, path),
                Extract::Header(header) => headers
                    .get(header.as_str())
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            };
            let Some(value) = found else {
                return Err(self.step_error(
                    step,
                    HttpErrorKind::Auth,
                    Some(status.as_u16()),
                    format!(
                        "{what}: `{name}` not found ({extract} matched nothing); the answer starts: {}",
                        excerpt(&body, 200)
                    ),
                ));
            };
            if let Some(r) = self.redactor.get() {
                r.add(&value);
            }
            values.insert(name.clone(), value);
        }
        Ok(())
    }

    fn redact(&self, text: &str) -> String {
        match self.redactor.get() {
            Some(r) => r.text(text),
            None => text.to_owned(),
        }
    }

    fn error(&self, kind: HttpErrorKind, status: Option<u16>, detail: String) -> HttpError {
        let mut e = HttpError::from_message(&self.config.connection, self.redact(&detail));
        e.kind = kind;
        e.status = status;
        e
    }

    fn step_error(
        &self,
        step: &LoginStep,
        kind: HttpErrorKind,
        status: Option<u16>,
        detail: String,
    ) -> HttpError {
        let mut e = self.error(kind, status, detail);
        e.method = step.method.as_str();
        e.url = match self.redactor.get() {
            Some(r) => r.url(&step.url),
            None => step.url.to_string(),
        };
        e
    }

    async fn save(&self, status: &TokenState) {
        if let Some(store) = &self.store
            && let Err(e) = store.save(&self.config.connection, status).await
        {
            tracing::warn!(connection = %self.config.connection, "could not save the login status: {e}");
        }
    }
}

/// The first element matching `selector`: `attr`'s value, or its text.
fn css(html: &str, selector: &str, attr: Option<&str>) -> Option<String> {
    let selector = scraper::Selector::parse(selector).ok()?;
    let document = scraper::Html::parse_document(html);
    let element = document.select(&selector).next()?;
    match attr {
        Some(a) => element.value().attr(a).map(str::to_owned),
        None => Some(element.text().collect::<String>().trim().to_owned()),
    }
}

/// The first value at `path` in a JSON body: a string as is, others as JSON.
fn json_value(body: &[u8], path: &str) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let path = serde_json_path::JsonPath::parse(path).ok()?;
    match path.query(&value).first()? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_reads_an_attribute_or_text() {
        let html = r#"<form><input type="hidden" name="csrf_token" value="abc123"><p class="hint"> Hello </p></form>"#;
        assert_eq!(
            css(html, "input[name=csrf_token]", Some("value")).as_deref(),
            Some("abc123")
        );
        assert_eq!(css(html, "p.hint", None).as_deref(), Some("Hello"));
        assert_eq!(css(html, "input[name=other]", Some("value")), None);
    }

    #[test]
    fn json_values_keep_strings_and_print_others() {
        let body = br#"{"data": {"token": "t1", "n": 5, "none": null}}"#;
        assert_eq!(json_value(body, "$.data.token").as_deref(), Some("t1"));
        assert_eq!(json_value(body, "$.data.n").as_deref(), Some("5"));
        assert_eq!(json_value(body, "$.data.none"), None);
        assert_eq!(json_value(b"<html>", "$.data.token"), None);
    }
}
