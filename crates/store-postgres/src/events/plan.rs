//! Deciding events and folding them into one write per key: all events of a
//! batch share one `now`, so what a key ends as after its events (applied
//! in order, each seeing the ones before) is known before anything is written.

use holdfast_store::events::{EventWrite, KeyState, decide_event};
use holdfast_store::{EventOutcome, LastChange};
use serde_json::Value;

/// What is stored for an event's key; `_raw` compared as JSON (JSONB does
/// not keep the spelling).
pub(super) type Stored = KeyState<Value>;

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
    pub(super) last_change: Option<LastChange>,
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
        let was_deleted = self.slot.as_ref().is_some_and(|s| s.deleted);
        let (write, outcome) = decide_event(&mut self.slot, raw, version, delete);
        match write {
            EventWrite::Nothing => return outcome,
            EventWrite::Insert { deleted } => {
                self.content = Some(index);
                self.updated = true;
                self.deleted = if deleted { Deleted::Now } else { Deleted::No };
            }
            EventWrite::Update => {
                self.content = Some(index);
                self.updated = true;
                self.deleted = Deleted::No;
            }
            EventWrite::Touch => {
                self.content = Some(index);
                self.deleted = Deleted::No;
            }
            EventWrite::Tombstone => {
                if !was_deleted {
                    self.updated = true;
                    self.deleted = Deleted::Now;
                }
            }
        }
        self.last_change = write.last_change();
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
            (
                super::Deleted::Now,
                true,
                Some(3),
                Some(LastChange::Deleted)
            )
        );
        assert_eq!(plan.version().as_deref(), Some("n3"));
        assert!(plan.existed);
    }
}
