//! The job queue: enqueue and dedup, claim order, finishing, requeue, stats, pruning.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::at;
use crate::prelude::*;
use crate::{Claim, Enqueued, Finish, Job, JobFilter, JobId, JobState, Lease, NewJob, Requeue};

/// A job of `kind` named `name`, due at `run_at`.
pub fn new_job(kind: &str, name: &str, key: Option<&str>, priority: i32, run_at: i64) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        name: name.to_owned(),
        payload: format!(r#"{{"name":"{name}"}}"#),
        unique_key: key.map(str::to_owned),
        priority,
        max_attempts: 5,
        run_at: at(run_at),
    }
}

/// Enqueues `jobs` at `at(0)`, expecting every one created; their ids.
pub async fn enqueue_all(store: &dyn Store, jobs: &[NewJob]) -> Vec<JobId> {
    store
        .enqueue(jobs, at(0))
        .await
        .expect("enqueue")
        .into_iter()
        .map(|e| match e {
            Enqueued::Created(id) => id,
            Enqueued::Duplicate(id) => panic!("job {id} was a duplicate"),
        })
        .collect()
}

/// Claims up to `limit` jobs of any kind as `worker` at `now`, leased for 30 s.
pub async fn claim(store: &dyn Store, worker: &str, limit: u32, now: DateTime<Utc>) -> Vec<Job> {
    store
        .claim(Claim {
            worker,
            kinds: &[],
            limit,
            lease: Duration::from_secs(30),
            now,
        })
        .await
        .expect("claim")
}

/// Reads job `id`, which must exist.
pub async fn job(store: &dyn Store, id: JobId) -> Job {
    store.job(id).await.expect("job").expect("job exists")
}

/// A second job with a unique key is a duplicate of the first, in the same
/// batch, in a later one, and after the first is done; jobs without a key
/// never are. Large batches keep their order.
pub async fn enqueue_dedups_by_unique_key(store: &dyn Store) {
    let out = store
        .enqueue(
            &[
                new_job("webhook", "a", Some("evt_1"), 0, 0),
                new_job("webhook", "b", None, 0, 0),
                new_job("webhook", "c", Some("evt_1"), 0, 0),
                new_job("webhook", "d", None, 0, 0),
            ],
            at(0),
        )
        .await
        .expect("enqueue");
    let first = out[0].id();
    assert!(matches!(out[0], Enqueued::Created(_)), "{out:?}");
    assert!(matches!(out[1], Enqueued::Created(_)), "{out:?}");
    assert_eq!(out[2], Enqueued::Duplicate(first));
    assert!(matches!(out[3], Enqueued::Created(_)), "{out:?}");
    assert_ne!(out[1].id(), out[3].id());
    assert_eq!(job(store, out[3].id()).await.name, "d");

    let again = store
        .enqueue(&[new_job("webhook", "e", Some("evt_1"), 0, 0)], at(1))
        .await
        .expect("enqueue");
    assert_eq!(again, vec![Enqueued::Duplicate(first)]);

    let claimed = claim(store, "w", 10, at(2)).await;
    let lease = claimed
        .iter()
        .find(|j| j.id == first)
        .expect("claimed")
        .lease();
    assert!(
        store
            .finish(lease, Finish::Done { result: None }, at(3))
            .await
            .expect("finish")
    );
    let after_done = store
        .enqueue(&[new_job("webhook", "f", Some("evt_1"), 0, 0)], at(4))
        .await
        .expect("enqueue");
    assert_eq!(
        after_done,
        vec![Enqueued::Duplicate(first)],
        "done jobs still dedup"
    );

    let many: Vec<NewJob> = (0..700)
        .map(|i| {
            let key = format!("bulk_{}", i % 350);
            new_job("webhook", &format!("n{i}"), Some(&key), 0, 0)
        })
        .chain((0..300).map(|i| new_job("action", &format!("u{i}"), None, 0, 0)))
        .collect();
    let out = store.enqueue(&many, at(5)).await.expect("enqueue bulk");
    assert_eq!(out.len(), 1000);
    for i in 0..350 {
        assert!(matches!(out[i], Enqueued::Created(_)), "{i}: {:?}", out[i]);
        assert_eq!(out[i + 350], Enqueued::Duplicate(out[i].id()));
    }
    for (i, e) in out.iter().enumerate().skip(700).step_by(37) {
        assert!(matches!(e, Enqueued::Created(_)));
        assert_eq!(job(store, e.id()).await.name, format!("u{}", i - 700));
    }
    assert_eq!(job(store, out[123].id()).await.name, "n123");
}

