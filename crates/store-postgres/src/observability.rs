//! [`ObservabilityStore`] on PostgreSQL: the request log, shapes and drift, alerts, rejections.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use holdfast_store::{
    DriftRow, EndpointStats, FailureMode, ObservabilityStore, Rejection, RequestRow, RunId,
    StoreError, StoredAlert,
};

use crate::error::db_err;
use crate::store::PgStore;

#[async_trait]
impl ObservabilityStore for PgStore {
    async fn log_requests(&self, rows: &[RequestRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("writing the request log"))?;
        crate::requests::insert(&mut conn, rows)
            .await
            .map_err(db_err("writing the request log"))
    }

    async fn requests(&self, run: RunId, limit: u32) -> Result<Vec<RequestRow>, StoreError> {
        crate::requests::of_run(&self.pool, run, limit).await
    }

    async fn endpoint_stats(&self, since: DateTime<Utc>) -> Result<Vec<EndpointStats>, StoreError> {
        crate::requests::stats(&self.pool, since).await
    }

    async fn failure_modes(&self, since: DateTime<Utc>) -> Result<Vec<FailureMode>, StoreError> {
        crate::requests::failure_modes(&self.pool, since).await
    }

    async fn load_shape(&self, stream: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT shape FROM _holdfast_shapes WHERE stream = $1")
            .bind(stream)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err(format!("loading the shape of `{stream}`")))
    }

    async fn save_shape(
        &self,
        stream: &str,
        shape: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        crate::drift::save_shape(&self.pool, stream, shape, now)
            .await
            .map_err(db_err(format!("saving the shape of `{stream}`")))
    }

    async fn drift(&self, stream: Option<&str>, limit: u32) -> Result<Vec<DriftRow>, StoreError> {
        crate::drift::list(&self.pool, stream, limit).await
    }

    async fn save_alert(&self, alert: &StoredAlert) -> Result<(), StoreError> {
        crate::alerts::save(&self.pool, alert).await
    }

    async fn alerts(&self) -> Result<Vec<StoredAlert>, StoreError> {
        crate::alerts::list(&self.pool).await
    }

    async fn count_rejection(
        &self,
        webhook: &str,
        reason: &str,
        count: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if count == 0 {
            return Ok(());
        }
        crate::rejections::add(self.pool(), webhook, reason, count, now).await
    }

    async fn rejections(&self) -> Result<Vec<Rejection>, StoreError> {
        crate::rejections::list(self.pool()).await
    }
}
