//! Webhook events: ordered by version, tombstoned on delete, applied with
//! their job's completion, refused without a live lease.

use serde_json::{Value, json};

use super::queue::{claim, enqueue_all, job, new_job};
use super::{at, commit, row, table};
use crate::prelude::*;
use crate::{
    Column, ColumnKind, EventApply, EventOutcome, JobState, LastChange, Lease, RecordRow, RunId,
    StoredRecord, StreamState, TableSpec,
};

/// `contacts` with a mapped `email` column.
fn contacts() -> TableSpec {
    let mut t = table("contacts");
    t.columns.push(Column {
        name: "email".into(),
        kind: ColumnKind::Text,
    });
    t
}

/// Enqueues and claims `n` webhook jobs; their leases in id order.
async fn leases(store: &dyn Store, n: usize) -> Vec<Lease> {
    let jobs: Vec<_> = (0..n)
        .map(|i| new_job("webhook", &format!("e{i}"), None, 0, 0))
        .collect();
    enqueue_all(store, &jobs).await;
    let claimed = claim(store, "w", n as u32, at(1)).await;
    assert_eq!(claimed.len(), n);
    claimed.iter().map(|j| j.lease()).collect()
}

/// An event on contact `id` with email `email`.
fn event<'a>(
    lease: Lease,
    table: &'a TableSpec,
    id: i64,
    email: &str,
    version: Option<&str>,
    delete: bool,
) -> EventApply<'a> {
    let raw = json!({"id": id, "email": email});
    EventApply {
        lease,
        table,
        row: RecordRow {
            values: vec![json!(email)],
            ..row(id, raw)
        },
        version: version.map(str::to_owned),
        delete,
    }
}

