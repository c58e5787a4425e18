//! Leases: a crashed worker's job is claimed again, and its late finish is refused.

use std::time::Duration;

use super::at;
use super::queue::{claim, enqueue_all, job, new_job};
use crate::prelude::*;
use crate::{Claim, Finish, JobState};

/// A job whose lease expired is claimed again (attempt 2); the first claim's
/// finish and extension are refused and change nothing; the new claim finishes.
pub async fn expired_lease_is_reclaimed(store: &dyn Store) {
    let ids = enqueue_all(store, &[new_job("webhook", "evt", None, 0, 0)]).await;
    let first = claim(store, "crashed", 1, at(0)).await;
    assert_eq!(first.len(), 1);
    let old = first[0].lease();
    assert_eq!(old.attempt, 1);
    assert!(
        claim(store, "other", 1, at(30)).await.is_empty(),
        "a lease is live until it ends"
    );
    let second = claim(store, "rescuer", 1, at(31)).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, ids[0]);
    assert_eq!(second[0].attempts, 2);
    assert_eq!(second[0].worker.as_deref(), Some("rescuer"));
    let new = second[0].lease();

    let before = job(store, ids[0]).await;
    let stale_done = Finish::Done {
        result: Some("late".into()),
    };
    assert!(!store.finish(old, stale_done, at(32)).await.expect("finish"));
    let stale_dead = Finish::Dead {
        error: "late".into(),
    };
    assert!(!store.finish(old, stale_dead, at(32)).await.expect("finish"));
    assert!(
        !store
            .extend_lease(old, at(500), at(32))
            .await
            .expect("extend")
    );
    assert_eq!(
        job(store, ids[0]).await,
        before,
        "a stale lease changes nothing"
    );

    assert!(
        store
            .finish(new, Finish::Done { result: None }, at(33))
            .await
            .expect("finish")
    );
    let done = job(store, ids[0]).await;
    assert_eq!((done.state, done.result), (JobState::Done, None));
}

/// Extending a live lease keeps the job from other workers until the new end.
pub async fn extended_lease_holds_the_job(store: &dyn Store) {
    enqueue_all(store, &[new_job("sync", "contacts", None, 0, 0)]).await;
    let claimed = store
        .claim(Claim {
            worker: "w1",
            kinds: &["sync"],
            limit: 5,
            lease: Duration::from_secs(10),
            now: at(0),
        })
        .await
        .expect("claim");
    let lease = claimed[0].lease();
    assert_eq!(claimed[0].lease_until, Some(at(10)));
    assert!(
        store
            .extend_lease(lease, at(100), at(5))
            .await
            .expect("extend")
    );
    assert_eq!(
        job(store, lease.id).await.lease_until,
        Some(at(100)),
        "the lease moved"
    );
    assert!(claim(store, "w2", 5, at(50)).await.is_empty());
    let taken = claim(store, "w2", 5, at(101)).await;
    assert_eq!(taken.len(), 1);
    assert!(
        !store
            .extend_lease(lease, at(200), at(101))
            .await
            .expect("extend")
    );
}

/// A dead worker's claims are released at once (no waiting for the lease):
/// the job is claimed again as attempt 2 and the dead claim cannot finish it.
pub async fn dead_workers_claims_are_released(store: &dyn Store) {
    let ids = enqueue_all(
        store,
        &[
            new_job("webhook", "a", None, 0, 0),
            new_job("webhook", "b", None, 0, 0),
        ],
    )
    .await;
    let dead = claim(store, "host/1/0", 1, at(0)).await;
    let alive = claim(store, "host/2/0", 1, at(0)).await;
    assert_eq!((dead.len(), alive.len()), (1, 1));
    let mut who = store.claimants().await.expect("claimants");
    who.sort();
    assert_eq!(who, ["host/1/0", "host/2/0"]);
    assert_eq!(
        store
            .release_claims("host/1/0", at(1))
            .await
            .expect("release"),
        1
    );
    assert_eq!(store.claimants().await.expect("claimants"), ["host/2/0"]);
    let again = claim(store, "host/3/0", 5, at(2)).await;
    assert_eq!(again.len(), 1, "only the released job is claimable");
    assert_eq!((again[0].id, again[0].attempts), (dead[0].id, 2));
    assert!(
        !store
            .finish(dead[0].lease(), Finish::Done { result: None }, at(3))
            .await
            .expect("finish"),
        "the dead claim cannot finish it"
    );
    assert_eq!(job(store, ids[1]).await.state, JobState::Running);
}
