//! What the admin API's handlers share.

use std::sync::Arc;

use holdfast_spec::Spec;
use holdfast_store::prelude::*;

/// What the admin API reads and acts on.
pub(crate) struct ApiState {
    /// The checked connector file.
    pub(crate) spec: Arc<Spec>,
    /// The store (and its queue).
    pub(crate) store: Arc<dyn Store>,
    /// The bearer token; `None` turns `/api/` off.
    pub(crate) token: Option<String>,
    /// The read-only token: reads the local copy, nothing else.
    pub(crate) read_token: Option<String>,
    /// The source, for what needs a stream's rules (a quarantine retry).
    pub(crate) source: Arc<holdfast_engine::Sources>,
}
