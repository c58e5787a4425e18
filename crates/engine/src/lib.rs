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

mod declarative;
mod error;
pub mod quarantine;
mod request_log;
pub mod rules;
mod source;
pub mod sync;
mod template;

pub use declarative::DeclarativeSource;
pub use error::{SourceError, SyncError};
pub use request_log::RequestLog;
pub use source::{Page, PageReader, ParentInfo, ReadScope, Source, StreamInfo};
pub use template::render_with_env;
