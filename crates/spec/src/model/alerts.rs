//! Alert rules and where they are delivered.

use std::time::Duration;

use super::Template;

/// One rule under `alerts:`: a condition `holdfast serve` evaluates
/// continuously (firing while it holds, resolved when it clears).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// Where it is written, e.g. `alerts[2]` (for messages).
    pub place: String,
    /// The condition.
    pub condition: AlertCondition,
}

impl AlertRule {
    /// The rule's name as written (`no_records`, `error_rate`, …).
    pub fn name(&self) -> &'static str {
        self.condition.name()
    }
}

/// The condition of an alert rule.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertCondition {
    /// The stream brought no new or changed records for `window`.
    NoRecords {
        /// The stream.
        stream: String,
        /// How long without data.
        window: Duration,
    },
    /// The share of failed requests over `window` is above `above`.
    ErrorRate {
        /// One connection, or every connection.
        connection: Option<String>,
        /// A share, 0..1 (`5%` is 0.05).
        above: f64,
        /// The window looked at.
        window: Duration,
    },
    /// Credentials that will stop working: re-authorization needed, or a
    /// token that expires within `within` and could not be renewed.
    TokenExpiring {
        /// One connection, or every connection with tokens.
        connection: Option<String>,
        /// How long before expiry.
        within: Duration,
    },
    /// More than `above` jobs waiting or running.
    QueueDepth {
        /// The threshold.
        above: u64,
    },
    /// The stream's last reconciliation deleted nothing because it was
    /// refused (`max_delete`) or its scan was incomplete. Every stream with
    /// `reconcile:` has this rule even when `alerts:` does not name it.
    ReconcileRefused {
        /// One stream, or every stream with `reconcile:`.
        stream: Option<String>,
    },
    /// The stream's last reconciliation found the copy off by more than
    /// `above`: records fetched, changed or missing, as a share of the records upstream.
    CopyDrift {
        /// One stream, or every stream with `reconcile:`.
        stream: Option<String>,
        /// A share, 0..1.
        above: f64,
    },
    /// The remote's response shape changed within `window`.
    SchemaDrift {
        /// One stream, or every stream.
        stream: Option<String>,
        /// How long a change keeps the alert firing.
        window: Duration,
    },
    /// Every request to the connection failed for `window`.
    RemoteDown {
        /// One connection, or every connection.
        connection: Option<String>,
        /// The window looked at.
        window: Duration,
    },
    /// The remote sent `Deprecation` or `Sunset` headers within `window`.
    Deprecation {
        /// One connection, or every connection.
        connection: Option<String>,
        /// The window looked at.
        window: Duration,
    },
}

impl AlertCondition {
    /// Every rule name, as written in the file.
    pub const NAMES: [&'static str; 9] = [
        "no_records",
        "reconcile_refused",
        "copy_drift",
        "error_rate",
        "token_expiring",
        "queue_depth",
        "schema_drift",
        "remote_down",
        "deprecation",
    ];

    /// The rule's name as written (`no_records`, `error_rate`, …).
    pub fn name(&self) -> &'static str {
        match self {
            AlertCondition::NoRecords { .. } => "no_records",
            AlertCondition::ErrorRate { .. } => "error_rate",
            AlertCondition::TokenExpiring { .. } => "token_expiring",
            AlertCondition::QueueDepth { .. } => "queue_depth",
            AlertCondition::SchemaDrift { .. } => "schema_drift",
            AlertCondition::ReconcileRefused { .. } => "reconcile_refused",
            AlertCondition::CopyDrift { .. } => "copy_drift",
            AlertCondition::RemoteDown { .. } => "remote_down",
            AlertCondition::Deprecation { .. } => "deprecation",
        }
    }
}

/// A place alerts are delivered to.
#[derive(Debug, Clone, PartialEq)]
pub enum Notify {
    /// POST a JSON body to this URL (a template over `env` and `secret`).
    Webhook(Template),
}
