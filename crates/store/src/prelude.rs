//! Every role trait of the store, so their methods are in scope with one
//! `use holdfast_store::prelude::*;`.

pub use crate::{
    CoordinationStore, ExportStore, JobQueue, ObservabilityStore, RecordStore, SecretStore, Store,
};
