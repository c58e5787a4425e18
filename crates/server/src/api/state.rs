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
    /// Tables this process made sure have change numbers (the change feed).
    pub(crate) numbered: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl ApiState {
    /// Whether this process made sure `table` has change numbers.
    pub(crate) fn numbered(&self, table: &str) -> bool {
        self.numbered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(table)
    }

    /// Notes that `table` has change numbers.
    pub(crate) fn mark_numbered(&self, table: &str) {
        self.numbered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(table.to_owned());
    }
}
