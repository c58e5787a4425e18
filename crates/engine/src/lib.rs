//! The sync engine of holdfast.
//!
//! A [`Source`] reads pages of records; [`sync::sync_stream`] drives it and
//! commits every page, with the stream's resume point, in one store
//! transaction. The connector file becomes a Source through
//! [`DeclarativeSource`]; an API that config cannot describe gets a
//! hand-written `impl Source` and the same engine (see `examples/` in the
//! repository).
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

// The rooms, in the order data flows through them.

// The connector file, compiled: templates and conditions.
mod template;

// Sources: what reads records (the declarative connector, or a Rust `impl
// Source`), with what they share between processes.
pub mod budget;
mod declarative;
mod error;
mod request_log;
mod source;
mod sources;
pub mod tokens;

// Records kept aside when they fail their checks (the checks are in
// `holdfast_records`).
pub mod quarantine;

// Syncs: the plan, the waves, the run of a stream and its lease.
pub mod sync;

// The safety net: a full scan diffed against the table, deletions proven.
pub mod reconcile;

// Pushed records: webhook events routed to streams.
pub mod events;

// The durable queue: what jobs carry, the workers, who they are, the schedules
// and their windows.
mod calendar;
mod identity;
pub mod jobs;
pub mod queue;
pub mod schedule;

// Runbooks: the connector file and the store in Markdown (`holdfast describe`).
pub mod describe;

// Watching: alert rules and metrics.
pub mod alerts;
pub mod telemetry;

/// The queue's workers under their former path (`holdfast_engine::worker`),
/// kept for callers; new code uses [`queue`].
pub mod worker {
    pub use crate::queue::{
        AckClock, WorkSummary, Worker, WorkerConfig, release_dead_claims, worker_gone, worker_id,
    };
}

pub use declarative::{
    ActionError, ActionResponse, DeclarativeSource, IDEMPOTENCY_HEADER, SourceOptions,
};
pub use error::{SourceError, SyncError};
pub use request_log::RequestLog;
pub use source::{Page, PageReader, ParentInfo, ReadScope, Source, StreamInfo};
pub use sources::{CustomSources, Sources};
pub use template::render_with_env;

/// The HTTP stack's method for a connector file's method.
pub(crate) fn http_method(method: holdfast_spec::Method) -> holdfast_http::Method {
    match method {
        holdfast_spec::Method::Get => holdfast_http::Method::Get,
        holdfast_spec::Method::Post => holdfast_http::Method::Post,
        holdfast_spec::Method::Put => holdfast_http::Method::Put,
        holdfast_spec::Method::Patch => holdfast_http::Method::Patch,
        holdfast_spec::Method::Delete => holdfast_http::Method::Delete,
    }
}
