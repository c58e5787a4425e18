//! A connection resolved: base URL, headers, credentials rendered, and its
//! client stack built from the connection's resilience settings.

use std::sync::Arc;

use holdfast_http::concurrency::InFlight;
use holdfast_http::retry::RetryPolicy;
use holdfast_http::{Client, ClientConfig, KeyLocation, RequestSink, ResolvedAuth};
use holdfast_spec::{Auth, Concurrency};
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
    ) -> Result<Connection, SourceError> {
        let prefix = format!("connections.{}", conn.name);
        let mut render = |field: &str, t: &holdfast_spec::Template| {
            let name = format!("{prefix}.{field}");
            renderer.add(&name, t)?;
            renderer.render(&name, &Vars::default())
        };
        let base = render("base_url", &conn.base_url)?;
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
            _ => ResolvedAuth::None,
        };
        let (in_flight, parallel_chains) = match conn.concurrency {
            Concurrency::Fixed(n) => (InFlight::fixed(n), n),
            Concurrency::Adaptive { max } => (InFlight::adaptive(max), max),
        };
        let classifier = (!conn.errors.is_empty()).then(|| {
            Arc::new(RuleClassifier::new(conn.errors.clone()))
                as Arc<dyn holdfast_http::classify::Classifier>
        });
        let client = Client::new(ClientConfig {
            connection: conn.name.clone(),
            headers,
            timeout: conn.timeout,
            connect_timeout: conn.connect_timeout,
            auth,
            secrets: secrets.to_vec(),
            rate_limit: conn.rate_limit.map(|r| (r.requests, r.per, r.burst)),
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
        })?;
        Ok(Connection {
            client,
            base_url,
            parallel_chains: parallel_chains.max(1) as usize,
        })
    }
}
