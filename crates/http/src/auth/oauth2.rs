//! OAuth2 access tokens: fetched from a token endpoint with a form POST,
//! cached, renewed ahead of expiry, shared by every request of a connection.
//!
//! - **Proactive**: a token is renewed once `now >= expires_at - refresh_before_expiry`
//!   (at most half the token's lifetime early, so short-lived tokens are not
//!   renewed on every request).
//! - **Single-flight**: the state sits behind one async mutex held across the
//!   token request, so concurrent requests wait for the same refresh.
//! - **Reactive**: [`OAuth2Credential::token`] with the token the API refused
//!   renews it unless another request already did (the auth layer retries once).
//! - **Rotation**: a new refresh token is saved through the [`TokenStore`]
//!   before it is used; if saving fails the request fails and the unsaved
//!   state is saved again before anything else.
//! - **Keep-alive**: a token last renewed `refresh_at_least_every` ago is
//!   renewed too, and [`OAuth2Credential::keep_alive`] does it for an idle
//!   connection (called periodically by `serve`).
//! - **`invalid_grant`** marks the credential as needing re-authorization:
//!   every later request fails at once without calling the token endpoint.

use super::AUTH_MAX_BODY;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use tokio::sync::Mutex;
use url::Url;

use crate::error::excerpt;
use crate::{HttpError, HttpErrorKind, Redactor};

/// How tokens are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuth2Grant {
    /// `grant_type=client_credentials`.
    ClientCredentials,
    /// `grant_type=refresh_token`.
    RefreshToken,
}

/// How the client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OAuth2ClientAuth {
    /// `Authorization: Basic base64(client_id:client_secret)`.
    #[default]
    Basic,
    /// `client_id` and `client_secret` as form parameters.
    Body,
}

/// An OAuth2 credential's settings, templates rendered.
#[derive(Clone)]
pub struct OAuth2Config {
    /// The connection's name (for messages and the token store).
    pub connection: String,
    /// The token endpoint (absolute).
    pub token_url: Url,
    /// The grant.
    pub grant: OAuth2Grant,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// The configured refresh token (the stored one wins once there is one).
    pub refresh_token: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `audience`.
    pub audience: Option<String>,
    /// Extra form parameters.
    pub params: Vec<(String, String)>,
    /// Client authentication.
    pub client_auth: OAuth2ClientAuth,
    /// Renew this long before expiry.
    pub refresh_before_expiry: Duration,
    /// Renew at least this often, even a token that is not expiring (keeps a
    /// refresh token that the platform revokes when unused alive).
    pub refresh_at_least_every: Duration,
    /// Timeout of a token request.
    pub timeout: Duration,
    /// How to fix a refused grant, for the error (e.g. "set a new one with
    /// `holdfast secrets set crm_refresh_token`").
    pub reauth_hint: String,
}

/// A connection's token state, as kept by a [`TokenStore`]. Times are Unix
/// milliseconds.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TokenState {
    /// The current access token.
    pub access_token: Option<String>,
    /// When it expires (`None`: the server did not say).
    pub expires_at: Option<i64>,
    /// The latest refresh token.
    pub refresh_token: Option<String>,
    /// When the last refresh was attempted.
    pub last_refresh_at: Option<i64>,
    /// When the current access token was issued.
    pub issued_at: Option<i64>,
    /// `ok`, or what went wrong (redacted).
    pub last_outcome: Option<String>,
    /// Token requests that failed in a row.
    pub consecutive_failures: u32,
    /// The grant was refused: a person must authorize again.
    pub needs_reauth: bool,
    /// A login session rather than an OAuth2 token: no tokens, and the
    /// times are those of logins.
    pub session: bool,
}

impl std::fmt::Debug for TokenState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenState")
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "REDACTED"),
            )
            .field("expires_at", &self.expires_at)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "REDACTED"),
            )
            .field("last_refresh_at", &self.last_refresh_at)
            .field("last_outcome", &self.last_outcome)
            .field("consecutive_failures", &self.consecutive_failures)
            .field("needs_reauth", &self.needs_reauth)
            .field("session", &self.session)
            .finish()
    }
}

