//! The sync engine's Prometheus metrics (served by `holdfast serve` at
//! `/metrics`; without an installed recorder they cost nothing):
//!
//! - `holdfast_records_total{stream, outcome}`: records committed per
//!   outcome (`created`, `updated`, `unchanged`, `deleted`, `restored`,
//!   `quarantined`);
//! - `holdfast_sync_runs_total{stream, outcome}`: runs finished per outcome;
//! - `holdfast_stream_last_success_timestamp_seconds{stream}`: when the
//!   stream last finished a run successfully (Unix time);
//! - `holdfast_drift_events_total{stream, kind}`: schema drift recorded;
//! - `holdfast_webhook_events_total{stream, outcome}`: webhook events applied
//!   (`created`, `updated`, `deleted`, `stale`, `unchanged`, `lease_lost`);
//! - `holdfast_reconcile_records{stream, count}`: the last reconciliation's
//!   counts (`upstream`, `local`, `fetched`, `changed`, `missing`,
//!   `deleted`, `restored`, `refused`);
//! - `holdfast_reconcile_last_timestamp_seconds{stream}` and
//!   `holdfast_reconcile_refused{stream}` (1 when the last one deleted
//!   nothing because it was refused or incomplete).

use holdfast_store::{PageOutcome, ReconcileOutcome, Reconciliation, RunOutcome};

/// Records committed per stream and outcome.
pub const RECORDS: &str = "holdfast_records_total";
/// Runs finished per stream and outcome.
pub const RUNS: &str = "holdfast_sync_runs_total";
/// When each stream last succeeded (Unix seconds).
pub const LAST_SUCCESS: &str = "holdfast_stream_last_success_timestamp_seconds";
/// Drift events per stream and kind.
pub const DRIFT: &str = "holdfast_drift_events_total";
/// Webhook events applied per stream and outcome.
pub const EVENTS: &str = "holdfast_webhook_events_total";

/// The last reconciliation's counts per stream and count.
pub const RECONCILE_RECORDS: &str = "holdfast_reconcile_records";
/// When each stream was last reconciled (Unix seconds).
pub const RECONCILE_LAST: &str = "holdfast_reconcile_last_timestamp_seconds";
/// 1 when a stream's last reconciliation was refused or incomplete.
pub const RECONCILE_REFUSED: &str = "holdfast_reconcile_refused";

/// Sets the reconciliation gauges of `rec`'s stream (also called when
/// `/metrics` samples the store, so a reconciliation run elsewhere shows).
pub fn reconciled(rec: &Reconciliation) {
    let stream = rec.stream.clone();
    for (count, n) in [
        ("upstream", rec.upstream),
        ("local", rec.local),
        ("fetched", rec.fetched),
        ("changed", rec.changed),
        ("missing", rec.missing),
        ("deleted", rec.deleted),
        ("restored", rec.restored),
        ("refused", rec.refused),
    ] {
        metrics::gauge!(RECONCILE_RECORDS, "stream" => stream.clone(), "count" => count)
            .set(n as f64);
    }
    metrics::gauge!(RECONCILE_LAST, "stream" => stream.clone())
        .set(rec.finished_at.timestamp_millis() as f64 / 1000.0);
    let refused = matches!(
        rec.outcome,
        ReconcileOutcome::Refused | ReconcileOutcome::Incomplete
    );
    metrics::gauge!(RECONCILE_REFUSED, "stream" => stream).set(f64::from(u8::from(refused)));
}

/// Counts an applied webhook event.
pub(crate) fn event_applied(stream: &str, outcome: &'static str) {
    metrics::counter!(EVENTS, "stream" => stream.to_owned(), "outcome" => outcome).increment(1);
}

/// Counts a committed page's records.
pub(crate) fn page_committed(stream: &str, outcome: PageOutcome, quarantined: usize) {
    for (label, n) in [
        ("created", outcome.created),
        ("updated", outcome.updated),
        ("unchanged", outcome.unchanged),
        ("deleted", outcome.deleted),
        ("restored", outcome.restored),
        ("quarantined", quarantined as u64),
    ] {
        if n > 0 {
            metrics::counter!(RECORDS, "stream" => stream.to_owned(), "outcome" => label)
                .increment(n);
        }
    }
}

/// Counts a drift event.
pub(crate) fn drift_seen(stream: &str, kind: &str) {
    metrics::counter!(DRIFT, "stream" => stream.to_owned(), "kind" => kind.to_owned()).increment(1);
}

/// Counts a finished run; a success also moves the stream's last success time.
pub(crate) fn run_finished(stream: &str, outcome: RunOutcome, at: chrono::DateTime<chrono::Utc>) {
    metrics::counter!(RUNS, "stream" => stream.to_owned(), "outcome" => outcome.as_str())
        .increment(1);
    if outcome == RunOutcome::Succeeded {
        metrics::gauge!(LAST_SUCCESS, "stream" => stream.to_owned())
            .set(at.timestamp_millis() as f64 / 1000.0);
    }
}
