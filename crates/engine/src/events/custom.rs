//! Webhook events of streams a custom source reads (`source:` in the file).
//!
//! The route works as for any stream: `when:` picks it, `record:` picks the
//! part of the body handed on (default the whole body), `version:` and
//! `delete_when:` are read from the body. The source's
//! [`handle_event`](crate::Source::handle_event) then turns that record
//! into the records to write, zero or more; each is checked against the
//! stream's rules (its primary key, at least) and written with the event's
//! version, in the transaction that marks the job done:
//!
//! - a record whose stored version is the same or newer is left as it is
//!   (`stale`), as for a declarative stream's event;
//! - with `delete_when` true, every record returned is deleted by its key;
//! - no record returned: the event is acknowledged and ignored;
//! - a record without its key, or failing the stream's rules: the event is
//!   dead-lettered with the reason, nothing of it is written;
//! - `handle_event` fails: an HTTP error that another try may cure (a
//!   timeout, 5xx, 429) retries the event with backoff, any other error
//!   (or a panic) dead-letters it with the source's message.

use std::panic::AssertUnwindSafe;

use futures::FutureExt as _;
use serde_json::Value;

use super::{EventRouter, EventWrite, RouteError, Routed};
use crate::{Source, SourceError};

/// An event routed to a custom source's stream, before its `handle_event`.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomEvent {
    /// The stream, read by a custom source.
    pub stream: String,
    /// What the route's `record:` selects (the whole body by default):
    /// the payload handed to `handle_event`.
    pub record: Value,
    /// The event's version as sortable text, as for [`EventWrite::version`].
    pub version: Option<String>,
    /// Where the version was read, for messages.
    pub version_at: Option<String>,
    /// True when `delete_when` holds: the records returned are deleted.
    pub delete: bool,
}

/// What a queued event comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// Rows to write (or delete) with the job's completion; one for a
    /// declarative stream, any number for a custom one.
    Writes(Vec<EventWrite>),
    /// Nothing to write: acknowledged and ignored.
    Ignored,
    /// A permanent problem: dead-letter the job with this reason.
    Dead(String),
    /// A problem another try may cure: retry the job later.
    Retry(String),
}

/// Resolves an event `routed` by `router`: a custom stream's event goes
/// through `source`'s `handle_event` (see the module documentation), any
/// other is passed on as routed.
pub async fn resolve(
    router: &EventRouter,
    source: &dyn Source,
    routed: Result<Routed, RouteError>,
) -> Resolved {
    let event = match routed {
        Err(reason) => return Resolved::Dead(reason.to_string()),
        Ok(Routed::Ignored) => return Resolved::Ignored,
        Ok(Routed::Apply(write)) => return Resolved::Writes(vec![write]),
        Ok(Routed::Handle(event)) => event,
    };
    let handled = AssertUnwindSafe(source.handle_event(&event.stream, event.record.clone()))
        .catch_unwind()
        .await;
    let failed = |what: String| format!("stream `{}`: handle_event {what}", event.stream);
    match handled {
        Err(panic) => Resolved::Dead(failed(format!("panicked: {}", panic_text(&*panic)))),
        Ok(Err(SourceError::Http(e))) if e.is_retryable() => {
            Resolved::Retry(failed(format!("failed: {e}")))
        }
        Ok(Err(e)) => Resolved::Dead(failed(format!("failed: {e}"))),
        Ok(Ok(records)) if records.is_empty() => Resolved::Ignored,
        Ok(Ok(records)) => match router.handled(&event, records) {
            Ok(writes) => Resolved::Writes(writes),
            Err(reason) => Resolved::Dead(reason.to_string()),
        },
    }
}

impl EventRouter {
    /// The writes of `records`, returned by `handle_event` for `event`:
    /// each checked by the stream's rules and carrying the event's version.
    ///
    /// # Errors
    /// A record that is not routed here, has no key or fails its rules
    /// (the whole event is refused: nothing of it is written).
    pub fn handled(
        &self,
        event: &CustomEvent,
        records: Vec<Value>,
    ) -> Result<Vec<EventWrite>, RouteError> {
        let stream = self
            .streams
            .get(&event.stream)
            .ok_or_else(|| RouteError::NotRouted(event.stream.clone()))?;
        records
            .into_iter()
            .map(|record| {
                Ok(EventWrite {
                    stream: event.stream.clone(),
                    row: self.row(stream, &event.stream, record, event.delete)?,
                    version: event.version.clone(),
                    version_at: event.version_at.clone(),
                    delete: event.delete,
                })
            })
            .collect()
    }
}

/// A panic's message, when it has one.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

#[cfg(test)]
mod tests;