/// Where token state is kept between processes (encrypted by the
/// implementation). `save` must be durable when it returns `Ok`.
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    /// The saved state of `connection`, if any.
    ///
    /// # Errors
    /// A message when the store cannot be read.
    async fn load(&self, connection: &str) -> Result<Option<TokenState>, String>;
    /// Saves `state` for `connection`.
    ///
    /// # Errors
    /// A message when the state could not be saved.
    async fn save(&self, connection: &str, state: &TokenState) -> Result<(), String>;
}

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

struct Inner {
    loaded: bool,
    state: TokenState,
    /// A state with a rotated refresh token that could not be saved yet.
    unsaved: Option<TokenState>,
}

/// See the module docs.
pub struct OAuth2Credential {
    config: OAuth2Config,
    http: reqwest::Client,
    store: Option<Arc<dyn TokenStore>>,
    redactor: OnceLock<Arc<Redactor>>,
    inner: Mutex<Inner>,
    token_requests: AtomicU64,
}

impl std::fmt::Debug for OAuth2Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2Credential")
            .field("connection", &self.config.connection)
            .finish_non_exhaustive()
    }
}

impl PartialEq for OAuth2Credential {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl OAuth2Credential {
    /// A credential with no token yet; `store` keeps its state between processes.
    ///
    /// # Errors
    /// [`HttpErrorKind::Request`] if the TLS stack cannot be initialised.
    pub fn new(
        config: OAuth2Config,
        store: Option<Arc<dyn TokenStore>>,
    ) -> Result<Self, HttpError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                HttpError::from_message(&config.connection, format!("cannot build a client: {e}"))
            })?;
        Ok(OAuth2Credential {
            config,
            http,
            store,
            redactor: OnceLock::new(),
            inner: Mutex::new(Inner {
                loaded: false,
                state: TokenState::default(),
                unsaved: None,
            }),
            token_requests: AtomicU64::new(0),
        })
    }

    /// Values the redactor must hide from the start.
    pub fn secrets(&self) -> Vec<String> {
        let c = &self.config;
        let pair = format!("{}:{}", c.client_id, c.client_secret);
        let mut out = vec![
            c.client_secret.clone(),
            base64::engine::general_purpose::STANDARD.encode(pair),
        ];
        out.extend(c.refresh_token.clone());
        out
    }

    /// Gives the credential the connection's redactor, so tokens it learns are hidden.
    pub fn attach_redactor(&self, redactor: Arc<Redactor>) {
        let _ = self.redactor.set(redactor);
    }

    /// How many requests were sent to the token endpoint.
    pub fn token_requests(&self) -> u64 {
        self.token_requests.load(Ordering::Relaxed)
    }

    /// The current state (tokens included: do not print it).
    pub async fn state(&self) -> TokenState {
        self.inner.lock().await.state.clone()
    }

    fn hide(&self, value: &str) {
        if let Some(r) = self.redactor.get() {
            r.add(value);
        }
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
        e.method = "POST";
        e.url = match self.redactor.get() {
            Some(r) => r.url(&self.config.token_url),
            None => self.config.token_url.to_string(),
        };
        e
    }

    fn reauth_error(&self) -> HttpError {
        let what = match self.config.grant {
            OAuth2Grant::RefreshToken => "the refresh token was refused (invalid_grant)",
            OAuth2Grant::ClientCredentials => "the client credentials were refused (invalid_grant)",
        };
        let mut e = self.error(
            HttpErrorKind::Auth,
            None,
            format!(
                "connection `{}` needs re-authorization: {what}; {}",
                self.config.connection, self.config.reauth_hint
            ),
        );
        e.method = "-";
        e.url = String::new();
        e
    }

    /// Renews the token if it is due (expiring, or not renewed for
    /// `refresh_at_least_every`); does nothing for a connection that needs
    /// re-authorization.
    ///
    /// # Errors
    /// As [`OAuth2Credential::token`].
    pub async fn keep_alive(&self) -> Result<(), HttpError> {
        if self.inner.lock().await.state.needs_reauth {
            return Ok(());
        }
        self.token(None).await.map(|_| ())
    }

    /// An access token to send. `rejected` is a token the API just refused
    /// with 401: it is renewed unless another request renewed it already.
    ///
    /// # Errors
    /// The token endpoint failed or refused the grant, the new state could
    /// not be saved, or the connection needs re-authorization.
    pub async fn token(&self, rejected: Option<&str>) -> Result<String, HttpError> {
        let mut inner = self.inner.lock().await;
        if !inner.loaded {
            self.load(&mut inner).await;
        }
        if let Some(pending) = inner.unsaved.take() {
            if let Err(e) = self.save(&pending).await {
                inner.unsaved = Some(pending);
                return Err(e);
            }
            inner.state = pending;
        }
        if inner.state.needs_reauth {
            return Err(self.reauth_error());
        }
        if let Some(token) = &inner.state.access_token {
            let refused = rejected == Some(token.as_str());
            if rejected.is_some() && !refused {
                return Ok(token.clone());
            }
            if !refused && !self.due(&inner.state, now_millis()) {
                return Ok(token.clone());
            }
        }
        self.refresh(&mut inner).await
    }

    async fn load(&self, inner: &mut Inner) {
        inner.loaded = true;
        let Some(store) = &self.store else { return };
        match store.load(&self.config.connection).await {
            Ok(Some(state)) => {
                for t in state.access_token.iter().chain(&state.refresh_token) {
                    self.hide(t);
                }
                if state.needs_reauth {
                    // Start over from the configured refresh token (maybe a new
                    // one): keep the status, forget the refused tokens.
                    inner.state = TokenState {
                        access_token: None,
                        refresh_token: None,
                        needs_reauth: false,
                        ..state
                    };
                } else {
                    inner.state = state;
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(
                connection = %self.config.connection,
                "cannot read the saved token state: {}", self.redact(&e)
            ),
        }
    }

    /// True once the token should be renewed.
    fn due(&self, state: &TokenState, now: i64) -> bool {
        let every =
            i64::try_from(self.config.refresh_at_least_every.as_millis()).unwrap_or(i64::MAX);
        if state
            .last_refresh_at
            .is_some_and(|last| now.saturating_sub(last) >= every)
        {
            return true;
        }
        let Some(expires_at) = state.expires_at else {
            return false;
        };
        let before = i64::try_from(self.config.refresh_before_expiry.as_millis()).unwrap_or(0);
        let lifetime = state
            .issued_at
            .map_or(i64::MAX, |issued| (expires_at - issued).max(0));
        now >= expires_at - before.min(lifetime / 2)
    }

    async fn save(&self, state: &TokenState) -> Result<(), HttpError> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        store
            .save(&self.config.connection, state)
            .await
            .map_err(|e| {
                self.error(
                    HttpErrorKind::Auth,
                    None,
                    format!("cannot save the new token state: {e}"),
                )
            })
    }

    /// Records a failed token request (best effort).
    async fn failed(&self, inner: &mut Inner, outcome: String, reauth: bool) {
        let label = if reauth { "invalid_grant" } else { "error" };
        crate::telemetry::token_refreshed(&self.config.connection, label, None);
        let state = &mut inner.state;
        state.last_refresh_at = Some(now_millis());
        state.last_outcome = Some(self.redact(&outcome));
        state.consecutive_failures = state.consecutive_failures.saturating_add(1);
        if reauth {
            state.needs_reauth = true;
            state.access_token = None;
        }
        if let Err(e) = self.save(state).await {
            tracing::warn!(connection = %self.config.connection, "{e}");
        }
    }

    /// The token request's form body.
    fn form(&self, refresh_token: Option<&str>) -> String {
        let c = &self.config;
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        match (c.grant, refresh_token) {
            (OAuth2Grant::RefreshToken, Some(rt)) => {
                form.append_pair("grant_type", "refresh_token");
                form.append_pair("refresh_token", rt);
            }
            _ => {
                form.append_pair("grant_type", "client_credentials");
            }
        }
        if let Some(scope) = &c.scope {
            form.append_pair("scope", scope);
        }
        if let Some(audience) = &c.audience {
            form.append_pair("audience", audience);
        }
        for (k, v) in &c.params {
            form.append_pair(k, v);
        }
        if c.client_auth == OAuth2ClientAuth::Body {
            form.append_pair("client_id", &c.client_id);
            form.append_pair("client_secret", &c.client_secret);
        }
        form.finish()
    }

    async fn refresh(&self, inner: &mut Inner) -> Result<String, HttpError> {
        let c = &self.config;
        let refresh_token = inner
            .state
            .refresh_token
            .clone()
            .or_else(|| c.refresh_token.clone());
        if c.grant == OAuth2Grant::RefreshToken && refresh_token.is_none() {
            return Err(self.error(
                HttpErrorKind::Auth,
                None,
                format!("no refresh token: {}", c.reauth_hint),
            ));
        }
        let body = self.form(refresh_token.as_deref());
        let mut request = self
            .http
            .post(c.token_url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json");
        if c.client_auth == OAuth2ClientAuth::Basic {
            let pair = format!("{}:{}", c.client_id, c.client_secret);
            request = request.header(
                "authorization",
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ),
            );
        }
        self.token_requests.fetch_add(1, Ordering::Relaxed);
        let sent = request.body(body).send().await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                let kind = if e.is_timeout() {
                    HttpErrorKind::Timeout
                } else {
                    HttpErrorKind::Connect
                };
                let detail = format!("token request failed: {e}");
                self.failed(inner, detail.clone(), false).await;
                return Err(self.error(kind, None, detail));
            }
        };
        let status = response.status().as_u16();
        let body = match crate::transport::read_body(response, AUTH_MAX_BODY).await {
            Ok(b) => b,
            Err(e) => {
                let detail = format!("token response unreadable: {e}");
                self.failed(inner, detail.clone(), false).await;
                return Err(self.error(HttpErrorKind::Body, None, detail));
            }
        };
        let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        if !(200..300).contains(&status) {
            let code = json
                .as_ref()
                .and_then(|j| j.get("error"))
                .and_then(|e| e.as_str())
                .unwrap_or("")
                .to_owned();
            if code == "invalid_grant" {
                self.failed(inner, "refused: invalid_grant".to_owned(), true)
                    .await;
                tracing::error!(connection = %c.connection, "token endpoint refused the grant (invalid_grant): re-authorization needed");
                return Err(self.reauth_error());
            }
            let detail = format!("token endpoint answered {status}: {}", excerpt(&body, 200));
            self.failed(inner, detail.clone(), false).await;
            let kind = if matches!(status, 408 | 429 | 500..=599) {
                HttpErrorKind::Status
            } else {
                HttpErrorKind::Auth
            };
            return Err(self.error(kind, Some(status), detail));
        }
        let parsed = json.as_ref().and_then(|j| {
            let access = j.get("access_token")?.as_str()?.to_owned();
            let expires_in = j.get("expires_in").and_then(|v| {
                v.as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            });
            let refresh = j
                .get("refresh_token")
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            Some((access, expires_in, refresh))
        });
        let Some((access, expires_in, refresh)) = parsed else {
            let detail = "token response has no `access_token`".to_owned();
            self.failed(inner, detail.clone(), false).await;
            return Err(self.error(HttpErrorKind::NotJson, Some(status), detail));
        };
        self.hide(&access);
        if let Some(r) = &refresh {
            self.hide(r);
        }
        let now = now_millis();
        let rotated = refresh.is_some() && refresh != inner.state.refresh_token;
        let next = TokenState {
            access_token: Some(access.clone()),
            #[allow(clippy::cast_possible_truncation)]
            expires_at: expires_in.map(|s| now + (s * 1000.0) as i64),
            refresh_token: refresh.or_else(|| inner.state.refresh_token.clone()),
            last_refresh_at: Some(now),
            issued_at: Some(now),
            last_outcome: Some("ok".to_owned()),
            consecutive_failures: 0,
            needs_reauth: false,
            session: false,
        };
        crate::telemetry::token_refreshed(&c.connection, "ok", next.expires_at);
        if let Err(e) = self.save(&next).await {
            if rotated {
                // Never use a refresh token that is not saved: keep it aside
                // and save it before anything else.
                inner.unsaved = Some(next);
                return Err(e);
            }
            tracing::warn!(connection = %c.connection, "{e}");
        }
        inner.state = next;
        tracing::debug!(connection = %c.connection, "access token renewed");
        Ok(access)
    }
}
