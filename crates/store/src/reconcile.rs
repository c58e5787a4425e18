//! What a reconciliation leaves in the store: the sweep of rows a complete
//! scan did not see ([`Sweep`]), and the record of each reconciliation
//! ([`Reconciliation`]) that `status`, `/metrics` and alerts read.

use chrono::{DateTime, Utc};

use crate::{RunId, StoreError, StoreErrorKind, TableSpec};

/// What happens to live rows a complete scan did not see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingAction {
    /// Count them; change nothing.
    Report,
    /// Tombstone them: `_deleted_at` set, the row stays (a record seen
    /// again lifts it).
    SoftDelete,
    /// Remove the rows.
    HardDelete,
}

impl MissingAction {
    /// The name written in connector files and stored (`report`, `soft_delete`, `hard_delete`).
    pub fn as_str(self) -> &'static str {
        match self {
            MissingAction::Report => "report",
            MissingAction::SoftDelete => "soft_delete",
            MissingAction::HardDelete => "hard_delete",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<MissingAction> {
        Some(match s {
            "report" => MissingAction::Report,
            "soft_delete" => MissingAction::SoftDelete,
            "hard_delete" => MissingAction::HardDelete,
            _ => return None,
        })
    }
}

/// The sweep that ends a complete reconciliation scan: the live rows of
/// `table` the scan's run did not see (`_last_run` is not `run` and
/// `_last_seen` is before `seen_since`, so a row a webhook or anything
/// else wrote during the scan is spared) are counted, and `action` is
/// applied to them unless they are more than the limits allow.
#[derive(Debug, Clone)]
pub struct Sweep<'a> {
    /// The stream table.
    pub table: &'a TableSpec,
    /// The scan's run: rows it saw carry it in `_last_run`.
    pub run: RunId,
    /// Rows seen at or after this time are spared (the scan's start, less any grace).
    pub seen_since: DateTime<Utc>,
    /// What to do with the missing rows.
    pub action: MissingAction,
    /// The most missing rows acted on, as a share of the live rows (0..=1).
    pub max_share: f64,
    /// The most missing rows acted on, as a count.
    pub max_count: u64,
    /// The sweep's clock (`_deleted_at` of soft-deleted rows).
    pub now: DateTime<Utc>,
}

impl Sweep<'_> {
    /// Whether `missing` of `live` rows is beyond the limits.
    pub fn refuses(&self, missing: u64, live: u64) -> bool {
        missing > self.max_count || missing as f64 > self.max_share * live as f64
    }

    /// What a backend applies to the `missing` of `live` rows: the action
    /// that changes rows, or `None` (nothing missing, reporting only, or
    /// refused: see [`Sweep::refuses`]).
    pub fn to_apply(&self, missing: u64, live: u64) -> Option<MissingAction> {
        match self.action {
            _ if missing == 0 || self.refuses(missing, live) => None,
            MissingAction::Report => None,
            action => Some(action),
        }
    }
}

/// What a [`Sweep`] found and did, counted and decided in one transaction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepOutcome {
    /// Live rows in the table (before the sweep).
    pub live: u64,
    /// Live rows the scan did not see.
    pub missing: u64,
    /// Rows the action was applied to (0 when refused or reporting).
    pub applied: u64,
    /// True when `missing` was beyond the limits, so nothing was applied.
    pub refused: bool,
}

/// How a reconciliation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconcileOutcome {
    /// The scan was complete and the missing rows were handled per `action`.
    Complete,
    /// The scan was complete; nothing was deleted because it was a dry run.
    DryRun,
    /// The scan was complete but would have deleted too much: nothing was deleted.
    Refused,
    /// The scan was not complete (failed, cut short, skipped or
    /// quarantined something): nothing was deleted.
    Incomplete,
}

impl ReconcileOutcome {
    /// The lowercase name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ReconcileOutcome::Complete => "complete",
            ReconcileOutcome::DryRun => "dry_run",
            ReconcileOutcome::Refused => "refused",
            ReconcileOutcome::Incomplete => "incomplete",
        }
    }

    /// Parses a stored name.
    ///
    /// # Errors
    /// [`StoreErrorKind::Schema`] for a name no holdfast writes.
    pub fn from_stored(s: &str) -> Result<ReconcileOutcome, StoreError> {
        Ok(match s {
            "complete" => ReconcileOutcome::Complete,
            "dry_run" => ReconcileOutcome::DryRun,
            "refused" => ReconcileOutcome::Refused,
            "incomplete" => ReconcileOutcome::Incomplete,
            other => {
                return Err(StoreError::new(
                    StoreErrorKind::Schema,
                    "reading reconciliations",
                    format!("unknown reconciliation outcome `{other}`"),
                ));
            }
        })
    }
}

/// One reconciliation of one stream, as recorded: the scan's run and the
/// counts that say whether the local copy matches upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciliation {
    /// The scan's run (one reconciliation per run).
    pub run: RunId,
    /// The stream.
    pub stream: String,
    /// When the scan started.
    pub started_at: DateTime<Utc>,
    /// When the reconciliation ended.
    pub finished_at: DateTime<Utc>,
    /// How it ended.
    pub outcome: ReconcileOutcome,
    /// What it was set to do with missing rows.
    pub action: MissingAction,
    /// Records the scan saw upstream.
    pub upstream: u64,
    /// Live rows in the table when the scan ended.
    pub local: u64,
    /// Records missing locally, fetched and applied.
    pub fetched: u64,
    /// Records whose content differed from the copy, refetched and applied.
    pub changed: u64,
    /// Live rows upstream no longer has.
    pub missing: u64,
    /// Rows deleted (soft or hard).
    pub deleted: u64,
    /// Tombstoned rows seen upstream again, restored.
    pub restored: u64,
    /// Deletions refused (the missing rows, when the sweep was refused or the scan incomplete).
    pub refused: u64,
    /// Why nothing was deleted, when nothing was.
    pub reason: Option<String>,
}
