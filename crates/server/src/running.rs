//! A bound server ([`Listening`]) and its run: every task in one
//! supervised set, and an orderly stop that loses nothing acknowledged.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use holdfast_engine::Sources;
use holdfast_engine::alerts::AlertLoop;
use holdfast_engine::schedule::ScheduledStream;
use holdfast_store::prelude::*;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::listen::Limits;
use crate::tasks::{Ended, Tasks};
use crate::webhook::{Ingest, IngestWriter, Rejections};
use crate::workers::Crew;

/// How often the queue's depth is sampled for `/metrics`.
const SAMPLE_QUEUE_EVERY: Duration = Duration::from_secs(5);

/// A server bound to its address, everything built, nothing running yet.
pub struct Listening {
    pub(crate) addr: SocketAddr,
    pub(crate) listener: TcpListener,
    pub(crate) app: Router,
    pub(crate) limits: Limits,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) source: Arc<Sources>,
    pub(crate) keep_done: Duration,
    pub(crate) metrics: PrometheusHandle,
    pub(crate) crew: Crew,
    pub(crate) ingest: Ingest,
    pub(crate) writer: IngestWriter,
    pub(crate) rejections: Rejections,
    pub(crate) alerts: Option<AlertLoop>,
}

impl std::fmt::Debug for Listening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listening")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// What a server did when it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stopped {
    /// Webhook events and actions committed to the queue since the start.
    pub queued: u64,
    /// Of those, the ones committed after the stop began (requests in
    /// flight then, answered before the receiver closed).
    pub drained: u64,
    /// Rejected webhook requests written by the last flush of the counters.
    pub flushed: u64,
    /// Background tasks that ended.
    pub tasks: usize,
    /// Of those, tasks that failed (each was logged).
    pub failed: usize,
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "drained {} ({} queued since the start), flushed the counts of {}, stopped {}",
            count(
                self.drained,
                "in-flight webhook event or action",
                "in-flight webhook events and actions"
            ),
            self.queued,
            count(
                self.flushed,
                "refused webhook request",
                "refused webhook requests"
            ),
            count(self.tasks as u64, "task", "tasks"),
        )?;
        if self.failed > 0 {
            write!(f, " ({} failed; see the log)", self.failed)?;
        }
        Ok(())
    }
}

fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Listening {
    /// The address it listens on (the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Jobs released at start because the process of this host that had
    /// claimed them is gone.
    pub fn released_jobs(&self) -> u64 {
        self.crew.released
    }

    /// The scheduled streams.
    pub fn schedules(&self) -> impl Iterator<Item = &ScheduledStream> {
        self.crew.schedules()
    }

    /// The alert loop, when the connector file has rules.
    pub fn alerts(&self) -> Option<&AlertLoop> {
        self.alerts.as_ref()
    }

    /// Runs until `shutdown` resolves (e.g. [`shutdown_signal`]), then stops
    /// in order: the listener closes and requests in flight are answered
    /// (each acknowledged event is committed before its 2xx); the intake
    /// refuses new jobs and commits the ones handed over; workers and
    /// schedules stop (a running sync commits its page and gives its lease
    /// back); the rejection counters are flushed; every task is awaited.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Stopped {
        let Listening {
            addr: _,
            listener,
            app,
            limits,
            store,
            source,
            keep_done,
            metrics,
            crew,
            ingest,
            writer,
            rejections,
            alerts,
        } = self;
        let intake = CancellationToken::new();
        let stop = CancellationToken::new();
        let mut tasks = Tasks::default();
        let http = tasks.spawn_quiet(
            "http",
            crate::listen::serve(listener, app, limits, intake.clone()),
        );
        let s = stop.clone();
        tasks.spawn("webhook intake", async move {
            Ended::Ingest(writer.run(s).await)
        });
        let (s, q) = (stop.clone(), store.clone());
        tasks.spawn("webhook rejections", async move {
            Ended::Flushed(rejections.keep_flushed(q, s).await)
        });
        tasks.spawn_quiet(
            "metrics upkeep",
            crate::metrics::upkeep(metrics, stop.clone()),
        );
        tasks.spawn_quiet(
            "queue sampler",
            crate::metrics::sample_queue(store.clone(), SAMPLE_QUEUE_EVERY, stop.clone()),
        );
        tasks.spawn_quiet(
            "pruning",
            crate::upkeep::prune(store.clone(), keep_done, stop.clone()),
        );
        // every source is disconnected once every task has ended
        let sources = source.clone();
        tasks.spawn_quiet(
            "credentials keep-alive",
            crate::upkeep::keep_credentials_alive(source, stop.clone()),
        );
        crew.spawn(&mut tasks, &stop);
        if let Some(alerts) = alerts {
            tasks.spawn_quiet("alerts", alerts.run(stop.clone()));
        }
        tokio::pin!(shutdown);
        while tasks.running() > 0 {
            tokio::select! {
                () = &mut shutdown => break,
                _ = tasks.next() => {}
            }
        }
        tasks.stopping();
        let before = ingest.committed();
        intake.cancel();
        tasks.wait_for(http).await;
        stop.cancel();
        tasks.join_all().await;
        holdfast_engine::Source::disconnect(&*sources).await;
        let totals = tasks.totals;
        let queued = totals
            .ingest
            .map_or_else(|| ingest.committed(), |r| r.committed);
        Stopped {
            queued,
            drained: queued.saturating_sub(before),
            flushed: totals.flushed,
            tasks: totals.ended,
            failed: totals.failed,
        }
    }
}

/// Resolves at the first SIGINT (Ctrl-C) or SIGTERM. The handlers are
/// installed when this is called, not when first polled: call it before
/// telling anyone the server is up. Needs a Tokio runtime.
#[cfg(unix)]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate()).ok();
    let int = signal(SignalKind::interrupt()).ok();
    async move {
        let term = async {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        let int = async {
            match int {
                Some(mut s) => {
                    s.recv().await;
                }
                None => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        tokio::select! {
            () = term => {}
            () = int => {}
        }
    }
}

/// Resolves at the first Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
