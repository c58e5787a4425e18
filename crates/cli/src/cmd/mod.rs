//! One file per command.

pub(crate) mod act;
pub(crate) mod alerts;
mod cassettes;
pub(crate) mod chaos;
pub(crate) mod check;
mod check_sample;
pub(crate) mod contract;
pub(crate) mod demo;
pub(crate) mod describe;
pub(crate) mod drift;
pub(crate) mod explain;
pub(crate) mod import;
pub(crate) mod mock;
pub(crate) mod quarantine;
pub(crate) mod queue;
pub(crate) mod reconcile;
pub(crate) mod record;
pub(crate) mod runs;
pub(crate) mod schema;
pub(crate) mod secrets;
pub(crate) mod serve;
pub(crate) mod status;
pub(crate) mod store_migrate;
pub(crate) mod sync;