/// Applies one batch at `at(t)`.
async fn apply(store: &dyn Store, events: &[EventApply<'_>], t: i64) -> Vec<EventOutcome> {
    store.apply_events(events, at(t)).await.expect("apply")
}

/// The stored contact `id`, which must exist.
async fn stored(store: &dyn Store, table: &TableSpec, id: i64) -> StoredRecord {
    store
        .record(table, &[json!(id)])
        .await
        .expect("read")
        .expect("stored")
}

fn email(r: &StoredRecord) -> Value {
    r.columns[0].1.clone()
}

/// Events arriving out of order end on the newest version; older ones are
/// stale, and their jobs are done with that outcome.
pub async fn out_of_order_versions_end_on_newest(store: &dyn Store) {
    use EventOutcome::*;
    let t = contacts();
    store.prepare_table(&t).await.expect("prepare");
    let l = leases(store, 4).await;
    assert_eq!(
        apply(store, &[event(l[0], &t, 1, "c@x", Some("n0003"), false)], 2).await,
        [Created]
    );
    assert_eq!(
        apply(store, &[event(l[1], &t, 1, "a@x", Some("n0001"), false)], 3).await,
        [Stale]
    );
    assert_eq!(
        apply(store, &[event(l[2], &t, 1, "b@x", Some("n0002"), false)], 4).await,
        [Stale]
    );
    let r = stored(store, &t, 1).await;
    assert_eq!(
        (email(&r), r.version.as_deref()),
        (json!("c@x"), Some("n0003"))
    );
    assert_eq!(
        (r.updated_run, r.last_run, r.last_change),
        (RunId::WEBHOOK, RunId::WEBHOOK, LastChange::Created)
    );
    let stale = job(store, l[1].id).await;
    assert_eq!(stale.state, JobState::Done);
    assert_eq!(stale.result.as_deref(), Some("\"stale\""));
    assert_eq!(
        job(store, l[0].id).await.result.as_deref(),
        Some("\"created\"")
    );

    assert_eq!(
        apply(store, &[event(l[3], &t, 1, "d@x", Some("n0004"), false)], 5).await,
        [Updated]
    );
    let r = stored(store, &t, 1).await;
    assert_eq!(
        (email(&r), r.version.as_deref()),
        (json!("d@x"), Some("n0004"))
    );
    assert_eq!((r.updated_at, r.last_change), (at(5), LastChange::Updated));
}

/// The same version again is stale even with other content; a newer version
/// with the same content is unchanged but recorded.
pub async fn equal_version_is_stale(store: &dyn Store) {
    use EventOutcome::*;
    let t = contacts();
    store.prepare_table(&t).await.expect("prepare");
    let l = leases(store, 3).await;
    assert_eq!(
        apply(store, &[event(l[0], &t, 1, "a@x", Some("n5"), false)], 2).await,
        [Created]
    );
    assert_eq!(
        apply(store, &[event(l[1], &t, 1, "b@x", Some("n5"), false)], 3).await,
        [Stale]
    );
    assert_eq!(email(&stored(store, &t, 1).await), json!("a@x"));
    assert_eq!(
        apply(store, &[event(l[2], &t, 1, "a@x", Some("n6"), false)], 4).await,
        [Unchanged]
    );
    let r = stored(store, &t, 1).await;
    assert_eq!(r.version.as_deref(), Some("n6"));
    assert_eq!(
        (r.updated_at, r.last_seen, r.last_change),
        (at(2), at(4), LastChange::Unchanged)
    );
}

/// A delete tombstones the row (its content kept); a late older update is
/// stale and does not bring it back.
pub async fn delete_then_older_update_stays_deleted(store: &dyn Store) {
    use EventOutcome::*;
    let t = contacts();
    store.prepare_table(&t).await.expect("prepare");
    let l = leases(store, 3).await;
    assert_eq!(
        apply(store, &[event(l[0], &t, 1, "a@x", Some("n1"), false)], 2).await,
        [Created]
    );
    assert_eq!(
        apply(store, &[event(l[1], &t, 1, "", Some("n3"), true)], 3).await,
        [Deleted]
    );
    let r = stored(store, &t, 1).await;
    assert_eq!(
        (r.deleted_at, r.version.as_deref()),
        (Some(at(3)), Some("n3"))
    );
    assert_eq!(
        (email(&r), r.last_change),
        (json!("a@x"), LastChange::Deleted),
        "last content kept"
    );
    assert_eq!(
        apply(store, &[event(l[2], &t, 1, "b@x", Some("n2"), false)], 4).await,
        [Stale]
    );
    let r = stored(store, &t, 1).await;
    assert_eq!(r.deleted_at, Some(at(3)), "still deleted");
    assert_eq!(email(&r), json!("a@x"));
}

/// A delete of a key never seen leaves a tombstone, so the older create that
/// arrives after it stays deleted.
pub async fn delete_of_unknown_key_then_older_create_stays_deleted(store: &dyn Store) {
    use EventOutcome::*;
    let t = contacts();
    store.prepare_table(&t).await.expect("prepare");
    let l = leases(store, 2).await;
    assert_eq!(
        apply(store, &[event(l[0], &t, 7, "gone@x", Some("n5"), true)], 2).await,
        [Deleted]
    );
    let r = stored(store, &t, 7).await;
    assert_eq!(
        (r.deleted_at, r.version.as_deref()),
        (Some(at(2)), Some("n5"))
    );
    assert_eq!(
        (email(&r), r.last_change),
        (json!("gone@x"), LastChange::Deleted)
    );
    assert_eq!(
        apply(store, &[event(l[1], &t, 7, "new@x", Some("n4"), false)], 3).await,
        [Stale]
    );
    let r = stored(store, &t, 7).await;
    assert_eq!((r.deleted_at, email(&r)), (Some(at(2)), json!("gone@x")));
}

/// A newer update after a delete brings the row back, even with the content
/// it had before the delete.
pub async fn newer_update_after_delete_resurrects(store: &dyn Store) {
    use EventOutcome::*;
    let t = contacts();
    store.prepare_table(&t).await.expect("prepare");
    let l = leases(store, 3).await;
    apply(store, &[event(l[0], &t, 1, "a@x", Some("n1"), false)], 2).await;
    assert_eq!(
        apply(store, &[event(l[1], &t, 1, "a@x", Some("n2"), true)], 3).await,
        [Deleted]
    );
    assert_eq!(
        apply(store, &[event(l[2], &t, 1, "a@x", Some("n3"), false)], 4).await,
        [Updated]
    );
    let r = stored(store, &t, 1).await;
    assert_eq!((r.deleted_at, r.version.as_deref()), (None, Some("n3")));
    assert_eq!((r.updated_at, r.last_change), (at(4), LastChange::Updated));
}

/// Events on one key in one batch apply in order, each seeing the ones
/// before; one job may carry several events and ends with the last outcome.
pub async fn same_key_in_one_batch_applies_in_order(store: &dyn Store) {
    use EventOutcome::*;
    let t = contacts();
    store.prepare_table(&t).await.expect("prepare");
    let l = leases(store, 4).await;
    let batch = [
        event(l[0], &t, 1, "a@x", Some("n1"), false),
        event(l[1], &t, 1, "b@x", Some("n2"), false),
        event(l[2], &t, 1, "", Some("n3"), true),
        event(l[3], &t, 1, "c@x", Some("n2"), false),
        event(l[0], &t, 2, "z@x", None, false),
    ];
    assert_eq!(
        apply(store, &batch, 2).await,
        [Created, Updated, Deleted, Stale, Created]
    );
    let r = stored(store, &t, 1).await;
    assert_eq!(
        (r.deleted_at, r.version.as_deref()),
        (Some(at(2)), Some("n3"))
    );
    assert_eq!(email(&r), json!("b@x"));
    assert_eq!(email(&stored(store, &t, 2).await), json!("z@x"));
    let results: Vec<Option<String>> = {
        let mut v = Vec::new();
        for lease in &l {
            let j = job(store, lease.id).await;
            assert_eq!(j.state, JobState::Done);
            v.push(j.result);
        }
        v
    };
    let expect = ["\"created\"", "\"updated\"", "\"deleted\"", "\"stale\""];
    assert_eq!(
        results,
        expect.map(|s| Some(s.to_owned())).to_vec(),
        "the first job carried two events; its result is the last one's"
    );
}

/// An event whose lease was lost writes nothing and leaves the job to its new
/// claim; other events in the batch still apply.
pub async fn lost_lease_writes_nothing(store: &dyn Store) {
    use EventOutcome::*;
    let t = contacts();
    store.prepare_table(&t).await.expect("prepare");
    let l = leases(store, 2).await;
    assert!(
        store
            .finish(l[1], crate::Finish::Done { result: None }, at(2))
            .await
            .expect("finish")
    );
    // The first job's lease (30 s from at(1)) expires; another worker takes it.
    let again = claim(store, "rescuer", 5, at(40)).await;
    assert_eq!((again.len(), again[0].attempts), (1, 2));
    let batch = [
        event(l[0], &t, 1, "a@x", Some("n1"), false),
        event(l[1], &t, 2, "b@x", Some("n1"), false),
        event(again[0].lease(), &t, 3, "c@x", Some("n1"), false),
    ];
    assert_eq!(
        apply(store, &batch, 41).await,
        [LeaseLost, LeaseLost, Created]
    );
    for id in [1, 2] {
        assert!(
            store
                .record(&t, &[json!(id)])
                .await
                .expect("read")
                .is_none()
        );
    }
    assert_eq!(job(store, l[1].id).await.result, None, "done job untouched");
    assert_eq!(
        job(store, l[0].id).await.state,
        JobState::Done,
        "finished by the new lease"
    );
    let late = [event(l[0], &t, 1, "a@x", Some("n1"), false)];
    assert_eq!(apply(store, &late, 42).await, [LeaseLost]);
}

/// Versions of two kinds (a number stored, a time incoming) are not
/// ordered: the event writes nothing and its job stays running under its
/// lease, for the caller to dead-letter, even when another event of that
/// lease applied. Versions of one kind still order.
pub async fn issue_13_versions_of_two_kinds_are_refused(store: &dyn Store) {
    use EventOutcome::*;
    let t = contacts();
    store.prepare_table(&t).await.expect("prepare");
    let l = leases(store, 4).await;
    let time = "t2024-06-01T12:00:00.000000000Z";
    assert_eq!(
        apply(store, &[event(l[0], &t, 1, "a@x", Some("n5"), false)], 2).await,
        [Created]
    );
    assert_eq!(
        apply(store, &[event(l[1], &t, 1, "b@x", Some(time), false)], 3).await,
        [VersionMismatch]
    );
    let r = stored(store, &t, 1).await;
    assert_eq!(
        (email(&r), r.version.as_deref(), r.updated_at),
        (json!("a@x"), Some("n5"), at(2)),
        "nothing written"
    );
    let left = job(store, l[1].id).await;
    assert_eq!((left.state, left.result), (JobState::Running, None));
    // one lease, two events: one applies, one cannot be ordered
    let both = [
        event(l[2], &t, 2, "c@x", Some(time), false),
        event(l[2], &t, 1, "c@x", Some(time), true),
    ];
    assert_eq!(apply(store, &both, 4).await, [Created, VersionMismatch]);
    assert_eq!(job(store, l[2].id).await.state, JobState::Running);
    assert_eq!(stored(store, &t, 1).await.deleted_at, None);
    let error = "versions of two kinds".to_owned();
    assert!(
        store
            .finish(l[1], crate::Finish::Dead { error }, at(5))
            .await
            .expect("finish"),
        "the lease is still live"
    );
    assert_eq!(job(store, l[1].id).await.state, JobState::Dead);
    assert_eq!(
        apply(store, &[event(l[3], &t, 1, "d@x", Some("n6"), false)], 6).await,
        [Updated]
    );
}

/// Events without a version always apply, and keep the stored version.
pub async fn unversioned_events_always_apply(store: &dyn Store) {
    use EventOutcome::*;
    let t = contacts();
    store.prepare_table(&t).await.expect("prepare");
    let l = leases(store, 6).await;
    let outcomes = [
        apply(store, &[event(l[0], &t, 1, "a@x", None, false)], 2).await,
        apply(store, &[event(l[1], &t, 1, "b@x", None, false)], 3).await,
        apply(store, &[event(l[2], &t, 1, "b@x", None, true)], 4).await,
        apply(store, &[event(l[3], &t, 1, "c@x", None, false)], 5).await,
    ]
    .concat();
    assert_eq!(outcomes, [Created, Updated, Deleted, Updated]);
    let r = stored(store, &t, 1).await;
    assert_eq!(
        (r.version.as_deref(), r.deleted_at, email(&r)),
        (None, None, json!("c@x"))
    );
    assert_eq!(
        apply(store, &[event(l[4], &t, 1, "d@x", Some("n9"), false)], 6).await,
        [Updated]
    );
    assert_eq!(
        apply(store, &[event(l[5], &t, 1, "e@x", None, false)], 7).await,
        [Updated]
    );
    let r = stored(store, &t, 1).await;
    assert_eq!(
        (r.version.as_deref(), email(&r)),
        (Some("n9"), json!("e@x"))
    );
}

/// A sync page never changes an event's version or tombstone.
pub async fn sync_keeps_version_and_tombstone(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let l = leases(store, 2).await;
    let ev = |lease, id, delete| EventApply {
        lease,
        table: &t,
        row: row(id, json!({"id": id})),
        version: Some("n7".to_owned()),
        delete,
    };
    store
        .apply_events(&[ev(l[0], 1, false), ev(l[1], 2, true)], at(2))
        .await
        .expect("apply");
    let run = store.start_run("contacts", at(3)).await.expect("run");
    let page = [
        row(1, json!({"id": 1, "v": 2})),
        row(2, json!({"id": 2, "v": 2})),
        row(3, json!({"id": 3})),
    ];
    commit(
        store,
        run,
        "contacts",
        &t,
        &page,
        &StreamState::default(),
        at(4),
    )
    .await;
    let one = stored(store, &t, 1).await;
    assert_eq!((one.version.as_deref(), one.deleted_at), (Some("n7"), None));
    assert_eq!(one.updated_run, run);
    let two = stored(store, &t, 2).await;
    assert_eq!(
        (two.version.as_deref(), two.deleted_at),
        (Some("n7"), Some(at(2)))
    );
    let three = stored(store, &t, 3).await;
    assert_eq!((three.version, three.deleted_at), (None, None));
}

/// A delete event without a version is still a webhook's delete: a sync
/// that lists the record afterwards does not bring it back (a sync's own
/// tombstones are lifted that way, a webhook's never).
pub async fn sync_keeps_an_unversioned_webhook_tombstone(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let l = leases(store, 1).await;
    let gone = EventApply {
        lease: l[0],
        table: &t,
        row: row(7, json!({"id": 7})),
        version: None,
        delete: true,
    };
    store.apply_events(&[gone], at(2)).await.expect("apply");
    let run = store.start_run("contacts", at(3)).await.expect("run");
    let page = [row(7, json!({"id": 7, "v": 2}))];
    let out = commit(
        store,
        run,
        "contacts",
        &t,
        &page,
        &StreamState::default(),
        at(4),
    )
    .await;
    assert_eq!(out.restored, 0, "{out:?}");
    let seven = stored(store, &t, 7).await;
    assert_eq!(seven.deleted_at, Some(at(2)), "still deleted: {seven:?}");
}
