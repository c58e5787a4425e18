//! The whole checked file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::{Action, AlertRule, Connection, Notify, Stream, Template, Webhook};

/// A whole connector file, checked.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file it was read from (for messages).
    pub origin: PathBuf,
    /// The store URL (`sqlite://holdfast.db`), if the file names one.
    pub store: Option<Template>,
    /// Connections by name.
    pub connections: BTreeMap<String, Connection>,
    /// Streams in file order.
    pub streams: Vec<Stream>,
    /// Streams read by custom sources (`source:`), in file order.
    pub custom_streams: Vec<super::CustomStream>,
    /// Inbound webhooks in file order.
    pub webhooks: Vec<Webhook>,
    /// Outbound actions in file order.
    pub actions: Vec<Action>,
    /// Alert rules in file order.
    pub alerts: Vec<AlertRule>,
    /// Where alerts are delivered besides the log.
    pub notify: Vec<Notify>,
    /// The secret names the file's templates read (`{{ secret.NAME }}`).
    pub secrets: BTreeSet<String>,
    /// What `holdfast test` expects of each stream's replayed cassette (`tests:`).
    pub tests: Vec<super::StreamTest>,
}

impl Spec {
    /// The stream called `name`, if any.
    pub fn stream(&self, name: &str) -> Option<&Stream> {
        self.streams.iter().find(|s| s.name == name)
    }

    /// The webhook called `name`, if any.
    pub fn webhook(&self, name: &str) -> Option<&Webhook> {
        self.webhooks.iter().find(|w| w.name == name)
    }

    /// The action called `name`, if any.
    pub fn action(&self, name: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.name == name)
    }
}
