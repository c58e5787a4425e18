//! [`JobQueue`] on Postgres: the `_holdfast_jobs` table. Claims lock rows
//! with `FOR UPDATE SKIP LOCKED`, so workers of every process share the
//! queue without waiting on each other; each hot operation is one statement.

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

use crate::error::db_err;
use crate::store::PgStore;

#[async_trait]
impl JobQueue for PgStore {
    async fn enqueue(
        &self,
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> Result<Vec<Enqueued>, StoreError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        enqueue::enqueue(self.pool(), jobs, now).await
    }

    async fn claim(&self, claim: Claim<'_>) -> Result<Vec<Job>, StoreError> {
        if claim.limit == 0 {
            return Ok(Vec::new());
        }
        claim::claim(self.pool(), &claim).await
    }

    async fn extend_lease(
        &self,
        lease: Lease,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        claim::extend(self.pool(), lease, until, now).await
    }

    async fn finish(
        &self,
        lease: Lease,
        finish: Finish,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        claim::finish(self.pool(), lease, finish, now).await
    }

    async fn finish_many(
        &self,
        finishes: &[(Lease, Finish)],
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        if finishes.is_empty() {
            return Ok(Vec::new());
        }
        claim::finish_many(self.pool(), finishes, now).await
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
        let mut tx = self.pool().begin().await.map_err(db_err(&context))?;
        let outcomes = crate::events::apply(&mut tx, events, now).await?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(outcomes)
    }

    async fn queue_stats(&self, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
        admin::stats(self.pool(), now).await
    }

    async fn jobs(&self, filter: JobFilter<'_>) -> Result<Vec<Job>, StoreError> {
        admin::list(self.pool(), &filter).await
    }

    async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        admin::one(self.pool(), id).await
    }

    async fn requeue(&self, which: Requeue, now: DateTime<Utc>) -> Result<u64, StoreError> {
        admin::requeue(self.pool(), which, now).await
    }

    async fn prune_done(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        admin::prune_done(self.pool(), before).await
    }

    async fn claimants(&self) -> Result<Vec<String>, StoreError> {
        admin::claimants(self.pool()).await
    }

    async fn release_claims(&self, worker: &str, now: DateTime<Utc>) -> Result<u64, StoreError> {
        admin::release_claims(self.pool(), worker, now).await
    }
}
