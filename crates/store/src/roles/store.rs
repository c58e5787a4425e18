//! [`Store`]: every role at once, what a backend is.

use super::{
    CoordinationStore, ExportStore, JobQueue, ObservabilityStore, RecordStore, SecretStore,
};

/// Where holdfast keeps everything: a backend implements each role trait
/// and is then a `Store` (a blanket implementation), usable as
/// `Arc<dyn Store>` and as any of its roles (`&dyn JobQueue`, …).
///
/// The role methods are in scope with one `use holdfast_store::prelude::*;`.
pub trait Store:
    RecordStore + ObservabilityStore + SecretStore + CoordinationStore + ExportStore + JobQueue
{
}

impl<T> Store for T where
    T: RecordStore
        + ObservabilityStore
        + SecretStore
        + CoordinationStore
        + ExportStore
        + JobQueue
        + ?Sized
{
}
