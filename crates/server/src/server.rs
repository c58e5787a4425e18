//! [`Server`]: what `holdfast serve` runs, built from a checked connector
//! file, a store and a source, then bound to its address.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use holdfast_engine::Sources;
use holdfast_engine::alerts::AlertLoop;
use holdfast_spec::{Env, Spec};
use holdfast_store::prelude::*;

use crate::api::{ActionIntake, ApiState};
use crate::error::ServerError;
use crate::listen::Limits;
use crate::running::Listening;
use crate::webhook::Ingest;
use crate::workers::{Crew, alerts_holder};

/// How a [`Server`] runs; [`Default`] is `holdfast serve`'s defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    /// Where to listen (`--listen`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// What one client is allowed.
    pub limits: Limits,
    /// Event and action workers (`--workers`); 0 leaves the queue to other
    /// processes on the store (this one still receives, schedules, serves
    /// the API and evaluates alerts).
    pub workers: usize,
    /// How often alert rules are evaluated (`--alerts-every`).
    pub alerts_every: Duration,
    /// How long finished jobs are kept (`--keep-done`).
    pub keep_done: Duration,
    /// The admin API's bearer token; `None` turns `/api/` off.
    pub admin_token: Option<String>,
    /// The read-only token for the records API (`None`: only the admin token reads it).
    pub read_token: Option<String>,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            limits: Limits::default(),
            workers: 1,
            alerts_every: Duration::from_secs(30),
            keep_done: Duration::from_secs(7 * 24 * 3600),
            admin_token: None,
            read_token: None,
        }
    }
}

/// The long-running process of one connector file: webhook routes and
/// their intake, the admin API and dashboard, `/metrics`, the action
/// endpoint, the queue's workers and schedules, the alert loop and
/// housekeeping, all under one supervisor (see [`Listening::run`]).
pub struct Server {
    spec: Arc<Spec>,
    env: Env,
    store: Arc<dyn Store>,
    source: Arc<Sources>,
    options: ServerOptions,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.spec.origin)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server for `spec` (its templates rendered with `env`) on `queue`,
    /// reading and acting through `source`, with the default options.
    pub fn new(spec: Arc<Spec>, env: Env, store: Arc<dyn Store>, source: Arc<Sources>) -> Server {
        Server {
            spec,
            env,
            store,
            source,
            options: ServerOptions::default(),
        }
    }

    /// Replaces every option.
    pub fn options(mut self, options: ServerOptions) -> Server {
        self.options = options;
        self
    }

    /// Listens on `addr`.
    pub fn listen(mut self, addr: SocketAddr) -> Server {
        self.options.listen = addr;
        self
    }

    /// Bounds each client by `limits`.
    pub fn limits(mut self, limits: Limits) -> Server {
        self.options.limits = limits;
        self
    }

    /// Runs `n` event and action workers.
    pub fn workers(mut self, n: usize) -> Server {
        self.options.workers = n;
        self
    }

    /// Evaluates alert rules every `every`.
    pub fn alerts_every(mut self, every: Duration) -> Server {
        self.options.alerts_every = every;
        self
    }

    /// Keeps finished jobs for `keep`.
    pub fn keep_done(mut self, keep: Duration) -> Server {
        self.options.keep_done = keep;
        self
    }

    /// Serves the admin API behind `token` (`None`: off).
    pub fn admin_token(mut self, token: Option<String>) -> Server {
        self.options.admin_token = token;
        self
    }

    /// Lets `token` read the local copy (`GET /api/streams/{stream}/records`)
    /// and nothing else (`None`: only the admin token reads it).
    pub fn read_token(mut self, token: Option<String>) -> Server {
        self.options.read_token = token;
        self
    }

    /// Gets everything ready and binds the address: installs the metrics
    /// recorder, builds the workers (releasing the jobs of this host's dead
    /// processes), the webhook routes, the schedules and the alert loop.
    /// Nothing runs until [`Listening::run`].
    ///
    /// # Errors
    /// A second metrics recorder in this process, a store that cannot be
    /// prepared, a webhook secret, schedule or `notify:` URL that is not
    /// usable, an address that cannot be bound.
    pub async fn bind(self) -> Result<Listening, ServerError> {
        let Server {
            spec,
            env,
            store,
            source,
            options,
        } = self;
        let metrics = crate::metrics::install()?;
        let crew = Crew::prepare(&spec, &store, &source, options.workers).await?;
        let (ingest, writer) = Ingest::new(store.clone(), crew.wake.clone(), crew.acks.clone());
        let (hooks, rejections) = crate::webhook::router(&spec, &env, ingest.clone())?;
        let alerts = if spec.alerts.is_empty() {
            None
        } else {
            Some(AlertLoop::new(
                spec.clone(),
                &env,
                store.clone(),
                options.alerts_every,
                alerts_holder(),
            )?)
        };
        let api = crate::api::router(Arc::new(ApiState {
            spec: spec.clone(),
            store: store.clone(),
            token: options.admin_token.clone(),
            read_token: options.read_token.clone(),
            source: source.clone(),
            numbered: Default::default(),
        }));
        let actions = crate::api::action_router(Arc::new(ActionIntake {
            spec: spec.clone(),
            source: source.clone(),
            ingest: ingest.clone(),
            token: options.admin_token.clone(),
        }));
        let scrape = metrics.clone();
        let routes = Router::new().merge(api).merge(actions).route(
            "/metrics",
            axum::routing::get(move || {
                let scrape = scrape.clone();
                async move { crate::metrics::scrape(&scrape) }
            }),
        );
        // webhooks keep their own `max_body`; everything else gets `max_api_body`
        let limits = options.limits;
        let app = limits.bound_time(limits.bound_bodies(routes).merge(hooks));
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|error| ServerError::Listen {
                addr: options.listen,
                error,
            })?;
        let addr = listener.local_addr().map_err(ServerError::LocalAddr)?;
        Ok(Listening {
            addr,
            listener,
            app,
            limits,
            store,
            source,
            keep_done: options.keep_done,
            metrics,
            crew,
            ingest,
            writer,
            rejections,
            alerts,
        })
    }
}
