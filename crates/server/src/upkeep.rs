//! Housekeeping loops: pruning finished jobs, and keeping idle OAuth2
//! credentials fresh. Each stops on its token, never in the middle of its
//! work (a token refresh cut short could lose a rotated refresh token).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use holdfast_engine::Sources;
use holdfast_store::prelude::*;
use tokio_util::sync::CancellationToken;

/// How often finished jobs are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// How often idle credentials are looked at.
const KEEP_ALIVE_EVERY: Duration = Duration::from_secs(60);

/// Deletes jobs done more than `keep` ago, at start and every hour, until `stop`.
pub(crate) async fn prune(store: Arc<dyn Store>, keep: Duration, stop: CancellationToken) {
    let keep = chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::days(7));
    let mut every = tokio::time::interval(PRUNE_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = stop.cancelled() => return,
        }
        match store.prune_done(Utc::now() - keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "pruned finished jobs"),
            Err(e) => tracing::warn!(error = %e, "could not prune finished jobs"),
        }
    }
}

/// Keep-alive: idle OAuth2 credentials are renewed every
/// `refresh_at_least_every` (and ahead of expiry) even with no sync
/// running; looked at every minute until `stop`.
pub(crate) async fn keep_credentials_alive(source: Arc<Sources>, stop: CancellationToken) {
    let mut every = tokio::time::interval(KEEP_ALIVE_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = stop.cancelled() => return,
        }
        source.keep_credentials_alive().await;
    }
}
