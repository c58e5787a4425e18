//! The event rules, as both stores used to test them on their own.

use super::*;
use crate::{JobId, Lease};

fn stored(version: Option<&str>, deleted: bool) -> KeyState<String> {
    KeyState {
        version: version.map(str::to_owned),
        deleted,
        raw: "{}".into(),
    }
}

/// The decision for an event whose record differs from the stored one.
fn decide(
    stored: Option<&KeyState<String>>,
    version: Option<&str>,
    delete: bool,
) -> (EventWrite, EventOutcome) {
    decide_event(
        &mut stored.cloned(),
        &r#"{"new":true}"#.to_owned(),
        version,
        delete,
    )
}

#[test]
fn versions_order_as_bytes_within_a_kind() {
    let s = stored(Some("n0002"), false);
    assert_eq!(
        decide(Some(&s), Some("n0001"), false).1,
        EventOutcome::Stale
    );
    assert_eq!(decide(Some(&s), Some("n0002"), true).1, EventOutcome::Stale);
    assert_eq!(decide(Some(&s), Some("n0003"), false).0, EventWrite::Update);
    assert_eq!(
        decide(Some(&s), Some("t2024"), false),
        (EventWrite::Nothing, EventOutcome::VersionMismatch)
    );
    assert_eq!(decide(Some(&s), None, true).0, EventWrite::Tombstone);
    let unversioned = stored(None, true);
    assert_eq!(
        decide(Some(&unversioned), Some("n0001"), false).0,
        EventWrite::Update
    );
    let upper = stored(Some("nB"), false);
    assert_eq!(
        decide(Some(&upper), Some("na"), false).0,
        EventWrite::Update,
        "byte order"
    );
    assert_eq!(
        decide(None, Some("1"), true),
        (EventWrite::Insert { deleted: true }, EventOutcome::Deleted)
    );
}

#[test]
fn the_same_record_only_touches_and_the_slot_moves_on() {
    let same = "{}".to_owned();
    let mut slot = Some(stored(Some("n1"), false));
    assert_eq!(
        decide_event(&mut slot, &same, Some("n2"), false),
        (EventWrite::Touch, EventOutcome::Unchanged)
    );
    assert_eq!(
        slot,
        Some(KeyState {
            version: Some("n2".into()),
            ..stored(None, false)
        })
    );
    assert_eq!(
        decide_event(&mut slot, &same, None, true),
        (EventWrite::Tombstone, EventOutcome::Deleted)
    );
    assert_eq!(
        slot.as_ref().map(|s| (s.deleted, s.version.as_deref())),
        Some((true, Some("n2")))
    );
    // A deleted row comes back with the same record: an update, not a touch.
    assert_eq!(
        decide_event(&mut slot, &same, Some("n3"), false),
        (EventWrite::Update, EventOutcome::Updated)
    );
    let mut empty = None;
    assert_eq!(
        decide_event(&mut empty, &same, None, true).0,
        EventWrite::Insert { deleted: true }
    );
    assert_eq!(
        empty,
        Some(KeyState {
            version: None,
            deleted: true,
            raw: same
        })
    );
    assert_eq!(EventWrite::Touch.last_change(), Some(LastChange::Unchanged));
    assert_eq!(EventWrite::Nothing.last_change(), None);
}

#[test]
fn a_job_is_done_with_its_last_outcome_unless_refused() {
    let lease = |id| Lease {
        id: JobId(id),
        attempt: 1,
    };
    let mut jobs = EventJobs::default();
    jobs.record(lease(2), EventOutcome::Created);
    jobs.record(lease(1), EventOutcome::Stale);
    jobs.record(lease(3), EventOutcome::Updated);
    jobs.record(lease(2), EventOutcome::Unchanged);
    jobs.record(lease(3), EventOutcome::VersionMismatch);
    assert_eq!(
        jobs.done(),
        [
            (lease(2), EventOutcome::Unchanged),
            (lease(1), EventOutcome::Stale)
        ]
    );
}
