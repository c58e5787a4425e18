//! The credential a connection shares: one session at a time, logged in
//! again once when it expires.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::Mutex;

use super::{LoginStep, SessionConfig, SessionExpiry, SessionJar};
use crate::auth::oauth2::{TokenState, TokenStore, now_millis};
use crate::{HttpError, HttpErrorKind, HttpRequest, Redactor};

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
    pub(super) config: SessionConfig,
    pub(super) jar: Arc<SessionJar>,
    pub(super) http: reqwest::Client,
    store: Option<Arc<dyn TokenStore>>,
    pub(super) redactor: OnceLock<Arc<Redactor>>,
    state: Mutex<State>,
    pub(super) logins: AtomicU64,
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
    /// A login step failed: its request, its answer or a value it extracts.
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

    pub(super) fn redact(&self, text: &str) -> String {
        match self.redactor.get() {
            Some(r) => r.text(text),
            None => text.to_owned(),
        }
    }

    pub(super) fn error(
        &self,
        kind: HttpErrorKind,
        status: Option<u16>,
        detail: String,
    ) -> HttpError {
        let mut e = HttpError::from_message(&self.config.connection, self.redact(&detail));
        e.kind = kind;
        e.status = status;
        e
    }

    pub(super) fn step_error(
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
