//! The declarative connector: a checked connector file as a [`Source`].

mod action;
mod bulk;
mod classifier;
mod connection;
mod decode;
mod reader;
mod request;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use holdfast_spec::{Env, Spec};
use holdfast_store::{RequestRow, TableSpec};
use serde_json::Value;

use crate::SourceError;
use crate::request_log::RequestLog;
use crate::source::{PageReader, ParentInfo, ReadScope, Source, StreamInfo};
use crate::template::Renderer;
use connection::Connection;
use holdfast_records::{RecordRules, SharedRules};
use reader::DeclarativeReader;

pub use action::{ActionError, ActionResponse, IDEMPOTENCY_HEADER};

/// A connector file, ready to read: connections resolved, templates compiled.
#[derive(Debug)]
pub struct DeclarativeSource {
    spec: Arc<Spec>,
    renderer: Renderer,
    connections: BTreeMap<String, Connection>,
    rules: BTreeMap<String, SharedRules>,
    log: RequestLog,
}

/// What a source keeps outside the process, shared with other processes.
#[derive(Clone, Default)]
pub struct SourceOptions {
    /// Where OAuth2 tokens and login health are kept between processes.
    pub token_store: Option<Arc<dyn holdfast_http::TokenStore>>,
    /// Where each connection's rate budget is kept when the limit must hold
    /// across processes (`None`: each process keeps its own).
    pub rate_budget: Option<Arc<dyn holdfast_http::rate_limit::RateBudget>>,
    /// Every exchange recorded to a cassette, or answered from one (see
    /// [`holdfast_http::tape`]). Replaying, each connection's base URL is the
    /// one the cassette was recorded against (its `connections` member) and
    /// logins (OAuth2, session) are not run: the cassette holds the data
    /// requests, credentials stay out of it.
    pub tape: Option<holdfast_http::tape::Tape>,
    /// Base URLs used instead of the connections' own, by connection name
    /// (a replay's recorded origin, a chaos proxy in front of the API).
    pub base_urls: BTreeMap<String, String>,
}

impl std::fmt::Debug for SourceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceOptions")
            .field("token_store", &self.token_store.is_some())
            .field("rate_budget", &self.rate_budget.is_some())
            .field("tape", &self.tape)
            .finish()
    }
}

impl DeclarativeSource {
    /// Resolves every connection of `spec` (rendering base URLs, headers and
    /// credentials with `env`) and compiles every stream template. Every
    /// secret value `env` holds is redacted from each connection's logs,
    /// errors and stored URLs, as credentials are.
    ///
    /// # Errors
    /// A template that does not render, or a base URL that is not a URL.
    pub fn new(spec: Arc<Spec>, env: &Env) -> Result<DeclarativeSource, SourceError> {
        DeclarativeSource::with_token_store(spec, env, None)
    }

    /// Each connection's base URL, rendered (what a cassette records, so
    /// its replay sends to the same origin).
    pub fn base_urls(&self) -> BTreeMap<String, url::Url> {
        self.connections
            .iter()
            .map(|(name, c)| (name.clone(), c.base_url.clone()))
            .collect()
    }

    /// Renews every OAuth2 token that is due (expiring, or idle for its
    /// `refresh_at_least_every`); failures are logged (redacted), not returned.
    pub async fn keep_credentials_alive(&self) {
        for (name, c) in &self.connections {
            if let Err(e) = c.client.keep_alive().await {
                tracing::warn!(connection = %name, error = %e, "could not renew the OAuth2 token");
            }
        }
    }

    /// As [`DeclarativeSource::new`], keeping OAuth2 token state in `token_store`
    /// (so a restarted process reuses a valid token and the latest refresh token).
    ///
    /// # Errors
    /// As [`DeclarativeSource::new`].
    pub fn with_token_store(
        spec: Arc<Spec>,
        env: &Env,
        token_store: Option<Arc<dyn holdfast_http::TokenStore>>,
    ) -> Result<DeclarativeSource, SourceError> {
        DeclarativeSource::with_options(
            spec,
            env,
            SourceOptions {
                token_store,
                rate_budget: None,
                tape: None,
                base_urls: BTreeMap::new(),
            },
        )
    }

