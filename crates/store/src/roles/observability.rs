//! [`ObservabilityStore`]: what holdfast records about its own work.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    DriftRow, EndpointStats, FailureMode, Rejection, RequestRow, RunId, StoreError, StoredAlert,
};

/// What holdfast records about its own work: the request log and endpoint
/// health, response shapes and drift, the alert board and webhook
/// rejection counters.
#[async_trait]
pub trait ObservabilityStore: Send + Sync {
    /// Appends request log rows outside a page (e.g. the attempts of a run
    /// that failed before its next commit).
    async fn log_requests(&self, rows: &[RequestRow]) -> Result<(), StoreError>;

    /// The request log of one run, in the order the attempts started.
    async fn requests(&self, run: RunId, limit: u32) -> Result<Vec<RequestRow>, StoreError>;

    /// Success rate, latency percentiles and deprecation signals per endpoint
    /// for attempts since `since`.
    async fn endpoint_stats(&self, since: DateTime<Utc>) -> Result<Vec<EndpointStats>, StoreError>;

    /// Failed attempts since `since`, grouped by connection, stream and error
    /// class (what `holdfast describe` calls failure modes): by connection,
    /// then stream (no stream last), then the most frequent class first.
    async fn failure_modes(&self, since: DateTime<Utc>) -> Result<Vec<FailureMode>, StoreError>;

    /// The stream's known response shape (JSON), if one was saved.
    async fn load_shape(&self, stream: &str) -> Result<Option<String>, StoreError>;

    /// Saves the stream's known response shape (JSON).
    async fn save_shape(
        &self,
        stream: &str,
        shape: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Recorded drift, newest first (all streams, or one).
    async fn drift(&self, stream: Option<&str>, limit: u32) -> Result<Vec<DriftRow>, StoreError>;

    /// Saves an alert's state by (rule, subject), replacing the earlier one.
    async fn save_alert(&self, alert: &StoredAlert) -> Result<(), StoreError>;

    /// Every alert saved, by rule then subject.
    async fn alerts(&self) -> Result<Vec<StoredAlert>, StoreError>;

    /// Counts `count` rejected webhook requests (bad signature, stale
    /// timestamp, …) under (`webhook`, `reason`), the last one at `now`
    /// (receivers count in memory and flush, so a flood of forged requests is
    /// not a flood of writes). A count of 0 does nothing.
    async fn count_rejection(
        &self,
        webhook: &str,
        reason: &str,
        count: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Rejection counters, most recent first.
    async fn rejections(&self) -> Result<Vec<Rejection>, StoreError>;
}
