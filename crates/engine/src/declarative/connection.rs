//! A connection resolved: base URL, headers, credentials rendered, and its
//! client stack built from the connection's resilience settings.

use std::sync::Arc;

use holdfast_http::concurrency::InFlight;
use holdfast_http::retry::RetryPolicy;
use holdfast_http::tape::Tape;
use holdfast_http::{
    Client, ClientConfig, Extract, HostRule, KeyLocation, LoginBody, LoginStep, OAuth2ClientAuth,
    OAuth2Config, OAuth2Credential, OAuth2Grant, RenderFn, RequestSink, ResolvedAuth, Scope,
    SessionConfig, SessionCredential, SessionExpiry,
};
use holdfast_spec::{Auth, ClientAuth, Concurrency, Grant};
use url::Url;

use super::classifier::RuleClassifier;
use crate::SourceError;
use crate::template::{Renderer, Vars};

/// A resolved connection.
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) client: Client,
    pub(crate) base_url: Url,
    /// How many chains of one stream may run at once on this connection.
    pub(crate) parallel_chains: usize,
}

impl Connection {
    /// Renders the connection's templates (they may read `env` and
    /// `secret`) and builds its client; `secrets` are values its redactor
    /// hides besides the credentials.
    pub(crate) fn resolve(
        conn: &holdfast_spec::Connection,
        renderer: &mut Renderer,
        sink: Arc<dyn RequestSink>,
        secrets: &[String],
        options: &super::SourceOptions,
    ) -> Result<Connection, SourceError> {
        let token_store = options.token_store.clone();
        let prefix = format!("connections.{}", conn.name);
        let mut render = |field: &str, t: &holdfast_spec::Template| {
            let name = format!("{prefix}.{field}");
            renderer.add(&name, t)?;
            renderer.render(&name, &Vars::default())
        };
        let replaying = matches!(options.tape, Some(Tape::Replay(_)));
        let base = match options.base_urls.get(&conn.name) {
            Some(base) => base.clone(),
            None => render("base_url", &conn.base_url)?,
        };
        let base_url = Url::parse(&base).map_err(|e| SourceError::Config {
            field: format!("{prefix}.base_url"),
            message: format!(
                "rendered to `{base}`, which is not an absolute URL ({e}); \
                 it should look like https://api.example.com"
            ),
        })?;
        let mut headers = Vec::new();
        for (k, t) in &conn.headers {
            headers.push((k.clone(), render(&format!("headers.{k}"), t)?));
        }
        let auth = match &conn.auth {
            // Replaying: logins are not in the cassette and not needed.
            Auth::OAuth2(_) | Auth::Session(_) if replaying => ResolvedAuth::None,
            Auth::ApiKey {
                name,
                value,
                location,
            } => ResolvedAuth::ApiKey {
                name: name.clone(),
                value: render("auth.value", value)?,
                location: match location {
                    holdfast_spec::KeyLocation::Header => KeyLocation::Header,
                    holdfast_spec::KeyLocation::Query => KeyLocation::Query,
                },
            },
            Auth::Basic { username, password } => ResolvedAuth::Basic {
                username: render("auth.username", username)?,
                password: render("auth.password", password)?,
            },
            Auth::Bearer { token } => ResolvedAuth::Bearer {
                token: render("auth.token", token)?,
            },
            Auth::OAuth2(o) => {
                let token_url = render("auth.token_url", &o.token_url)?;
                let token_url =
                    super::reader::join_url(&base_url, &token_url).map_err(|message| {
                        SourceError::Config {
                            field: format!("{prefix}.auth.token_url"),
                            message,
                        }
                    })?;
                let mut optional = |field: &str, t: &Option<holdfast_spec::Template>| {
                    t.as_ref().map(|t| render(field, t)).transpose()
                };
                let refresh_token = optional("auth.refresh_token", &o.refresh_token)?;
                let scope = optional("auth.scope", &o.scope)?;
                let audience = optional("auth.audience", &o.audience)?;
                let mut params = Vec::new();
                for (k, t) in &o.params {
                    params.push((k.clone(), render(&format!("auth.params.{k}"), t)?));
                }
                let config = OAuth2Config {
                    connection: conn.name.clone(),
                    token_url,
                    grant: match o.grant {
                        Grant::ClientCredentials => OAuth2Grant::ClientCredentials,
                        Grant::RefreshToken => OAuth2Grant::RefreshToken,
                    },
                    client_id: render("auth.client_id", &o.client_id)?,
                    client_secret: render("auth.client_secret", &o.client_secret)?,
                    refresh_token,
                    scope,
                    audience,
                    params,
                    client_auth: match o.client_auth {
                        ClientAuth::Basic => OAuth2ClientAuth::Basic,
                        ClientAuth::Body => OAuth2ClientAuth::Body,
                    },
                    refresh_before_expiry: o.refresh_before_expiry,
                    refresh_at_least_every: o.refresh_at_least_every,
                    timeout: conn.timeout,
                    reauth_hint: reauth_hint(o),
                };
                ResolvedAuth::OAuth2(Arc::new(OAuth2Credential::new(
                    config,
                    token_store.clone(),
                )?))
            }
            Auth::Session(s) => {
                let config = session_config(conn, s, &base_url, renderer)?;
                ResolvedAuth::Session(Arc::new(SessionCredential::new(
                    config,
                    token_store.clone(),
                )?))
            }
            Auth::None => ResolvedAuth::None,
        };
        let (in_flight, parallel_chains) = match conn.concurrency {
            Concurrency::Fixed(n) => (InFlight::fixed(n), n),
            Concurrency::Adaptive { max } => (InFlight::adaptive(max), max),
        };
        let classifier = if conn.errors.is_empty() {
            None
        } else {
            let rules = conn
                .errors
                .iter()
                .enumerate()
                .map(|(i, rule)| (format!("connections.{}.errors[{i}].when", conn.name), rule));
            Some(Arc::new(RuleClassifier::new(rules)?)
                as Arc<dyn holdfast_http::classify::Classifier>)
        };
        let allowed = conn
            .allowed_hosts
            .iter()
            .map(|h| HostRule {
                scheme: h.scheme.clone(),
                host: h.host.clone(),
                subdomains: h.subdomains,
                port: h.port,
            })
            .collect();
        let client = Client::new(ClientConfig {
            connection: conn.name.clone(),
            scope: Scope::new(&base_url, allowed),
            max_response: conn.max_response,
            headers,
            timeout: conn.timeout,
            connect_timeout: conn.connect_timeout,
            auth,
            secrets: secrets.to_vec(),
            rate_limit: conn.rate_limit.map(|r| (r.requests, r.per, r.burst)),
            rate_budget: options.rate_budget.clone(),
            retry: RetryPolicy {
                attempts: conn.retry.attempts,
                initial: conn.retry.initial,
                max: conn.retry.max,
                max_wait: conn.retry.max_wait,
            },
            breaker: conn.breaker.map(|b| (b.failures, b.cool_down)),
            classifier,
            in_flight,
            sink,
            tape: options.tape.clone(),
        })?;
        Ok(Connection {
            client,
            base_url,
            parallel_chains: parallel_chains.max(1) as usize,
        })
    }
}

