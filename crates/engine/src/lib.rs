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

pub mod alerts;
pub mod budget;
mod declarative;
mod error;
pub mod events;
pub mod jobs;
pub mod quarantine;
mod request_log;
pub mod rules;
pub mod schedule;
mod source;
mod sources;
pub mod sync;
pub mod telemetry;
mod template;
pub mod tokens;
pub mod worker;

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