/// Claims take the highest priority first, then the earliest `run_at`, then
/// the lowest id; a claim can ask for some kinds only.
pub async fn claim_order_is_priority_then_run_at(store: &dyn Store) {
    let ids = enqueue_all(
        store,
        &[
            new_job("webhook", "late", None, 0, 20),
            new_job("webhook", "early", None, 0, 10),
            new_job("webhook", "urgent", None, 5, 30),
            new_job("action", "act", None, 9, 0),
            new_job("webhook", "early_too", None, 0, 10),
        ],
    )
    .await;
    let webhooks = store
        .claim(Claim {
            worker: "w1",
            kinds: &["webhook"],
            limit: 3,
            lease: Duration::from_secs(30),
            now: at(40),
        })
        .await
        .expect("claim");
    let names: Vec<&str> = webhooks.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["urgent", "early", "early_too"]);
    for j in &webhooks {
        assert_eq!(j.state, JobState::Running);
        assert_eq!(j.attempts, 1);
        assert_eq!(j.worker.as_deref(), Some("w1"));
        assert_eq!(j.lease_until, Some(at(70)));
    }
    let rest = claim(store, "w2", 10, at(40)).await;
    let names: Vec<&str> = rest.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ["act", "late"]);
    assert!(claim(store, "w3", 10, at(41)).await.is_empty());
    assert_eq!(job(store, ids[3]).await.worker.as_deref(), Some("w2"));
}

/// A job due later is not claimed before its time.
pub async fn future_jobs_wait_for_run_at(store: &dyn Store) {
    let ids = enqueue_all(store, &[new_job("webhook", "later", None, 0, 100)]).await;
    assert!(claim(store, "w", 10, at(99)).await.is_empty());
    let claimed = claim(store, "w", 10, at(100)).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, ids[0]);
    assert_eq!(claimed[0].run_at, at(100));
}

