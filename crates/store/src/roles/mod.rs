//! The store's roles: one trait per kind of work, and [`Store`], all of them.

mod coordination;
mod export;
mod observability;
mod queue;
mod records;
mod secrets;
mod store;

pub use coordination::CoordinationStore;
pub use export::ExportStore;
pub use observability::ObservabilityStore;
pub use queue::JobQueue;
pub use records::RecordStore;
pub use secrets::SecretStore;
pub use store::Store;
