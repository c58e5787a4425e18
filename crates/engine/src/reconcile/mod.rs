//! Reconciliation, the safety net: a full scan of a stream's request chain
//! (a full-refresh run: records missing locally are fetched and applied,
//! records whose content differs are updated, tombstoned records seen
//! again are restored), then — only when the scan is proven complete — a
//! sweep of the rows upstream no longer has.
//!
//! Complete means: the run succeeded (every page fetched and committed, the
//! chain ended the way its pagination ends, `expect_total` and
//! `expect_more` held), no answer was skipped by an `errors:` rule, and no
//! record was quarantined (a quarantined record exists upstream, so its row
//! must not be deleted). A scan that would delete more than `max_delete`
//! deletes nothing. Rows written during the scan (a webhook event, say)
//! are spared. Every reconciliation is recorded with its counts.

mod keys;

use chrono::{DateTime, SubsecRound, Utc};
use holdfast_spec::{Missing, Reconcile};
use holdfast_store::prelude::*;
use holdfast_store::{MissingAction, PageOutcome, ReconcileOutcome, Reconciliation, RunId, Sweep};
use tokio_util::sync::CancellationToken;

use crate::SyncError;
use crate::source::{Source, StreamInfo};
use crate::sync::{Observer, RunSummary, SyncOptions, sync_stream_until};

/// How to run a reconciliation.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReconcileOptions {
    /// Scan and count, delete nothing (what is fetched and changed is still applied).
    pub dry_run: bool,
}

/// Reconciles one stream (the caller holds its lease): scans it, proves the
/// scan complete, sweeps the rows upstream no longer has per `settings`,
/// records the reconciliation and returns it. An incomplete or refused
/// reconciliation is an `Ok` with that outcome and its reason: nothing was
/// deleted.
///
/// # Errors
/// The store failed before the scan started or while recording the outcome.
pub async fn reconcile_stream(
    source: &dyn Source,
    store: &dyn Store,
    (info, settings): (&StreamInfo, &Reconcile),
    options: ReconcileOptions,
    observer: &dyn Observer,
    stop: &CancellationToken,
) -> Result<Reconciliation, SyncError> {
    let name = info.name.as_str();
    // stored times keep microseconds: a row seen at the scan's first
    // instant must compare as seen, not before it
    let started = Utc::now().trunc_subsecs(6);
    let mut rec = Reconciliation {
        run: RunId(0),
        stream: name.to_owned(),
        started_at: started,
        finished_at: started,
        outcome: ReconcileOutcome::Incomplete,
        action: action_of(settings.missing),
        upstream: 0,
        local: 0,
        fetched: 0,
        changed: 0,
        missing: 0,
        deleted: 0,
        restored: 0,
        refused: 0,
        reason: None,
    };
    if let Some(scan) = &settings.keys_only {
        match keys::scan_keys(source, store, info, scan, stop).await {
            Ok(scan) if scan.missing_locally == 0 => {
                rec.run = scan.run;
                rec.upstream = scan.upstream;
                return sweep(store, (info, settings), options, rec, started).await;
            }
            // records upstream the table lacks (or holds deleted): a full
            // scan fetches them, and the sweep goes by its run
            Ok(scan) => tracing::info!(
                stream = name,
                missing = scan.missing_locally,
                "the keys-only scan saw keys with no live row here; reading full records"
            ),
            Err((run, e)) => {
                rec.run = run.unwrap_or(RunId(0));
                rec.reason = Some(format!(
                    "the keys-only scan did not finish, so nothing was deleted: {e}"
                ));
                live_rows(store, info, &mut rec).await?;
                return finish(store, rec).await;
            }
        }
    }
    let sync = SyncOptions { full_refresh: true };
    let scanned = sync_stream_until(source, store, info, sync, observer, stop).await;
    let summary = match scanned {
        Ok(summary) => summary,
        Err(e) => {
            incomplete(store, info, &mut rec, started, &e).await?;
            return finish(store, rec).await;
        }
    };
    count_scan(&mut rec, summary.run, summary.counts);
    if let Some(why) = unproven(&summary) {
        rec.reason = Some(why);
        live_rows(store, info, &mut rec).await?;
        rec.refused = rec.missing;
        return finish(store, rec).await;
    }
    sweep(store, (info, settings), options, rec, started).await
}

