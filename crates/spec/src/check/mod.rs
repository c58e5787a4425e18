//! Stage two: `RawFile` to `Spec`, collecting every problem with its position.
//! No I/O happens here; environment variables come in as an `Env`, schema
//! files as `SchemaFiles` read before.

mod actions;
mod alerts;
mod bulk;
mod calendar;
mod closed;
mod connections;
mod context;
mod contract;
mod cursor;
mod custom;
mod error_rules;
mod for_each;
mod format;
mod hosts;
mod json;
mod map;
pub(crate) mod names;
mod paginate;
mod reconcile;
mod request;
mod resilience;
mod run;
mod schedule;
mod schema;
mod session;
mod store;
mod streams;
mod templates;
mod values;
mod webhooks;

pub(crate) use run::check;
pub(crate) use store::store_only;
pub(crate) use templates::attributes;
