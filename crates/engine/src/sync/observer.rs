//! Watching a sync as it goes (progress bars, logs).

use holdfast_store::PageOutcome;

use super::RunSummary;
use super::waves::NotStarted;
use crate::SyncError;

/// Told about every stream start, committed page and stream end, and
/// (in a sync of several streams) every stream not started.
pub trait Observer: Send + Sync {
    /// A stream's run started (`resumed`: it continues an interrupted run).
    fn started(&self, stream: &str, resumed: bool) {
        let _ = (stream, resumed);
    }

    /// A page was committed.
    fn page(&self, stream: &str, records: usize, outcome: PageOutcome, quarantined: usize) {
        let _ = (stream, records, outcome, quarantined);
    }

    /// Something the user should know about a run that does not stop it
    /// (e.g. a `map:` path that matched nothing). Default: a WARN log line.
    fn warning(&self, stream: &str, message: &str) {
        tracing::warn!(stream, "{message}");
    }

    /// A stream's run ended.
    fn finished(&self, stream: &str, result: &Result<RunSummary, SyncError>) {
        let _ = (stream, result);
    }

    /// A stream of a sync of several was not started (its parent failed,
    /// another process syncs it, its lease could not be taken). Default: a
    /// WARN log line.
    fn not_started(&self, stream: &str, why: &NotStarted) {
        tracing::warn!(stream, "{why}");
    }

    /// Whether [`Observer::finished`] shows a failed run to the user (a
    /// command's own summary line). The engine then logs the failure at
    /// `info` instead of `warn`, so that it is printed once, not twice.
    fn shows_failures(&self) -> bool {
        false
    }
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopObserver;

impl Observer for NoopObserver {}