/// A session login's steps with their URLs fixed and their templates
/// turned into functions of the values extracted so far (`session.NAME`).
fn session_config(
    conn: &holdfast_spec::Connection,
    s: &holdfast_spec::Session,
    base_url: &Url,
    renderer: &mut Renderer,
) -> Result<SessionConfig, SourceError> {
    let prefix = format!("connections.{}.auth", conn.name);
    let shared = Arc::new(renderer.clone());
    let template = |field: String, t: &holdfast_spec::Template| -> RenderFn {
        let r = shared.clone();
        let source = t.source.clone();
        Arc::new(move |values| {
            r.render_str(&field, &source, &session_vars(values))
                .map_err(|e| e.to_string())
        })
    };
    let pairs = |at: &str, list: &[(String, holdfast_spec::Template)]| -> Vec<(String, RenderFn)> {
        list.iter()
            .map(|(k, t)| (k.clone(), template(format!("{at}.{k}"), t)))
            .collect()
    };
    let mut steps = Vec::new();
    for (i, step) in s.login.iter().enumerate() {
        let at = format!("{prefix}.login[{i}]");
        let path =
            renderer.render_path_str(&format!("{at}.path"), &step.path.source, &Vars::default())?;
        let mut url =
            super::reader::join_url(base_url, &path).map_err(|message| SourceError::Config {
                field: format!("{at}.path"),
                message,
            })?;
        for (k, t) in &step.params {
            let value =
                renderer.render_str(&format!("{at}.params.{k}"), &t.source, &Vars::default())?;
            if !value.is_empty() {
                url.query_pairs_mut().append_pair(k, &value);
            }
        }
        let body = match &step.body {
            holdfast_spec::LoginBody::None => LoginBody::None,
            holdfast_spec::LoginBody::Form(fields) => {
                LoginBody::Form(pairs(&format!("{at}.form"), fields))
            }
            holdfast_spec::LoginBody::Json(json) => {
                let r = shared.clone();
                let json = json.clone();
                let field = format!("{at}.json");
                LoginBody::Json(Arc::new(move |values| {
                    super::action::render_json(&r, &field, &json, &session_vars(values))
                        .map(|v| v.to_string())
                        .map_err(|e| e.to_string())
                }))
            }
        };
        let extract = step
            .extract
            .iter()
            .map(|(name, e)| {
                let e = match e {
                    holdfast_spec::Extract::Css { selector, attr } => Extract::Css {
                        selector: selector.clone(),
                        attr: attr.clone(),
                    },
                    holdfast_spec::Extract::Regex(r) => Extract::Regex(r.clone()),
                    holdfast_spec::Extract::Cookie(c) => Extract::Cookie(c.clone()),
                    holdfast_spec::Extract::Json(p) => Extract::Json(p.clone()),
                    holdfast_spec::Extract::Header(h) => Extract::Header(h.clone()),
                };
                (name.clone(), e)
            })
            .collect();
        steps.push(LoginStep {
            method: crate::http_method(step.method),
            url,
            headers: pairs(&format!("{at}.headers"), &step.headers),
            body,
            extract,
        });
    }
    let login_paths = steps.iter().map(|s| s.url.path().to_owned()).collect();
    let when = match &s.expired_when {
        Some(t) => {
            let rule = holdfast_spec::ErrorRule {
                when: t.clone(),
                action: holdfast_spec::ErrorAction::Fail,
            };
            let classifier = RuleClassifier::new([(format!("{prefix}.expired_when"), &rule)])?;
            Some(Arc::new(classifier) as Arc<dyn holdfast_http::classify::Classifier>)
        }
        None => None,
    };
    Ok(SessionConfig {
        connection: conn.name.clone(),
        steps,
        headers: pairs(&format!("{prefix}.headers"), &s.headers),
        expiry: SessionExpiry {
            statuses: s.expired_status.clone(),
            login_paths,
            when,
        },
        timeout: conn.timeout,
    })
}

/// The template variables of a login: `session` = the values so far.
fn session_vars(values: &std::collections::BTreeMap<String, String>) -> Vars {
    Vars::default().with_value(
        "session",
        minijinja::Value::from(minijinja::value::Serde(values)),
    )
}

/// How to fix a refused grant: set the secret the credential comes from.
fn reauth_hint(o: &holdfast_spec::OAuth2) -> String {
    let source = match o.grant {
        Grant::RefreshToken => o.refresh_token.as_ref().map(|t| t.source.as_str()),
        Grant::ClientCredentials => Some(o.client_secret.source.as_str()),
    };
    let what = match o.grant {
        Grant::RefreshToken => "refresh token",
        Grant::ClientCredentials => "client secret",
    };
    let secret = source.and_then(|s| {
        let rest = &s[s.find("secret.")? + "secret.".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        (!name.is_empty()).then_some(name)
    });
    match secret {
        Some(name) => format!("set a new one with `holdfast secrets set {name}`"),
        None => format!("set a new {what} and run again"),
    }
}