/// Done keeps the result; Retry makes the job ready at the given time with
/// the error; Dead keeps the error. A second finish is refused.
pub async fn finish_sets_state_error_and_result(store: &dyn Store) {
    let ids = enqueue_all(
        store,
        &[
            new_job("action", "ok", None, 2, 0),
            new_job("action", "flaky", None, 1, 0),
            new_job("action", "broken", None, 0, 0),
        ],
    )
    .await;
    let claimed = claim(store, "w", 3, at(1)).await;
    assert_eq!(claimed.len(), 3);
    let lease = |i: usize| claimed[i].lease();
    let done = Finish::Done {
        result: Some(r#"{"status":201}"#.into()),
    };
    assert!(
        store
            .finish(lease(0), done.clone(), at(2))
            .await
            .expect("done")
    );
    let retry = Finish::Retry {
        at: at(60),
        error: "503 from the remote".into(),
    };
    assert!(store.finish(lease(1), retry, at(2)).await.expect("retry"));
    let dead = Finish::Dead {
        error: "400: invalid email".into(),
    };
    assert!(store.finish(lease(2), dead, at(2)).await.expect("dead"));
    assert!(
        !store.finish(lease(0), done, at(3)).await.expect("again"),
        "a finished job cannot be finished again"
    );

    let ok = job(store, ids[0]).await;
    assert_eq!(ok.state, JobState::Done);
    assert_eq!(ok.result.as_deref(), Some(r#"{"status":201}"#));
    assert_eq!((ok.lease_until, ok.updated_at), (None, at(2)));
    let flaky = job(store, ids[1]).await;
    assert_eq!(flaky.state, JobState::Ready);
    assert_eq!(flaky.run_at, at(60));
    assert_eq!(flaky.last_error.as_deref(), Some("503 from the remote"));
    assert_eq!(flaky.lease_until, None);
    let broken = job(store, ids[2]).await;
    assert_eq!(broken.state, JobState::Dead);
    assert_eq!(broken.last_error.as_deref(), Some("400: invalid email"));

    assert!(claim(store, "w", 10, at(59)).await.is_empty());
    let again = claim(store, "w", 10, at(60)).await;
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempts), (ids[1], 2));
}

/// Requeue brings back one job or every dead one, ready now with no
/// attempts and the last error kept; running jobs are never touched.
pub async fn requeue_one_and_all_dead(store: &dyn Store) {
    let ids = enqueue_all(
        store,
        &(0..4)
            .map(|i| new_job("action", &format!("j{i}"), None, 4 - i, 0))
            .collect::<Vec<_>>(),
    )
    .await;
    let claimed = claim(store, "w", 4, at(1)).await;
    for j in &claimed[..3] {
        let dead = Finish::Dead {
            error: format!("{} failed", j.name),
        };
        assert!(store.finish(j.lease(), dead, at(2)).await.expect("dead"));
    }
    let running = claimed[3].id;
    assert_eq!(
        store
            .requeue(Requeue::Job(running), at(3))
            .await
            .expect("rq"),
        0
    );
    assert_eq!(job(store, running).await.state, JobState::Running);

    assert_eq!(
        store
            .requeue(Requeue::Job(ids[0]), at(3))
            .await
            .expect("rq"),
        1
    );
    let one = job(store, ids[0]).await;
    assert_eq!(
        (one.state, one.attempts, one.run_at),
        (JobState::Ready, 0, at(3))
    );
    assert_eq!(one.last_error.as_deref(), Some("j0 failed"));

    assert_eq!(store.requeue(Requeue::Dead, at(4)).await.expect("rq"), 2);
    for id in &ids[1..3] {
        let j = job(store, *id).await;
        assert_eq!((j.state, j.attempts, j.run_at), (JobState::Ready, 0, at(4)));
    }
    assert_eq!(store.requeue(Requeue::Dead, at(5)).await.expect("rq"), 0);
    let reclaimed = claim(store, "w", 10, at(5)).await;
    assert_eq!(reclaimed.len(), 3);
    assert!(reclaimed.iter().all(|j| j.attempts == 1));
}

/// Stats count jobs per kind and state with the oldest of each, and name the
/// ready job that has waited longest.
pub async fn stats_count_and_oldest(store: &dyn Store) {
    assert_eq!(
        store.queue_stats(at(0)).await.expect("stats"),
        Default::default()
    );
    store
        .enqueue(&[new_job("webhook", "w1", None, 0, 5)], at(1))
        .await
        .expect("enqueue");
    store
        .enqueue(
            &[
                new_job("webhook", "w2", None, 0, 3),
                new_job("webhook", "w3", None, 9, 50),
                new_job("action", "a1", None, 0, 0),
            ],
            at(2),
        )
        .await
        .expect("enqueue");
    let claimed = store
        .claim(Claim {
            worker: "w",
            kinds: &["action"],
            limit: 1,
            lease: Duration::from_secs(30),
            now: at(10),
        })
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let stats = store.queue_stats(at(10)).await.expect("stats");
    let depth: Vec<(&str, JobState, u64, _)> = stats
        .depth
        .iter()
        .map(|d| (d.kind.as_str(), d.state, d.count, d.oldest))
        .collect();
    assert_eq!(
        depth,
        vec![
            ("action", JobState::Running, 1, Some(at(2))),
            ("webhook", JobState::Ready, 3, Some(at(1))),
        ]
    );
    let oldest = stats.oldest_ready.expect("a ready job is due");
    assert_eq!(oldest.run_at, at(3), "w2 is due first; w3 is not due yet");
    assert_eq!(job(store, oldest.id).await.name, "w2");
}

/// Pruning deletes done jobs older than the cut, and nothing else.
pub async fn prune_deletes_old_done_jobs(store: &dyn Store) {
    let ids = enqueue_all(
        store,
        &[
            new_job("action", "old", Some("k_old"), 3, 0),
            new_job("action", "new", None, 2, 0),
            new_job("action", "dead", None, 1, 0),
            new_job("action", "waiting", None, 0, 0),
        ],
    )
    .await;
    let claimed = claim(store, "w", 3, at(1)).await;
    let finish = |lease: Lease, finish: Finish, t: i64| store.finish(lease, finish, at(t));
    assert!(
        finish(claimed[0].lease(), Finish::Done { result: None }, 10)
            .await
            .expect("f")
    );
    assert!(
        finish(claimed[1].lease(), Finish::Done { result: None }, 100)
            .await
            .expect("f")
    );
    let dead = Finish::Dead { error: "x".into() };
    assert!(finish(claimed[2].lease(), dead, 10).await.expect("f"));
    assert_eq!(store.prune_done(at(50)).await.expect("prune"), 1);
    assert!(store.job(ids[0]).await.expect("read").is_none());
    for id in &ids[1..] {
        assert!(store.job(*id).await.expect("read").is_some());
    }
    let out = store
        .enqueue(&[new_job("action", "old", Some("k_old"), 0, 0)], at(60))
        .await
        .expect("enqueue");
    assert!(
        matches!(out[0], Enqueued::Created(_)),
        "a pruned key is free again"
    );
    assert_eq!(store.prune_done(at(50)).await.expect("prune"), 0);
}

/// Jobs are listed newest first, by state and kind.
pub async fn jobs_listed_newest_first(store: &dyn Store) {
    let ids = enqueue_all(
        store,
        &[
            new_job("webhook", "a", None, 1, 0),
            new_job("action", "b", None, 0, 0),
            new_job("webhook", "c", None, 0, 0),
        ],
    )
    .await;
    claim(store, "w", 1, at(1)).await;
    let all = store
        .jobs(JobFilter {
            limit: 10,
            ..JobFilter::default()
        })
        .await
        .expect("list");
    let listed: Vec<JobId> = all.iter().map(|j| j.id).collect();
    assert_eq!(listed, [ids[2], ids[1], ids[0]]);
    let ready_webhooks = store
        .jobs(JobFilter {
            state: Some(JobState::Ready),
            kind: Some("webhook"),
            limit: 10,
        })
        .await
        .expect("list");
    assert_eq!(ready_webhooks.len(), 1);
    assert_eq!(ready_webhooks[0].name, "c");
    let limited = store
        .jobs(JobFilter {
            limit: 1,
            ..JobFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(limited.len(), 1);
    assert!(
        store
            .job(JobId(ids[2].0 + 100))
            .await
            .expect("read")
            .is_none()
    );
}

/// Rejected requests are counted per webhook and reason (a count of 0
/// records nothing), most recent first.
pub async fn rejections_are_counted(store: &dyn Store) {
    assert!(store.rejections().await.expect("list").is_empty());
    for (t, webhook, reason, n) in [
        (1, "stripe", "bad_signature", 1),
        (2, "stripe", "bad_signature", 5),
        (3, "github", "stale_timestamp", 1),
        (3, "github", "stale_timestamp", 0),
        (4, "stripe", "bad_signature", 1),
        (5, "gitlab", "bad_signature", 0),
    ] {
        store
            .count_rejection(webhook, reason, n, at(t))
            .await
            .expect("count");
    }
    let list = store.rejections().await.expect("list");
    let seen: Vec<(&str, &str, u64, _, _)> = list
        .iter()
        .map(|r| {
            (
                r.webhook.as_str(),
                r.reason.as_str(),
                r.count,
                r.first_at,
                r.last_at,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("stripe", "bad_signature", 7, at(1), at(4)),
            ("github", "stale_timestamp", 1, at(3), at(3)),
        ]
    );
}

/// Finishing a batch at once is the same as finishing each in turn: each
/// lease's outcome lands, a repeated or stale lease is refused.
pub async fn finish_many_is_finish_for_each(store: &dyn Store) {
    let ids = enqueue_all(
        store,
        &[
            new_job("action", "ok", None, 3, 0),
            new_job("action", "flaky", None, 2, 0),
            new_job("action", "broken", None, 1, 0),
            new_job("action", "later", None, 0, 0),
        ],
    )
    .await;
    let claimed = claim(store, "w", 4, at(1)).await;
    assert_eq!(claimed.len(), 4);
    let stale = Lease {
        id: ids[3],
        attempt: 7,
    };
    let done = Finish::Done {
        result: Some("42".into()),
    };
    let out = store
        .finish_many(
            &[
                (claimed[0].lease(), done.clone()),
                (
                    claimed[1].lease(),
                    Finish::Retry {
                        at: at(60),
                        error: "503".into(),
                    },
                ),
                (
                    claimed[2].lease(),
                    Finish::Dead {
                        error: "400".into(),
                    },
                ),
                (claimed[0].lease(), Finish::Dead { error: "x".into() }),
                (stale, done),
            ],
            at(2),
        )
        .await
        .expect("finish many");
    assert_eq!(out, [true, true, true, false, false]);
    let ok = job(store, ids[0]).await;
    assert_eq!(
        (
            ok.state,
            ok.result.as_deref(),
            ok.lease_until,
            ok.updated_at
        ),
        (JobState::Done, Some("42"), None, at(2))
    );
    let flaky = job(store, ids[1]).await;
    assert_eq!(
        (flaky.state, flaky.run_at, flaky.last_error.as_deref()),
        (JobState::Ready, at(60), Some("503"))
    );
    let broken = job(store, ids[2]).await;
    assert_eq!(
        (broken.state, broken.last_error.as_deref()),
        (JobState::Dead, Some("400"))
    );
    assert_eq!(job(store, ids[3]).await.state, JobState::Running);
    assert!(
        store
            .finish_many(&[], at(3))
            .await
            .expect("empty")
            .is_empty()
    );
}
