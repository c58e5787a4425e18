//! Runs: counters per page, outcomes, interrupted runs.

use serde_json::json;

use super::{at, commit, row, table};
use crate::prelude::*;
use crate::{RunHolder, RunOutcome, StreamState};

/// Page counters add up on the run; the outcome and error are kept.
pub async fn counters_and_outcomes(store: &dyn Store) {
    let t = table("contacts");
    store.prepare_table(&t).await.expect("prepare");
    let run = store.start_run("contacts", at(0)).await.expect("run");
    let state = StreamState::default();
    commit(
        store,
        run,
        "contacts",
        &t,
        &[row(1, json!({})), row(2, json!({}))],
        &state,
        at(1),
    )
    .await;
    commit(
        store,
        run,
        "contacts",
        &t,
        &[row(2, json!({"v": 2})), row(3, json!({}))],
        &state,
        at(2),
    )
    .await;
    store
        .finish_run(run, RunOutcome::Failed, Some("boom"), at(3))
        .await
        .expect("finish");
    let runs = store.runs(Some("contacts"), 10).await.expect("runs");
    assert_eq!(runs.len(), 1);
    let r = &runs[0];
    assert_eq!(
        (r.pages, r.outcome_counts.created, r.outcome_counts.updated),
        (2, 3, 1)
    );
    assert_eq!(r.outcome, RunOutcome::Failed);
    assert_eq!(r.error.as_deref(), Some("boom"));
    assert_eq!(r.finished_at, Some(at(3)));
}

/// Now, to the second (every backend keeps whole seconds exactly).
fn now_s() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    now - chrono::Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)))
}

/// A process of this host that does not exist (above any `pid_max`).
fn dead_here() -> RunHolder {
    RunHolder {
        pid: 4_194_400,
        start: None,
        ..RunHolder::this_process()
    }
}

/// A process of another host (only its lease tells whether it runs).
fn elsewhere() -> RunHolder {
    RunHolder {
        host: "another-host.example".to_owned(),
        pid: 1,
        start: None,
    }
}

/// Starting a run marks an earlier `running` run of the same stream
/// interrupted, ending at its last committed page (not at the new start).
pub async fn running_runs_become_interrupted(store: &dyn Store) {
    let t = table("s");
    store.prepare_table(&t).await.expect("prepare");
    let now = now_s();
    let a = store.start_run("s", now).await.expect("run");
    let page_at = now + chrono::Duration::seconds(2);
    commit(
        store,
        a,
        "s",
        &t,
        &[row(1, json!({}))],
        &StreamState::default(),
        page_at,
    )
    .await;
    let other = store.start_run("other", now).await.expect("run");
    let b = store
        .start_run("s", now + chrono::Duration::seconds(5))
        .await
        .expect("run");
    let runs = store.runs(None, 10).await.expect("runs");
    let find = |id| runs.iter().find(|r| r.id == id).expect("listed");
    assert_eq!(find(a).outcome, RunOutcome::Interrupted);
    assert_eq!(find(a).finished_at, Some(page_at), "ends at its last page");
    assert_eq!(find(a).error.as_deref(), Some(crate::GONE));
    assert_eq!(find(other).outcome, RunOutcome::Running);
    assert_eq!(find(b).outcome, RunOutcome::Running);
    assert_eq!(runs[0].id, b, "newest first");
}

/// A run whose holder is a process of this host that is gone reads as
/// interrupted at once, ending at its last committed page; one held by a
/// live process stays running.
pub async fn a_dead_holder_reads_as_interrupted(store: &dyn Store) {
    let t = table("s");
    store.prepare_table(&t).await.expect("prepare");
    let now = now_s();
    let dead = store
        .start_run_as("s", &dead_here(), now)
        .await
        .expect("run");
    let page_at = now + chrono::Duration::seconds(1);
    commit(
        store,
        dead,
        "s",
        &t,
        &[row(1, json!({}))],
        &StreamState::default(),
        page_at,
    )
    .await;
    let live = store.start_run("live", now).await.expect("run");
    let runs = store.runs(None, 10).await.expect("runs");
    let find = |id| runs.iter().find(|r| r.id == id).expect("listed");
    assert_eq!(find(dead).outcome, RunOutcome::Interrupted);
    assert_eq!(find(dead).finished_at, Some(page_at));
    assert_eq!(find(dead).last_page_at, Some(page_at));
    assert_eq!(find(live).outcome, RunOutcome::Running);
    assert_eq!(find(live).finished_at, None);
    let holder = find(live).holder.clone().expect("a holder");
    assert_eq!(RunHolder::parse(&holder), Some(RunHolder::this_process()));
}

/// A run of another host reads as interrupted once its lease has expired
/// (ending at its start when no page committed); renewing the lease makes it
/// running again, and the next run of the stream records the interruption.
pub async fn an_expired_lease_reads_as_interrupted(store: &dyn Store) {
    let long_ago = now_s() - chrono::Duration::seconds(600);
    let run = store
        .start_run_as("s", &elsewhere(), long_ago)
        .await
        .expect("run");
    let read = store.runs(Some("s"), 1).await.expect("runs").remove(0);
    assert_eq!(read.outcome, RunOutcome::Interrupted, "lease expired");
    assert_eq!(
        read.finished_at,
        Some(long_ago),
        "no page: ends at its start"
    );
    store.renew_run(run, now_s()).await.expect("renew");
    let read = store.runs(Some("s"), 1).await.expect("runs").remove(0);
    assert_eq!(read.outcome, RunOutcome::Running, "renewed: {read:?}");
    assert!(read.lease_until > Some(now_s()), "{read:?}");
    let fresh = store
        .start_run_as("s", &elsewhere(), now_s())
        .await
        .expect("run");
    let runs = store.runs(Some("s"), 2).await.expect("runs");
    assert_eq!(runs[0].id, fresh);
    assert_eq!(runs[1].outcome, RunOutcome::Interrupted);
    assert_eq!(runs[1].finished_at, Some(long_ago), "recorded, not `now`");
}
