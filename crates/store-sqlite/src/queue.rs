//! [`JobQueue`] on SQLite: the `_holdfast_jobs` table, written in
//! `BEGIN IMMEDIATE` transactions so claims never race.

mod admin;
mod claim;
mod enqueue;
mod row;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use holdfast_store::{
    Claim, Enqueued, EventApply, EventOutcome, Finish, Job, JobFilter, JobId, JobQueue, Lease,
    NewJob, QueueStats, Requeue, StoreError,
};
use sqlx::Sqlite;
use sqlx::pool::PoolConnection;

use crate::error::db_err;
use crate::store::SqliteStore;
use crate::time::to_text;

#[async_trait]
impl JobQueue for SqliteStore {
    async fn enqueue(
        &self,
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> Result<Vec<Enqueued>, StoreError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let context = format!("enqueueing {} jobs", jobs.len());
        let mut tx = self.write(&context).await?;
        let out = enqueue::enqueue(&mut tx, jobs, &to_text(now)).await?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(out)
    }

    async fn claim(&self, claim: Claim<'_>) -> Result<Vec<Job>, StoreError> {
        if claim.limit == 0 {
            return Ok(Vec::new());
        }
        let mut tx = self.write("claiming jobs").await?;
        let jobs = claim::claim(&mut tx, &claim).await?;
        tx.commit().await.map_err(db_err("claiming jobs"))?;
        Ok(jobs)
    }

    async fn extend_lease(
        &self,
        lease: Lease,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.write("extending a lease").await?;
        let out = claim::extend(&mut conn, lease, until, now).await?;
        conn.commit().await.map_err(db_err("extending a lease"))?;
        Ok(out)
    }

    async fn finish(
        &self,
        lease: Lease,
        finish: Finish,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.write("finishing a job").await?;
        let out = claim::finish(&mut conn, lease, finish, now).await?;
        conn.commit().await.map_err(db_err("finishing a job"))?;
        Ok(out)
    }

    async fn finish_many(
        &self,
        finishes: &[(Lease, Finish)],
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        if finishes.is_empty() {
            return Ok(Vec::new());
        }
        let context = format!("finishing {} jobs", finishes.len());
        let mut tx = self.write(&context).await?;
        let mut out = Vec::with_capacity(finishes.len());
        for (lease, finish) in finishes {
            out.push(claim::finish(&mut tx, *lease, finish.clone(), now).await?);
        }
        tx.commit().await.map_err(db_err(context))?;
        Ok(out)
    }

    async fn apply_events(
        &self,
        events: &[EventApply<'_>],
        now: DateTime<Utc>,
    ) -> Result<Vec<EventOutcome>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let context = format!("applying {} webhook events", events.len());
        let mut tx = self.write(&context).await?;
        let outcomes = crate::events::apply(&mut tx, events, now).await?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(outcomes)
    }

    async fn queue_stats(&self, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
        let mut conn = self.conn("reading queue stats").await?;
        admin::stats(&mut conn, now).await
    }

    async fn jobs(&self, filter: JobFilter<'_>) -> Result<Vec<Job>, StoreError> {
        let mut conn = self.conn("listing jobs").await?;
        admin::list(&mut conn, &filter).await
    }

    async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        let mut conn = self.conn("reading a job").await?;
        admin::one(&mut conn, id).await
    }

    async fn requeue(&self, which: Requeue, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut conn = self.write("requeueing jobs").await?;
        let out = admin::requeue(&mut conn, which, now).await?;
        conn.commit().await.map_err(db_err("requeueing jobs"))?;
        Ok(out)
    }

    async fn prune_done(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut conn = self.write("pruning done jobs").await?;
        let out = admin::prune_done(&mut conn, before).await?;
        conn.commit().await.map_err(db_err("pruning done jobs"))?;
        Ok(out)
    }

    async fn claimants(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn("listing the workers of running jobs").await?;
        admin::claimants(&mut conn).await
    }

    async fn release_claims(&self, worker: &str, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut conn = self.write("releasing a dead worker's jobs").await?;
        let out = admin::release_claims(&mut conn, worker, now).await?;
        conn.commit()
            .await
            .map_err(db_err("releasing a dead worker's jobs"))?;
        Ok(out)
    }
}

impl SqliteStore {
    /// A write transaction that holds SQLite's write lock from its start.
    pub(crate) async fn write(&self, context: &str) -> Result<crate::write::WriteTx, StoreError> {
        self.begin_write().await.map_err(db_err(context))
    }

    /// A connection for one statement (its own implicit transaction).
    pub(crate) async fn conn(&self, context: &str) -> Result<PoolConnection<Sqlite>, StoreError> {
        self.pool().acquire().await.map_err(db_err(context))
    }
}
