//! [`MockServer`]: the router bound to a socket and served on a background task.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::MockConfig;
use crate::routes::router;
use crate::shape::ShapeVersion;
use crate::state::{MockState, MockStats, SeenRequest};

/// How long [`MockServer::shutdown`] waits for open responses before dropping them.
const GRACE: Duration = Duration::from_secs(5);

/// A running mock CRM. Dropping it stops the server too, without waiting.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: MockState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Binds `addr` (port 0 picks a free port) and serves the mock on a spawned task.
    ///
    /// # Errors
    /// If the address cannot be bound.
    ///
    /// # Panics
    /// If called outside a Tokio runtime.
    pub async fn start(config: MockConfig, addr: SocketAddr) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = MockState::new(config);
        let app = router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "mock server stopped with an error");
            }
        });
        tracing::debug!(%addr, "mock server listening");
        Ok(MockServer {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's shared state (the same one its router uses).
    pub fn state(&self) -> &MockState {
        &self.state
    }

    /// Data requests served so far, in total and per path (as `GET /_mock/stats`).
    pub fn stats(&self) -> MockStats {
        self.state.stats()
    }

    /// Login counters of the portal (see [`MockAuth::Session`](crate::MockAuth::Session)).
    pub fn portal_stats(&self) -> crate::PortalStats {
        self.state.portal_stats()
    }

    /// The most data requests seen in any `window`-long span (see
    /// [`MockState::max_requests_in_window`]).
    pub fn max_requests_in_window(&self, window: Duration) -> u64 {
        self.state.max_requests_in_window(window)
    }

    /// The last 1000 data requests, oldest first (as `GET /_mock/requests`).
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state.requests()
    }

    /// Touches `count` contacts (as `POST /_mock/touch?count=N`); returns their ids.
    pub fn touch(&self, count: u64) -> Vec<u64> {
        self.state.touch(count)
    }

    /// Serves every later response in `shape` (as `POST /_mock/shape?version=...`).
    pub fn set_shape(&self, shape: ShapeVersion) {
        self.state.set_shape(shape);
    }

    /// The shape contacts are served in now.
    pub fn shape(&self) -> ShapeVersion {
        self.state.shape()
    }

    /// Stops accepting, lets open responses finish (up to 5 s), and waits for the task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(GRACE, &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