    /// As [`DeclarativeSource::new`], with what the source shares with other
    /// processes (see [`SourceOptions`]).
    ///
    /// # Errors
    /// As [`DeclarativeSource::new`].
    pub fn with_options(
        spec: Arc<Spec>,
        env: &Env,
        options: SourceOptions,
    ) -> Result<DeclarativeSource, SourceError> {
        let mut renderer = Renderer::new(env);
        let log = RequestLog::new();
        let secrets = redacted_secrets(env);
        let mut connections = BTreeMap::new();
        for (name, conn) in &spec.connections {
            let sink = Arc::new(log.clone());
            connections.insert(
                name.clone(),
                Connection::resolve(conn, &mut renderer, sink, &secrets, &options)?,
            );
        }
        for s in &spec.streams {
            let base = format!("streams.{}.request", s.name);
            renderer.add_path(&format!("{base}.path"), &s.request.path)?;
            for (k, t) in &s.request.params {
                renderer.add(&format!("{base}.params.{k}"), t)?;
            }
            for (k, t) in &s.request.headers {
                renderer.add(&format!("{base}.headers.{k}"), t)?;
            }
            if let Some(holdfast_spec::Body::Text(body)) = &s.request.body {
                let name = format!("{base}.body.text");
                if body.is_xml() {
                    renderer.add_xml(&name, &body.text)?;
                } else {
                    renderer.add(&name, &body.text)?;
                }
            }
            bulk::compile(&mut renderer, s)?;
            if let Some(holdfast_spec::StopWhen::Condition(c)) = &s.paginate.stop_when {
                let name = format!("streams.{}.paginate.stop_when", s.name);
                renderer.add_condition(&name, c)?;
            }
        }
        for a in &spec.actions {
            action::compile(&mut renderer, a)?;
        }
        let mut rules = BTreeMap::new();
        for s in &spec.streams {
            rules.insert(s.name.clone(), Arc::new(RecordRules::for_stream(s)?));
        }
        Ok(DeclarativeSource {
            spec,
            renderer,
            connections,
            rules,
            log,
        })
    }

    /// The spec this source runs.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    fn table(&self, stream: &holdfast_spec::Stream) -> TableSpec {
        self.rules_of(&stream.name).table(stream)
    }

    /// The compiled record rules of `stream`.
    pub fn rules_of(&self, stream: &str) -> SharedRules {
        self.rules.get(stream).cloned().unwrap_or_default()
    }
}

/// Every loaded secret value, also as it looks in a URL's query (form
/// encoded) and path (percent encoded), so a secret sent in a URL is hidden
/// there too. Any secret may reach any request (stream and action templates
/// read them as well), so every connection hides them all.
fn redacted_secrets(env: &Env) -> Vec<String> {
    let mut out = Vec::new();
    for value in env.secrets().into_iter().flat_map(|s| s.values()) {
        let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let path = form.replace('+', "%20");
        for v in [value.clone(), form, path] {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

#[async_trait]
impl Source for DeclarativeSource {
    fn streams(&self) -> Vec<StreamInfo> {
        self.spec
            .streams
            .iter()
            .map(|s| StreamInfo {
                name: s.name.clone(),
                table: self.table(s),
                cursor_field: s.incremental.as_ref().map(|i| i.cursor_field.clone()),
                lookback: s
                    .incremental
                    .as_ref()
                    .map(|i| i.lookback)
                    .unwrap_or_default(),
                cursor_format: s
                    .incremental
                    .as_ref()
                    .map(|i| i.cursor_format.clone())
                    .unwrap_or_default(),
                rules: self.rules_of(&s.name),
                parent: s.for_each.as_ref().and_then(|f| {
                    self.spec.stream(&f.stream).map(|p| ParentInfo {
                        stream: p.name.clone(),
                        table: self.table(p),
                    })
                }),
            })
            .collect()
    }

    /// Reads the first page of one stream per connection (nothing is stored).
    async fn connect(&self) -> Result<(), SourceError> {
        for name in self.connections.keys() {
            let probe = self
                .spec
                .streams
                .iter()
                .find(|s| &s.connection == name && s.for_each.is_none() && s.bulk.is_none());
            if let Some(stream) = probe {
                // a failure names the stream whose settings were used, not only a URL
                let named = |e: SourceError| SourceError::Probe {
                    stream: stream.name.clone(),
                    connection: name.clone(),
                    source: Box::new(e),
                };
                let mut reader = self
                    .read(&stream.name, ReadScope::default())
                    .map_err(named)?;
                reader.read_page(&Value::Null).await.map_err(named)?;
            }
        }
        Ok(())
    }

    fn reconcile_settings(&self, stream: &str) -> Option<holdfast_spec::Reconcile> {
        self.spec.stream(stream).and_then(|s| s.reconcile.clone())
    }

    fn parallel_chains(&self, stream: &str) -> usize {
        self.spec
            .stream(stream)
            .and_then(|s| self.connections.get(&s.connection))
            .map_or(1, |c| c.parallel_chains)
    }

    fn take_requests(&self) -> Vec<RequestRow> {
        self.log.drain()
    }

    fn read(
        &self,
        stream: &str,
        scope: ReadScope,
    ) -> Result<Box<dyn PageReader + '_>, SourceError> {
        let s = self
            .spec
            .stream(stream)
            .ok_or_else(|| SourceError::UnknownStream(stream.to_owned()))?;
        let conn = self.connections.get(&s.connection).ok_or_else(|| {
            SourceError::Other(format!("stream `{stream}` names a missing connection"))
        })?;
        if let Some(b) = &s.bulk {
            return Ok(Box::new(bulk::BulkReader::new(
                s,
                b,
                conn,
                &self.renderer,
                scope,
            )));
        }
        Ok(Box::new(DeclarativeReader::new(
            s,
            conn,
            &self.renderer,
            scope,
        )?))
    }
}
