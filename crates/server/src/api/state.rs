//! What the admin API's handlers share.

use std::sync::Arc;

use holdfast_spec::Spec;
use holdfast_store::JobQueue;

/// What the admin API reads and acts on.
pub(crate) struct ApiState {
    /// The checked connector file.
    pub(crate) spec: Arc<Spec>,
    /// The store (and its queue).
    pub(crate) queue: Arc<dyn JobQueue>,
    /// The bearer token; `None` turns `/api/` off.
    pub(crate) token: Option<String>,
}
