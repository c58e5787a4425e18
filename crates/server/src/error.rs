//! Why a server cannot start.

use holdfast_engine::SourceError;
use holdfast_engine::alerts::NotifyError;
use holdfast_store::StoreError;

use crate::webhook::ReceiverError;

/// Why [`Server::bind`](crate::Server::bind) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The process-wide metrics recorder could not be installed (one per
    /// process).
    #[error("{0}")]
    Metrics(String),
    /// A webhook route, event condition, schema or map of the connector
    /// file does not compile for the workers.
    #[error(transparent)]
    Worker(#[from] SourceError),
    /// The store could not prepare the tables events write to, or be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A webhook's secret does not render or does not suit its scheme.
    #[error(transparent)]
    Webhook(#[from] ReceiverError),
    /// A stream's `schedule:` cannot be planned.
    #[error("{0}")]
    Schedule(holdfast_engine::schedule::ScheduleError),
    /// A `notify:` URL does not render.
    #[error(transparent)]
    Notify(#[from] NotifyError),
    /// The listen address cannot be bound.
    #[error(
        "cannot listen on {addr}: {error} (is another process using it? try --listen 127.0.0.1:0)"
    )]
    Listen {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// Why it cannot be bound.
        error: std::io::Error,
    },
    /// The bound socket's address cannot be read.
    #[error("cannot read the listening address: {0}")]
    LocalAddr(std::io::Error),
}
