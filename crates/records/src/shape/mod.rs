//! Shapes: the observed structure of records, to detect API contract drift and to infer a
//! starting JSON Schema.
//!
//! Every page's records are folded into a [`Shape`] ([`Shape::observe`], cheap enough for every
//! record); [`Shape::drift_from`] compares it with the stream's last known shape and lists the
//! [`Drift`]s (a field added or removed, a type changed, a field turned nullable), tuned so
//! that optional fields and small pages do not flap. [`page_capped`] spots an API that started
//! capping its page size. [`infer_schema`] turns a shape into a JSON Schema draft 2020-12.

mod diff;
mod format;
mod infer;
mod model;
mod observe;
mod path;
#[cfg(test)]
mod tests;

pub use diff::{Drift, DriftKind, MIN_OBJECTS_FOR_REMOVAL, page_capped};
pub use format::StrFormat;
pub use infer::{DRAFT_2020_12, infer_schema};
pub use model::{FieldShape, JsonType, Shape};
pub use observe::{MAX_DEPTH, MAX_ITEMS};
