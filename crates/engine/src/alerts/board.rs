//! The alert board: the firing and resolved transitions an evaluation makes
//! against the alerts the store already holds, saved there so every process
//! (and the next evaluator after a restart) knows what was announced.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use holdfast_spec::Spec;
use holdfast_store::prelude::*;
use holdfast_store::{StoreError, StoredAlert};
use serde::Serialize;

use super::rules::{Finding, evaluate};

/// A change of an alert's state, to log and deliver.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The rule's name.
    pub rule: &'static str,
    /// What it is about.
    pub subject: String,
    /// `firing` or `resolved`.
    pub state: AlertState,
    /// When the alert started firing (for `resolved`, when it stopped).
    pub since: DateTime<Utc>,
    /// The finding's sentence.
    pub message: String,
    /// Where the rule is written.
    pub place: String,
}

/// Whether an alert holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// The condition holds.
    Firing,
    /// It held and no longer does.
    Resolved,
}

/// The transitions `findings` make at `now` against the alerts firing
/// before (by rule and subject): newly firing ones, and firing ones whose
/// condition cleared. Findings with nothing to judge by change nothing.
pub fn transitions(
    firing_before: &BTreeSet<(String, String)>,
    findings: &[Finding],
    now: DateTime<Utc>,
) -> Vec<Transition> {
    findings
        .iter()
        .filter(|f| f.known)
        .filter_map(|f| {
            let was = firing_before.contains(&(f.rule.to_owned(), f.subject.clone()));
            match (f.firing, was) {
                (true, false) => Some(transition(f, AlertState::Firing, now)),
                (false, true) => Some(transition(f, AlertState::Resolved, now)),
                _ => None,
            }
        })
        .collect()
}

/// One evaluation against the store's alert board: evaluates every rule,
/// saves each transition on the board (so every process, and the next
/// evaluator after a restart, knows it was announced) and returns them to
/// announce. An alert whose state holds but whose reason changed (e.g.
/// "has not run" became "ran but brought nothing new") is saved too, with
/// its `since` kept: the board always says why it holds now, while only
/// transitions are announced. Run by one process per store at a time.
///
/// # Errors
/// A store that cannot be read or written.
pub async fn step(
    spec: &Spec,
    store: &dyn Store,
    now: DateTime<Utc>,
    watching_since: DateTime<Utc>,
) -> Result<(Vec<Finding>, Vec<Transition>), StoreError> {
    let findings = evaluate(spec, store, now, watching_since).await?;
    let board: Vec<StoredAlert> = store.alerts().await?;
    let firing: BTreeSet<(String, String)> = board
        .iter()
        .filter(|a| a.firing)
        .map(|a| (a.rule.clone(), a.subject.clone()))
        .collect();
    let changes = transitions(&firing, &findings, now);
    for t in &changes {
        store
            .save_alert(&StoredAlert {
                rule: t.rule.to_owned(),
                subject: t.subject.clone(),
                firing: t.state == AlertState::Firing,
                since: t.since,
                message: t.message.clone(),
                place: t.place.clone(),
            })
            .await?;
    }
    for stale in reworded(&board, &findings, &changes) {
        store.save_alert(&stale).await?;
    }
    Ok((findings, changes))
}

/// The board's alerts whose state still holds but whose reason (or place)
/// is no longer the finding's: each with the current message, its `since`
/// kept. Alerts that just changed state are left to `changes`.
fn reworded(
    board: &[StoredAlert],
    findings: &[Finding],
    changes: &[Transition],
) -> Vec<StoredAlert> {
    board
        .iter()
        .filter_map(|a| {
            let f = findings
                .iter()
                .find(|f| f.known && f.rule == a.rule && f.subject == a.subject)?;
            let changed = changes
                .iter()
                .any(|t| t.rule == a.rule && t.subject == a.subject);
            let same = f.message == a.message && f.place == a.place;
            (!changed && f.firing == a.firing && !same).then(|| StoredAlert {
                message: f.message.clone(),
                place: f.place.clone(),
                ..a.clone()
            })
        })
        .collect()
}

fn transition(f: &Finding, state: AlertState, now: DateTime<Utc>) -> Transition {
    Transition {
        rule: f.rule,
        subject: f.subject.clone(),
        state,
        since: now,
        message: f.message.clone(),
        place: f.place.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(rule: &'static str, subject: &str, firing: bool) -> Finding {
        Finding {
            rule,
            subject: subject.to_owned(),
            firing,
            known: true,
            message: format!("{rule} {subject} {firing}"),
            place: String::new(),
        }
    }

    #[test]
    fn each_alert_fires_once_and_resolves_once() {
        let now = Utc::now();
        let none = BTreeSet::new();
        let firing = BTreeSet::from([("queue_depth".to_owned(), "queue".to_owned())]);
        let up = transitions(&none, &[f("queue_depth", "queue", true)], now);
        assert_eq!(up.len(), 1);
        assert_eq!(up[0].state, AlertState::Firing);
        assert!(transitions(&firing, &[f("queue_depth", "queue", true)], now).is_empty());
        let down = transitions(&firing, &[f("queue_depth", "queue", false)], now);
        assert_eq!(down.len(), 1);
        assert_eq!(down[0].state, AlertState::Resolved);
        assert!(transitions(&none, &[f("queue_depth", "queue", false)], now).is_empty());
        let mut unknown = f("error_rate", "crm", false);
        unknown.known = false;
        let crm = BTreeSet::from([("error_rate".to_owned(), "crm".to_owned())]);
        assert!(
            transitions(&crm, &[unknown], now).is_empty(),
            "no data: no change"
        );
    }

    #[test]
    fn a_held_alert_takes_the_reason_that_holds_now() {
        let then = Utc::now() - chrono::Duration::minutes(5);
        let stored = StoredAlert {
            rule: "no_records".to_owned(),
            subject: "people".to_owned(),
            firing: true,
            since: then,
            message: "`people` has not run in the last 1m".to_owned(),
            place: String::new(),
        };
        let mut now = f("no_records", "people", true);
        now.message = "`people` brought no new or changed records in the last 1m".to_owned();
        let updated = reworded(std::slice::from_ref(&stored), &[now.clone()], &[]);
        assert_eq!(updated.len(), 1);
        assert_eq!(updated[0].message, now.message);
        assert_eq!(updated[0].since, then, "still firing since then");
        let same = StoredAlert {
            message: now.message.clone(),
            ..stored
        };
        assert!(reworded(&[same], &[now], &[]).is_empty(), "nothing to save");
    }
}
