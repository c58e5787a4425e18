//! The long-running side of holdfast: [`Server`] owns everything
//! `holdfast serve` does, the binary only wires it.
//!
//! - [`webhook`]: one route per webhook of the connector file, each request
//!   verified and its event committed to the queue (group commit) before
//!   the 2xx;
//! - [`api`]: the admin API under `/api/` (with `POST /api/actions/{name}`),
//!   its OpenAPI document, `/healthz`, `/readyz`, and the dashboard at `/`;
//! - `/metrics` in the Prometheus text format;
//! - the queue's workers and schedules, the alert loop, pruning and the
//!   OAuth2 keep-alive, every one a task of one supervised set.
//!
//! ```no_run
//! # async fn demo(
//! #     spec: std::sync::Arc<holdfast_spec::Spec>,
//! #     env: holdfast_spec::Env,
//! #     store: std::sync::Arc<dyn holdfast_store::Store>,
//! #     source: std::sync::Arc<holdfast_engine::Sources>,
//! # ) -> Result<(), holdfast_server::ServerError> {
//! use holdfast_server::{Server, shutdown_signal};
//!
//! let shutdown = shutdown_signal();
//! let listening = Server::new(spec, env, store, source)
//!     .listen("127.0.0.1:0".parse().expect("an address"))
//!     .bind()
//!     .await?;
//! println!("listening on http://{}", listening.local_addr());
//! let stopped = listening.run(shutdown).await;
//! println!("stopped: {stopped}");
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

pub mod api;
mod dashboard;
mod error;
mod listen;
pub mod metrics;
mod running;
mod server;
mod tasks;
mod upkeep;
pub mod webhook;
mod workers;

pub use api::{ADMIN_TOKEN, ADMIN_TOKEN_SECRET, READ_TOKEN, READ_TOKEN_SECRET};
pub use error::ServerError;
pub use listen::Limits;
pub use running::{Listening, Stopped, shutdown_signal};
pub use server::{Server, ServerOptions};
