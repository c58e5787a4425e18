//! Deciding events and folding them into one write per key: all events of a
//! batch share one `now`, so what a key ends as after its events (applied
//! in order, each seeing the ones before) is known before anything is written.

use std::cmp::Ordering;

use holdfast_store::{EventOutcome, order_versions};
use serde_json::Value;

/// What is stored for an event's key.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Stored {
    pub(super) version: Option<String>,
    pub(super) deleted: bool,
    /// `_raw`, compared as JSON (JSONB does not keep the spelling).
    pub(super) raw: Value,
}

/// The write an event needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Write {
    /// No row yet: insert one (a tombstone when `deleted`).
    Insert { deleted: bool },
    /// New content (or a deleted row back).
    Update,
    /// Same content: record the version and the sighting.
    Touch,
    /// Tombstone an existing row.
    Tombstone,
    /// Stale: write nothing.
    Nothing,
}

/// The rules of [`JobQueue::apply_events`](holdfast_store::JobQueue::apply_events).
pub(super) fn decide(
    stored: Option<&Stored>,
    version: Option<&str>,
    delete: bool,
) -> (Write, EventOutcome) {
    let Some(stored) = stored else {
        return if delete {
            (Write::Insert { deleted: true }, EventOutcome::Deleted)
        } else {
            (Write::Insert { deleted: false }, EventOutcome::Created)
        };
    };
    if let (Some(have), Some(incoming)) = (stored.version.as_deref(), version) {
        match order_versions(have, incoming) {
            None => return (Write::Nothing, EventOutcome::VersionMismatch),
            Some(Ordering::Greater) => {}
            Some(_) => return (Write::Nothing, EventOutcome::Stale),
        }
    }
    if delete {
        (Write::Tombstone, EventOutcome::Deleted)
    } else {
        (Write::Update, EventOutcome::Updated)
    }
}

/// How `_deleted_at` ends for a row that existed before the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Deleted {
    /// Not deleted: NULL.
    No = 0,
    /// Deleted before the batch and still: keep the first deletion time.
    Keep = 1,
    /// Deleted by this batch: now.
    Now = 2,
}

/// The one write a key gets for all its events in a batch.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Plan {
    /// The row existed before the batch (an update), or not (an insert).
    pub(super) existed: bool,
    /// The stored row as the next event of the batch sees it.
    pub(super) slot: Option<Stored>,
    /// Index (into the batch) of the last event that set `_raw` and the
    /// mapped columns, if any did.
    pub(super) content: Option<usize>,
    /// `_updated_at` / `_updated_run` become now / 0.
    pub(super) updated: bool,
    /// How `_deleted_at` ends.
    pub(super) deleted: Deleted,
    /// `_last_change` of the last write, if any event wrote.
    pub(super) last_change: Option<i32>,
}

impl Plan {
    /// The plan of a key before any event, stored as `stored`.
    pub(super) fn new(stored: Option<Stored>) -> Plan {
        Plan {
            existed: stored.is_some(),
            deleted: match &stored {
                Some(s) if s.deleted => Deleted::Keep,
                _ => Deleted::No,
            },
            slot: stored,
            content: None,
            updated: false,
            last_change: None,
        }
    }

    /// Folds event `index` (its raw record, version and delete flag) in;
    /// returns its outcome.
    pub(super) fn apply(
        &mut self,
        index: usize,
        raw: &Value,
        version: Option<&str>,
        delete: bool,
    ) -> EventOutcome {
        let stored = self.slot.clone();
        let (mut write, mut outcome) = decide(stored.as_ref(), version, delete);
        if write == Write::Update && stored.as_ref().is_some_and(|s| !s.deleted && s.raw == *raw) {
            (write, outcome) = (Write::Touch, EventOutcome::Unchanged);
        }
        let version = version
            .map(str::to_owned)
            .or_else(|| stored.as_ref().and_then(|s| s.version.clone()));
        match write {
            Write::Nothing => return outcome,
            Write::Insert { deleted } => {
                self.content = Some(index);
                self.updated = true;
                self.deleted = if deleted { Deleted::Now } else { Deleted::No };
                self.last_change = Some(if deleted { 3 } else { 1 });
                self.slot = Some(Stored {
                    version,
                    deleted,
                    raw: raw.clone(),
                });
            }
            Write::Update | Write::Touch => {
                self.content = Some(index);
                if write == Write::Update {
                    self.updated = true;
                    self.last_change = Some(2);
                } else {
                    self.last_change = Some(0);
                }
                self.deleted = Deleted::No;
                self.slot = Some(Stored {
                    version,
                    deleted: false,
                    raw: raw.clone(),
                });
            }
            Write::Tombstone => {
                let was_deleted = stored.as_ref().is_some_and(|s| s.deleted);
                if !was_deleted {
                    self.updated = true;
                    self.deleted = Deleted::Now;
                }
                self.last_change = Some(3);
                self.slot = Some(Stored {
                    version,
                    deleted: true,
                    raw: stored.map(|s| s.raw).unwrap_or_default(),
                });
            }
        }
        outcome
    }

    /// The `_version` the row ends with.
    pub(super) fn version(&self) -> Option<String> {
        self.slot.as_ref().and_then(|s| s.version.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(version: Option<&str>, deleted: bool) -> Stored {
        Stored {
            version: version.map(str::to_owned),
            deleted,
            raw: Value::Null,
        }
    }

    #[test]
    fn versions_order_as_bytes_within_a_kind() {
        let s = stored(Some("n0002"), false);
        assert_eq!(
            decide(Some(&s), Some("n0001"), false).1,
            EventOutcome::Stale
        );
        assert_eq!(decide(Some(&s), Some("n0002"), true).1, EventOutcome::Stale);
        assert_eq!(decide(Some(&s), Some("n0003"), false).0, Write::Update);
        assert_eq!(
            decide(Some(&s), Some("t2024"), false),
            (Write::Nothing, EventOutcome::VersionMismatch)
        );
        assert_eq!(decide(Some(&s), None, true).0, Write::Tombstone);
        let upper = stored(Some("nB"), false);
        assert_eq!(
            decide(Some(&upper), Some("na"), false).0,
            Write::Update,
            "byte order"
        );
        assert_eq!(
            decide(None, Some("1"), true),
            (Write::Insert { deleted: true }, EventOutcome::Deleted)
        );
    }

    #[test]
    fn a_batch_folds_into_one_write() {
        use EventOutcome::*;
        let mut plan = Plan::new(Some(stored(Some("n1"), true)));
        let a = json!({"a": 1});
        assert_eq!(plan.apply(0, &a, Some("n0"), false), Stale);
        assert_eq!(plan.apply(1, &a, Some("t0"), false), VersionMismatch);
        assert_eq!(plan.apply(1, &a, None, true), Deleted);
        assert_eq!(
            plan.deleted,
            super::Deleted::Keep,
            "still the first deletion"
        );
        assert!(!plan.updated);
        assert_eq!(plan.apply(2, &a, Some("n2"), false), Updated);
        assert_eq!(plan.apply(3, &a, Some("n3"), false), Unchanged);
        assert_eq!(plan.apply(4, &a, None, true), Deleted);
        assert_eq!(
            (plan.deleted, plan.updated, plan.content, plan.last_change),
            (super::Deleted::Now, true, Some(3), Some(3))
        );
        assert_eq!(plan.version().as_deref(), Some("n3"));
        assert!(plan.existed);
    }
}
