//! The reconciliation rules: `reconcile_refused` (the last reconciliation
//! deleted nothing because it was refused or its scan was incomplete; every
//! stream with `reconcile:` has it) and `copy_drift` (the last
//! reconciliation found the copy off by more than a share).

use holdfast_spec::{AlertCondition, Spec};
use holdfast_store::prelude::*;
use holdfast_store::{ReconcileOutcome, Reconciliation, StoreError};

use super::rules::Finding;

/// The streams a rule about `one` (or every stream with `reconcile:`) covers.
pub(super) fn streams<'s>(spec: &'s Spec, one: Option<&'s str>) -> Vec<&'s str> {
    spec.streams
        .iter()
        .filter(|s| s.reconcile.is_some() && one.is_none_or(|o| o == s.name))
        .map(|s| s.name.as_str())
        .collect()
}

/// The streams with `reconcile:` that no `reconcile_refused` rule of
/// `alerts:` covers: they get the rule anyway, placed at their `reconcile:`.
pub(super) fn implicit(spec: &Spec) -> Vec<&str> {
    let covered = |name: &str| {
        spec.alerts.iter().any(|r| match &r.condition {
            AlertCondition::ReconcileRefused { stream } => {
                stream.as_deref().is_none_or(|s| s == name)
            }
            _ => false,
        })
    };
    streams(spec, None)
        .into_iter()
        .filter(|s| !covered(s))
        .collect()
}

async fn last(store: &dyn Store, stream: &str) -> Result<Option<Reconciliation>, StoreError> {
    Ok(store
        .reconciliations(Some(stream), 1)
        .await?
        .into_iter()
        .next())
}

/// `reconcile_refused` for `stream`.
pub(super) async fn refused(store: &dyn Store, stream: &str) -> Result<Finding, StoreError> {
    let Some(r) = last(store, stream).await? else {
        return Ok(unknown("reconcile_refused", stream));
    };
    let firing = matches!(
        r.outcome,
        ReconcileOutcome::Refused | ReconcileOutcome::Incomplete
    );
    let message = if firing {
        format!(
            "the last reconciliation of `{stream}` (run {}) deleted nothing: {}",
            r.run,
            r.reason.as_deref().unwrap_or("refused")
        )
    } else {
        format!(
            "the last reconciliation of `{stream}` (run {}) was {} ({} missing upstream, {} deleted)",
            r.run,
            r.outcome.as_str().replace('_', " "),
            r.missing,
            r.deleted
        )
    };
    Ok(found("reconcile_refused", stream, firing, message))
}

/// `copy_drift` for `stream`.
pub(super) async fn drift(
    store: &dyn Store,
    stream: &str,
    above: f64,
) -> Result<Finding, StoreError> {
    let Some(r) = last(store, stream).await? else {
        return Ok(unknown("copy_drift", stream));
    };
    let off = r.fetched + r.changed + r.missing;
    let base = r.upstream.max(r.local).max(1);
    let share = off as f64 / base as f64;
    let message = format!(
        "the last reconciliation of `{stream}` (run {}) found {off} of {base} records off \
         ({:.1}%: {} missing locally, {} changed, {} missing upstream; the alert fires above {:.1}%)",
        r.run,
        share * 100.0,
        r.fetched,
        r.changed,
        r.missing,
        above * 100.0
    );
    Ok(found("copy_drift", stream, share > above, message))
}

fn found(rule: &'static str, stream: &str, firing: bool, message: String) -> Finding {
    Finding {
        rule,
        subject: stream.to_owned(),
        firing,
        known: true,
        message,
        place: String::new(),
    }
}

/// No reconciliation yet: nothing to judge by.
fn unknown(rule: &'static str, stream: &str) -> Finding {
    Finding {
        known: false,
        ..found(
            rule,
            stream,
            false,
            format!("`{stream}` has not been reconciled yet"),
        )
    }
}
