//! Coordination: named leases and shared rate budgets, also under concurrency.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use super::at;
use crate::prelude::*;

/// A lease is exclusive until it ends; its holder renews and releases it;
/// once it has ended anyone may take it.
pub async fn named_lease_is_exclusive_until_it_ends(store: &dyn Store) {
    assert!(store.leases().await.expect("list").is_empty());
    let take = |holder: &'static str, until: i64, now: i64| {
        store.acquire_lease("stream:contacts", holder, at(until), at(now))
    };
    assert!(take("a", 10, 0).await.expect("acquire"), "free: taken");
    assert!(!take("b", 20, 5).await.expect("acquire"), "held by a");
    assert!(
        !take("b", 20, 10).await.expect("acquire"),
        "held up to its end"
    );
    assert!(take("a", 30, 10).await.expect("renew"), "the holder renews");
    assert!(!take("b", 40, 20).await.expect("acquire"), "renewed to 30");
    assert!(
        !store
            .release_lease("stream:contacts", "b")
            .await
            .expect("release"),
        "only the holder releases"
    );
    let listed = store.leases().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].holder.as_str(),
            listed[0].until,
            listed[0].acquired_at
        ),
        ("a", at(30), at(0)),
        "a renewal keeps the time it was acquired"
    );
    assert!(
        take("b", 50, 31).await.expect("acquire"),
        "ended: taken over"
    );
    assert!(
        !store
            .release_lease("stream:contacts", "a")
            .await
            .expect("release"),
        "the old holder lost it"
    );
    assert!(
        store
            .acquire_lease("stream:deals", "a", at(50), at(31))
            .await
            .expect("acquire"),
        "other names are independent"
    );
    assert!(
        store
            .release_lease("stream:contacts", "b")
            .await
            .expect("release")
    );
    assert!(take("c", 60, 32).await.expect("acquire"), "released: free");
    let names: Vec<(String, String)> = store
        .leases()
        .await
        .expect("list")
        .into_iter()
        .map(|l| (l.name, l.holder))
        .collect();
    assert_eq!(
        names,
        [
            ("stream:contacts".to_owned(), "c".to_owned()),
            ("stream:deals".to_owned(), "a".to_owned())
        ]
    );
}

/// Eight holders racing for one free lease: exactly one gets it.
pub async fn concurrent_acquires_have_one_winner(store: &dyn Store) {
    let holders: Vec<String> = (0..8).map(|i| format!("worker-{i}")).collect();
    let attempts = holders
        .iter()
        .map(|h| store.acquire_lease("stream:deals", h, at(60), at(0)))
        .collect();
    let won: Vec<bool> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("acquire"))
        .collect();
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    let winner = won.iter().position(|w| *w).unwrap_or_default();
    let listed = store.leases().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].holder, holders[winner]);
}

/// The burst goes at once, then waits grow by one interval each; a key left
/// idle regains its burst; keys are independent.
pub async fn rate_budget_allows_burst_then_spaces(store: &dyn Store) {
    let second = Duration::from_secs(1);
    let mut waits = Vec::new();
    for _ in 0..5 {
        waits.push(
            store
                .reserve_rate("crm", second, 3, at(0))
                .await
                .expect("reserve"),
        );
    }
    let secs = |n: u64| Duration::from_secs(n);
    assert_eq!(waits, [secs(0), secs(0), secs(0), secs(1), secs(2)]);
    assert_eq!(
        store
            .reserve_rate("billing", second, 3, at(0))
            .await
            .expect("reserve"),
        Duration::ZERO,
        "another key has its own budget"
    );
    let mut later = Vec::new();
    for _ in 0..4 {
        later.push(
            store
                .reserve_rate("crm", second, 3, at(10))
                .await
                .expect("reserve"),
        );
    }
    assert_eq!(
        later,
        [secs(0), secs(0), secs(0), secs(1)],
        "idle: burst regained"
    );
    let fine = store
        .reserve_rate("fine", Duration::from_micros(1500), 1, at(0))
        .await
        .expect("reserve");
    assert_eq!(fine, Duration::ZERO);
    assert_eq!(
        store
            .reserve_rate("fine", Duration::from_micros(1500), 1, at(0))
            .await
            .expect("reserve"),
        Duration::from_micros(1500),
        "sub-millisecond intervals are kept"
    );
}

/// Eight callers reserving at the same instant get distinct slots: the
/// burst, then one interval apart.
pub async fn concurrent_reservations_get_distinct_slots(store: &dyn Store) {
    let interval = Duration::from_millis(100);
    let calls = (0..8)
        .map(|_| store.reserve_rate("shared", interval, 2, at(0)))
        .collect();
    let mut waits: Vec<u128> = join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("reserve").as_millis())
        .collect();
    waits.sort_unstable();
    assert_eq!(waits, [0, 0, 100, 200, 300, 400, 500, 600]);
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Polls all `futures` together until every one is done; outputs in order.
async fn join_all<T>(futures: Vec<Boxed<'_, T>>) -> Vec<T> {
    let mut futures: Vec<Option<Boxed<'_, T>>> = futures.into_iter().map(Some).collect();
    let mut outputs: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => {
                        *out = Some(value);
                        *slot = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// An alert saved again replaces the earlier state of its (rule, subject);
/// the board lists them by rule, then subject.
pub async fn alerts_are_kept_by_rule_and_subject(store: &dyn Store) {
    assert!(store.alerts().await.expect("list").is_empty());
    let alert = |rule: &str, subject: &str, firing: bool, since: i64| crate::StoredAlert {
        rule: rule.to_owned(),
        subject: subject.to_owned(),
        firing,
        since: at(since),
        message: format!("{rule} about {subject}: {firing}"),
        place: "alerts[0]".to_owned(),
    };
    for a in [
        alert("queue_depth", "queue", true, 1),
        alert("no_records", "deals", true, 2),
        alert("no_records", "contacts", true, 3),
    ] {
        store.save_alert(&a).await.expect("save");
    }
    store
        .save_alert(&alert("no_records", "deals", false, 9))
        .await
        .expect("save again");
    let board = store.alerts().await.expect("list");
    assert_eq!(
        board,
        vec![
            alert("no_records", "contacts", true, 3),
            alert("no_records", "deals", false, 9),
            alert("queue_depth", "queue", true, 1),
        ]
    );
}

/// The write probe commits and leaves nothing: no lease is listed, held
/// leases are untouched, and a lease of the probe's name can still be
/// taken by anyone.
pub async fn write_probe_leaves_nothing(store: &dyn Store) {
    store
        .check_writable(at(0))
        .await
        .expect("a fresh store is writable");
    assert!(store.leases().await.expect("list").is_empty());
    assert!(
        store
            .acquire_lease("stream:contacts", "a", at(10), at(0))
            .await
            .expect("acquire")
    );
    for now in 1..4 {
        store.check_writable(at(now)).await.expect("writable again");
    }
    let leases = store.leases().await.expect("list");
    assert_eq!(leases.len(), 1, "{leases:?}");
    assert_eq!(
        (leases[0].name.as_str(), leases[0].holder.as_str()),
        ("stream:contacts", "a")
    );
}
