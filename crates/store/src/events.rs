//! How webhook events change stream tables: the rules of
//! [`JobQueue::apply_events`](crate::JobQueue::apply_events), decided here
//! so every backend agrees and backends only read and write.
//!
//! A backend checks each event's leases, reads what the batch's keys hold,
//! then, per event in batch order, asks [`decide_event`] what to write (it
//! also moves the key's [`KeyState`] on, so the next event of the batch
//! sees the effect of this one), writes it, and tells [`EventJobs`] the
//! outcome; [`EventJobs::done`] names the jobs to mark done.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use crate::{
    EventApply, EventOutcome, LastChange, Lease, StoreError, StoreErrorKind, order_versions,
};

/// What a stream table holds for an event's key, as the event sees it.
///
/// `R` is the stored record as the backend compares it: SQLite compares
/// `_raw` as text, PostgreSQL as JSON (JSONB keeps content, not spelling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState<R> {
    /// `_version`: the last applied event's version, if any.
    pub version: Option<String>,
    /// Tombstoned (`_deleted_at` set).
    pub deleted: bool,
    /// `_raw`.
    pub raw: R,
}

/// The write an event needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventWrite {
    /// No row yet: insert one (a tombstone when `deleted`).
    Insert {
        /// The event deletes: the new row is a tombstone.
        deleted: bool,
    },
    /// New content (or a deleted row back): `_raw`, mapped columns,
    /// `_version`, `_updated_*` and `_last_*`; the tombstone is cleared.
    Update,
    /// Same content: only `_version`, the mapped columns and `_last_*`.
    Touch,
    /// Tombstone the existing row (keeping its content and its first
    /// deletion time).
    Tombstone,
    /// Stale or unorderable: write nothing.
    Nothing,
}

impl EventWrite {
    /// The `_last_change` the write leaves; `None` when it writes nothing.
    pub fn last_change(self) -> Option<LastChange> {
        match self {
            EventWrite::Insert { deleted: false } => Some(LastChange::Created),
            EventWrite::Insert { deleted: true } | EventWrite::Tombstone => {
                Some(LastChange::Deleted)
            }
            EventWrite::Update => Some(LastChange::Updated),
            EventWrite::Touch => Some(LastChange::Unchanged),
            EventWrite::Nothing => None,
        }
    }
}

/// Decides one event (its record `raw`, `version` and `delete` flag)
/// against what its key holds, `slot` (`None`: no row), and moves `slot`
/// to what the key holds after the event.
///
/// - no row: insert (a tombstone for a delete) → `Created` / `Deleted`;
/// - both versions set and of different kinds → `VersionMismatch`, nothing
///   written; the same or an older version → `Stale`, nothing written;
/// - a delete tombstones the row → `Deleted`;
/// - an update writes the content → `Updated`, or only touches the row →
///   `Unchanged` when `raw` is the same and the row was not deleted.
///
/// A written row keeps the event's version, or its own when the event has none.
pub fn decide_event<R: Clone + PartialEq>(
    slot: &mut Option<KeyState<R>>,
    raw: &R,
    version: Option<&str>,
    delete: bool,
) -> (EventWrite, EventOutcome) {
    let (write, outcome) = match slot.as_ref() {
        None if delete => (EventWrite::Insert { deleted: true }, EventOutcome::Deleted),
        None => (EventWrite::Insert { deleted: false }, EventOutcome::Created),
        Some(stored) => match (stored.version.as_deref(), version) {
            (Some(have), Some(incoming)) => match order_versions(have, incoming) {
                None => (EventWrite::Nothing, EventOutcome::VersionMismatch),
                Some(Ordering::Greater) => content_write(stored, raw, delete),
                Some(_) => (EventWrite::Nothing, EventOutcome::Stale),
            },
            _ => content_write(stored, raw, delete),
        },
    };
    let version = version
        .map(str::to_owned)
        .or_else(|| slot.as_ref().and_then(|s| s.version.clone()));
    *slot = match write {
        EventWrite::Nothing => return (write, outcome),
        EventWrite::Insert { deleted } => Some(KeyState {
            version,
            deleted,
            raw: raw.clone(),
        }),
        EventWrite::Update | EventWrite::Touch => Some(KeyState {
            version,
            deleted: false,
            raw: raw.clone(),
        }),
        EventWrite::Tombstone => slot.take().map(|stored| KeyState {
            version,
            deleted: true,
            raw: stored.raw,
        }),
    };
    (write, outcome)
}

/// Checks that an event's key and mapped values fit its table.
///
/// # Errors
/// [`StoreErrorKind::InvalidData`] naming what does not fit.
pub fn check_event_shape(event: &EventApply<'_>) -> Result<(), StoreError> {
    let table = event.table;
    let (keys, values) = (event.row.key.len(), event.row.values.len());
    let problem = if keys != table.primary_key.len() {
        format!(
            "the event has {keys} key values but the table has {} primary key columns",
            table.primary_key.len()
        )
    } else if values != table.columns.len() {
        format!(
            "the event has {values} mapped values but the table has {} mapped columns",
            table.columns.len()
        )
    } else {
        return Ok(());
    };
    Err(StoreError::new(
        StoreErrorKind::InvalidData,
        format!("applying an event to `{}`", table.name),
        problem,
    ))
}

/// The jobs of an event batch and how each ends: a job is done with its
/// last event's outcome as result, unless one of its events could not be
/// ordered (`VersionMismatch`: it stays running for its caller to
/// dead-letter).
#[derive(Debug, Default)]
pub struct EventJobs {
    finished: Vec<(Lease, EventOutcome)>,
    slots: HashMap<Lease, usize>,
    refused: HashSet<Lease>,
}

impl EventJobs {
    /// Records the outcome of an event applied under `lease` (batch order).
    pub fn record(&mut self, lease: Lease, outcome: EventOutcome) {
        if outcome == EventOutcome::VersionMismatch {
            self.refused.insert(lease);
        }
        match self.slots.get(&lease) {
            Some(&i) => self.finished[i].1 = outcome,
            None => {
                self.slots.insert(lease, self.finished.len());
                self.finished.push((lease, outcome));
            }
        }
    }

    /// The jobs to mark done, each with its result, in the order first seen.
    pub fn done(self) -> Vec<(Lease, EventOutcome)> {
        let refused = self.refused;
        let mut finished = self.finished;
        finished.retain(|(lease, _)| !refused.contains(lease));
        finished
    }
}

/// The write and outcome of an ordered (or unversioned) event on an existing row.
fn content_write<R: PartialEq>(
    stored: &KeyState<R>,
    raw: &R,
    delete: bool,
) -> (EventWrite, EventOutcome) {
    if delete {
        (EventWrite::Tombstone, EventOutcome::Deleted)
    } else if !stored.deleted && stored.raw == *raw {
        (EventWrite::Touch, EventOutcome::Unchanged)
    } else {
        (EventWrite::Update, EventOutcome::Updated)
    }
}

#[cfg(test)]
mod tests;
