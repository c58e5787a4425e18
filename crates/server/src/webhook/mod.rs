//! The webhook receiver: one `POST` route per webhook of the connector file
//! ([`router`]), each request verified (with `holdfast-webhook`), its body
//! checked ([`body`]) and its event queued durably by group commit
//! ([`ingest`]) before the 2xx; refused requests are counted
//! ([`Rejections`]).

pub mod body;
pub mod ingest;
mod outcomes;
mod receive;
mod rejections;
mod verifiers;

pub use ingest::{Ingest, IngestError, IngestReport, IngestWriter};
pub use outcomes::WEBHOOK_REQUESTS;
pub use receive::router;
pub use rejections::Rejections;
pub use verifiers::{ReceiverError, check};