/// Sweeps the rows the complete scan of `rec.run` did not see, per
/// `settings`, and records the reconciliation.
async fn sweep(
    store: &dyn Store,
    (info, settings): (&StreamInfo, &Reconcile),
    options: ReconcileOptions,
    mut rec: Reconciliation,
    started: DateTime<Utc>,
) -> Result<Reconciliation, SyncError> {
    let name = info.name.as_str();
    let action = if options.dry_run {
        MissingAction::Report
    } else {
        action_of(settings.missing)
    };
    let seen_since = started - chrono::Duration::from_std(settings.grace).unwrap_or_default();
    let sweep = Sweep {
        table: &info.table,
        run: rec.run,
        seen_since,
        action,
        max_share: settings.max_delete.share,
        max_count: settings.max_delete.count,
        now: Utc::now(),
    };
    let swept = store
        .sweep_missing(&sweep)
        .await
        .map_err(SyncError::store(name))?;
    rec.local = swept.live;
    rec.missing = swept.missing;
    rec.deleted = swept.applied;
    let share = if swept.live == 0 {
        0.0
    } else {
        swept.missing as f64 * 100.0 / swept.live as f64
    };
    let limit = settings.max_delete;
    if swept.refused {
        rec.refused = swept.missing;
        let outcome = if options.dry_run {
            ReconcileOutcome::DryRun
        } else {
            ReconcileOutcome::Refused
        };
        rec.outcome = outcome;
        rec.reason = Some(format!(
            "{} of {} live rows ({share:.1}%) are missing upstream, more than `max_delete: \
             {limit}`: nothing was deleted; check that the API still lists every record \
             (a changed filter or permission hides records too), then raise \
             `reconcile.max_delete` or run `holdfast reconcile {name}` again",
            swept.missing, swept.live
        ));
    } else if options.dry_run {
        rec.outcome = ReconcileOutcome::DryRun;
        rec.reason = Some(format!(
            "{} missing row(s) would be {} (a dry run deletes nothing)",
            swept.missing,
            match settings.missing {
                Missing::SoftDelete => "soft-deleted",
                Missing::HardDelete => "deleted",
                Missing::Report => "reported",
            }
        ));
    } else {
        rec.outcome = ReconcileOutcome::Complete;
    }
    finish(store, rec).await
}

/// The store's action for a stream's `missing:`.
fn action_of(missing: Missing) -> MissingAction {
    match missing {
        Missing::SoftDelete => MissingAction::SoftDelete,
        Missing::HardDelete => MissingAction::HardDelete,
        Missing::Report => MissingAction::Report,
    }
}

/// What the scan's run did, as reconciliation counts.
fn count_scan(rec: &mut Reconciliation, run: RunId, c: PageOutcome) {
    rec.run = run;
    rec.upstream = c.created + c.updated + c.unchanged + c.deleted + c.restored;
    rec.fetched = c.created;
    rec.changed = c.updated;
    rec.restored = c.restored;
}

/// Why a scan that succeeded still proves nothing, if it does not.
fn unproven(summary: &RunSummary) -> Option<String> {
    if summary.skipped > 0 {
        return Some(format!(
            "{} answer(s) were skipped by an `errors:` rule (`action: skip`), so the scan did \
             not see every page: nothing was deleted",
            summary.skipped
        ));
    }
    if summary.quarantined > 0 {
        return Some(format!(
            "{} record(s) were quarantined during the scan; they exist upstream but are not \
             in the table, so the scan cannot tell which rows are gone: nothing was deleted \
             (fix them with `holdfast quarantine {}`, then reconcile again)",
            summary.quarantined, summary.stream
        ));
    }
    None
}

/// Records a scan that did not finish: its run's counts so far, and why.
async fn incomplete(
    store: &dyn Store,
    info: &StreamInfo,
    rec: &mut Reconciliation,
    started: DateTime<Utc>,
    error: &SyncError,
) -> Result<(), SyncError> {
    let name = info.name.as_str();
    // the scan's run: the newest of the stream since the scan started (the
    // caller holds the stream's lease, so no other run started since)
    let run = store
        .runs(Some(name), 1)
        .await
        .map_err(SyncError::store(name))?
        .into_iter()
        .next()
        .filter(|r| r.started_at >= started);
    if let Some(run) = run {
        count_scan(rec, run.id, run.outcome_counts);
    }
    rec.reason = Some(format!(
        "the scan did not finish, so nothing was deleted: {error}"
    ));
    live_rows(store, info, rec).await
}

/// Counts the live rows and the rows the scan did not see (nothing is applied).
async fn live_rows(
    store: &dyn Store,
    info: &StreamInfo,
    rec: &mut Reconciliation,
) -> Result<(), SyncError> {
    if rec.run == RunId(0) {
        return Ok(());
    }
    let sweep = Sweep {
        table: &info.table,
        run: rec.run,
        seen_since: rec.started_at,
        action: MissingAction::Report,
        max_share: 1.0,
        max_count: u64::MAX,
        now: Utc::now(),
    };
    let counted = store
        .sweep_missing(&sweep)
        .await
        .map_err(SyncError::store(&info.name))?;
    rec.local = counted.live;
    rec.missing = counted.missing;
    rec.refused = counted.missing;
    Ok(())
}

/// Records the reconciliation (when its scan got a run) and reports it.
async fn finish(store: &dyn Store, mut rec: Reconciliation) -> Result<Reconciliation, SyncError> {
    rec.finished_at = Utc::now();
    if rec.run != RunId(0) {
        store
            .save_reconciliation(&rec)
            .await
            .map_err(SyncError::store(&rec.stream))?;
    }
    crate::telemetry::reconciled(&rec);
    match rec.outcome {
        ReconcileOutcome::Complete | ReconcileOutcome::DryRun => tracing::info!(
            stream = %rec.stream,
            run = rec.run.0,
            outcome = rec.outcome.as_str(),
            upstream = rec.upstream,
            local = rec.local,
            fetched = rec.fetched,
            changed = rec.changed,
            missing = rec.missing,
            deleted = rec.deleted,
            restored = rec.restored,
            "reconciled"
        ),
        _ => tracing::warn!(
            stream = %rec.stream,
            run = rec.run.0,
            outcome = rec.outcome.as_str(),
            reason = rec.reason.as_deref().unwrap_or(""),
            "reconciliation deleted nothing"
        ),
    }
    Ok(rec)
}
