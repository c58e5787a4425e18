//! A stream's lease: the named lease `stream:{name}` a run holds, so a
//! stream never runs twice at once, on this machine or another. A queued
//! sync takes it in the queue's sync handler; a run started outside the
//! queue (`holdfast sync` by hand) holds it with [`with_stream_lease`].

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_store::StoreError;
use holdfast_store::prelude::*;

use crate::identity::worker_gone;

/// The named lease a stream's run holds.
pub fn stream_lease(stream: &str) -> String {
    format!("stream:{stream}")
}

/// The stream is being synced by another process.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{stream}` is being synced by another process ({holder}, lease until {until}); \
     run it again when that run ends, or queue one with `POST /api/streams/{stream}/sync`"
)]
pub struct StreamBusy {
    /// The stream.
    pub stream: String,
    /// Who holds its lease (`host/pid/n`).
    pub holder: String,
    /// Until when, unless renewed.
    pub until: DateTime<Utc>,
}

/// Runs `work` while holding the lease of `stream` as `holder` (renewed
/// every third of `ttl`), then gives it up. A holder on this host whose
/// process is gone is not waited for.
///
/// # Errors
/// The store failed; `Ok(Err(StreamBusy))` when another live process holds it.
pub async fn with_stream_lease<F: Future>(
    store: &dyn Store,
    stream: &str,
    holder: &str,
    ttl: Duration,
    work: F,
) -> Result<Result<F::Output, StreamBusy>, StoreError> {
    let name = stream_lease(stream);
    let span = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::seconds(30));
    if let Some((holder, until)) = take(store, &name, holder, span).await? {
        return Ok(Err(StreamBusy {
            stream: stream.to_owned(),
            holder,
            until,
        }));
    }
    let output = tokio::select! {
        output = work => output,
        never = renew(store, &name, holder, ttl) => match never {},
    };
    if let Err(e) = store.release_lease(&name, holder).await {
        tracing::warn!(lease = %name, error = %e, "could not give the stream lease up; it ends by itself");
    }
    Ok(Ok(output))
}

/// Takes lease `name` for `holder` until `span` from now: `None` when
/// taken, else who holds it and until when. A holder on this host whose
/// process is gone is not waited for.
pub(crate) async fn take(
    store: &dyn Store,
    name: &str,
    holder: &str,
    span: chrono::Duration,
) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
    for _ in 0..2 {
        let now = Utc::now();
        if store.acquire_lease(name, holder, now + span, now).await? {
            return Ok(None);
        }
        let held = store.leases().await?;
        let Some(held) = held.into_iter().find(|l| l.name == name) else {
            continue; // given up meanwhile
        };
        if worker_gone(&held.holder) {
            tracing::info!(lease = name, holder = %held.holder, "taking over the lease of a process that is gone");
            store.release_lease(name, &held.holder).await?;
            continue;
        }
        return Ok(Some((held.holder, held.until)));
    }
    Ok(Some(("another process".to_owned(), Utc::now() + span)))
}

/// Renews the lease every third of `ttl`, for as long as it is polled.
async fn renew(store: &dyn Store, name: &str, holder: &str, ttl: Duration) -> Infallible {
    let span = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::seconds(30));
    loop {
        tokio::time::sleep(ttl / 3).await;
        let now = Utc::now();
        match store.acquire_lease(name, holder, now + span, now).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(lease = %name, "lost the stream lease to another process during a run");
            }
            Err(e) => tracing::warn!(lease = %name, error = %e, "could not renew the stream lease"),
        }
    }
}
