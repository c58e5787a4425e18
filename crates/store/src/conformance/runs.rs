//! Runs: counters per page, outcomes, interrupted runs.

use serde_json::json;

use super::{at, commit, row, table};
use crate::Store;
use crate::{RunOutcome, StreamState};

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

/// Starting a run marks an earlier `running` run of the same stream interrupted.
pub async fn running_runs_become_interrupted(store: &dyn Store) {
    let a = store.start_run("s", at(0)).await.expect("run");
    let other = store.start_run("other", at(0)).await.expect("run");
    let b = store.start_run("s", at(5)).await.expect("run");
    let runs = store.runs(None, 10).await.expect("runs");
    let find = |id| runs.iter().find(|r| r.id == id).expect("listed");
    assert_eq!(find(a).outcome, RunOutcome::Interrupted);
    assert_eq!(find(other).outcome, RunOutcome::Running);
    assert_eq!(find(b).outcome, RunOutcome::Running);
    assert_eq!(runs[0].id, b, "newest first");
}
