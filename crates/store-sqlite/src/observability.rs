//! [`ObservabilityStore`] on SQLite: the request log, shapes and drift, alerts, rejections.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use holdfast_store::{
    DriftRow, EndpointStats, FailureMode, ObservabilityStore, Rejection, RequestRow, RunId,
    StoreError, StoredAlert,
};

use crate::error::db_err;
use crate::store::SqliteStore;
use crate::time::to_text;

#[async_trait]
impl ObservabilityStore for SqliteStore {
    async fn log_requests(&self, rows: &[RequestRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self
            .gate
            .begin(&self.pool)
            .await
            .map_err(db_err("writing the request log"))?;
        crate::requests::insert(&mut tx, rows)
            .await
            .map_err(db_err("writing the request log"))?;
        tx.commit().await.map_err(db_err("writing the request log"))
    }

    async fn requests(&self, run: RunId, limit: u32) -> Result<Vec<RequestRow>, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("reading the request log"))?;
        crate::requests::of_run(&mut conn, run, limit).await
    }

    async fn endpoint_stats(&self, since: DateTime<Utc>) -> Result<Vec<EndpointStats>, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("computing endpoint stats"))?;
        crate::requests::stats(&mut conn, since).await
    }

    async fn failure_modes(&self, since: DateTime<Utc>) -> Result<Vec<FailureMode>, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("grouping the request log's failures"))?;
        crate::requests::failure_modes(&mut conn, since).await
    }

    async fn load_shape(&self, stream: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT shape FROM _holdfast_shapes WHERE stream = ?")
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
        let context = format!("saving the shape of `{stream}`");
        let mut conn = self.pool.acquire().await.map_err(db_err(&context))?;
        crate::drift::save_shape(&mut conn, stream, shape, &to_text(now))
            .await
            .map_err(db_err(context))
    }

    async fn drift(&self, stream: Option<&str>, limit: u32) -> Result<Vec<DriftRow>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err("listing drift"))?;
        crate::drift::list(&mut conn, stream, limit).await
    }

    async fn save_alert(&self, alert: &StoredAlert) -> Result<(), StoreError> {
        let context = format!("saving alert `{}` about `{}`", alert.rule, alert.subject);
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        crate::alerts::save(&mut tx, alert).await?;
        tx.commit().await.map_err(db_err(context))
    }

    async fn alerts(&self) -> Result<Vec<StoredAlert>, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("listing alerts"))?;
        crate::alerts::list(&mut conn).await
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
        let mut conn = self.write("counting webhook rejections").await?;
        let out = crate::rejections::count(&mut conn, webhook, reason, count, now).await?;
        conn.commit()
            .await
            .map_err(db_err("counting webhook rejections"))?;
        Ok(out)
    }

    async fn rejections(&self) -> Result<Vec<Rejection>, StoreError> {
        let mut conn = self.conn("listing webhook rejections").await?;
        crate::rejections::list(&mut conn).await
    }
}
