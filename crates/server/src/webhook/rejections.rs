//! Refused webhook requests, counted per webhook and reason in memory and
//! written to the store about once a second (so a flood of forged requests
//! is not a flood of writes), and once more at a stop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use holdfast_store::prelude::*;
use tokio_util::sync::CancellationToken;

use super::outcomes::counted;

/// How often rejection counters are written to the store.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Rejected requests per (webhook, reason) not yet written to the store.
#[derive(Debug, Clone, Default)]
pub struct Rejections(Arc<Mutex<HashMap<(String, &'static str), u64>>>);

impl Rejections {
    /// Writes the counts gathered since the last call to `queue`; returns
    /// how many rejected requests it wrote.
    pub async fn flush(&self, store: &dyn Store) -> u64 {
        let mut written = 0;
        for ((webhook, reason), n) in self.take() {
            match store.count_rejection(&webhook, reason, n, Utc::now()).await {
                Ok(()) => written += n,
                Err(e) => {
                    tracing::warn!(error = %e, webhook, reason, "could not record rejected requests");
                }
            }
        }
        written
    }

    /// Flushes to `queue` every second until `stop`, then a last time (once
    /// the receiver has stopped, nothing counted is left behind); returns
    /// how many rejected requests that last flush wrote.
    pub async fn keep_flushed(self, store: Arc<dyn Store>, stop: CancellationToken) -> u64 {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    self.flush(&*store).await;
                }
                () = stop.cancelled() => return self.flush(&*store).await,
            }
        }
    }

    /// Counts one refused request (and its metric).
    pub(crate) fn count(&self, webhook: &str, reason: &'static str) {
        counted(webhook, reason);
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry((webhook.to_owned(), reason)).or_default() += 1;
    }

    fn take(&self) -> HashMap<(String, &'static str), u64> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
