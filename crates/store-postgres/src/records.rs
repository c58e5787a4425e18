//! [`RecordStore`] on PostgreSQL: stream tables, states, runs, quarantine.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use holdfast_store::{
    PageCommit, PageOutcome, ParentRecord, QuarantineRow, Reconciliation, RecordStore, RunHolder,
    RunId, RunOutcome, RunRow, StoreError, StoreErrorKind, StoredRecord, StreamState, Sweep,
    SweepOutcome, TableSpec,
};
use serde_json::Value;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, AssertSqlSafe, Row};

use crate::error::{bind_err, db_err};
use crate::runs::{RUN_COLUMNS, RunRecord};
use crate::store::PgStore;
use crate::table::{self, quote};
use crate::upsert::{Mode, Upsert};
use crate::values::{count, key_text};

#[async_trait]
impl RecordStore for PgStore {
    async fn prepare_table(&self, spec: &TableSpec) -> Result<(), StoreError> {
        table::check(spec)?;
        let context = format!("preparing table `{}`", spec.name);
        let wanted = serde_json::to_string(&spec.primary_key).unwrap_or_default();
        let mut tx = self.pool.begin().await.map_err(db_err(&context))?;
        // One preparer at a time per schema: DDL races fail in Postgres.
        sqlx::query("LOCK TABLE _holdfast_tables IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(db_err(&context))?;
        let known: Option<(String, String)> =
            sqlx::query_as("SELECT primary_key, columns FROM _holdfast_tables WHERE name = $1")
                .bind(&spec.name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err(&context))?;
        match known {
            Some((existing, _)) if existing != wanted => {
                return Err(StoreError::new(
                    StoreErrorKind::Schema,
                    context,
                    format!(
                        "the table exists with primary key {existing}, but the stream now says \
                         {wanted}; use a new `into:` table or drop the old one"
                    ),
                ));
            }
            Some((_, columns)) => {
                // DDL takes strong locks: only a table from before the change feed gets it
                let fed: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = $1 \
                     AND tgrelid = to_regclass($2))",
                )
                .bind(format!("{}_t", table::seq_name(&spec.name)))
                .bind(quote(&spec.name))
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err(&context))?;
                if !fed {
                    for sql in table::change_feed_sql(spec) {
                        sqlx::query(AssertSqlSafe(sql))
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err(&context))?;
                    }
                }
                // Mapped columns are additive: new ones are added, old ones stay.
                let known: Vec<String> = serde_json::from_str::<Vec<Value>>(&columns)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_owned))
                    .collect();
                let mut all = known.clone();
                for c in spec.columns.iter().filter(|c| !known.contains(&c.name)) {
                    sqlx::query(AssertSqlSafe(format!(
                        "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}",
                        quote(&spec.name),
                        quote(&c.name),
                        table::sql_type(c.kind)
                    )))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err(&context))?;
                    all.push(c.name.clone());
                }
                if all.len() != known.len() {
                    sqlx::query("UPDATE _holdfast_tables SET columns = $1 WHERE name = $2")
                        .bind(columns_json(&all))
                        .bind(&spec.name)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err(&context))?;
                }
            }
            None => {
                sqlx::query(AssertSqlSafe(table::create_sql(spec)))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err(&context))?;
                for sql in table::change_feed_sql(spec) {
                    sqlx::query(AssertSqlSafe(sql))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err(&context))?;
                }
                let names: Vec<String> = spec.columns.iter().map(|c| c.name.clone()).collect();
                sqlx::query(
                    "INSERT INTO _holdfast_tables (name, primary_key, columns, created_at) \
                     VALUES ($1, $2, $3, now())",
                )
                .bind(&spec.name)
                .bind(&wanted)
                .bind(columns_json(&names))
                .execute(&mut *tx)
                .await
                .map_err(db_err(&context))?;
            }
        }
        tx.commit().await.map_err(db_err(context))
    }

    async fn load_state(&self, stream: &str) -> Result<Option<StreamState>, StoreError> {
        let context = format!("loading the state of `{stream}`");
        let text: Option<String> =
            sqlx::query_scalar("SELECT state FROM _holdfast_state WHERE stream = $1")
                .bind(stream)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err(&context))?;
        text.map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| StoreError::with_source(StoreErrorKind::Schema, context, e))
        })
        .transpose()
    }

    async fn reset_state(&self, stream: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM _holdfast_state WHERE stream = $1")
            .bind(stream)
            .execute(&self.pool)
            .await
            .map_err(db_err(format!("resetting the state of `{stream}`")))?;
        Ok(())
    }

    async fn start_run_as(
        &self,
        stream: &str,
        holder: &RunHolder,
        now: DateTime<Utc>,
    ) -> Result<RunId, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "WITH interrupted AS (UPDATE _holdfast_runs SET outcome = 'interrupted', \
             finished_at = COALESCE(last_page_at, started_at), error = $3 \
             WHERE stream = $1 AND outcome = 'running') \
             INSERT INTO _holdfast_runs (stream, started_at, outcome, holder, lease_until) \
             VALUES ($1, $2, 'running', $4, $5) RETURNING id",
        )
        .bind(stream)
        .bind(now)
        .bind(holdfast_store::GONE)
        .bind(holder.to_string())
        .bind(holdfast_store::lease_until(now))
        .fetch_one(&self.pool)
        .await
        .map_err(db_err(format!("starting a run of `{stream}`")))?;
        Ok(RunId(id))
    }

    async fn renew_run(&self, run: RunId, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE _holdfast_runs SET lease_until = $1 WHERE id = $2 AND outcome = 'running'",
        )
        .bind(holdfast_store::lease_until(now))
        .bind(run.0)
        .execute(&self.pool)
        .await
        .map_err(db_err(format!("renewing the lease of run {run}")))?;
        Ok(())
    }

    async fn commit_page(&self, page: PageCommit<'_>) -> Result<PageOutcome, StoreError> {
        let context = format!("committing a page of `{}`", page.stream);
        let state = serde_json::to_string(page.state)
            .map_err(|e| StoreError::with_source(StoreErrorKind::Other, context.clone(), e))?;
        // Check and convert everything before the transaction starts.
        let upserts = Upsert::new((page.table, Mode::Live), page.records)?;
        let tombstones = Upsert::new((page.table, Mode::Tombstone), page.tombstones)?;
        let deletions = Upsert::new((page.table, Mode::Deletion), page.deletions)?;
        let mut tx = self.pool.begin().await.map_err(db_err(&context))?;
        table::lock_for_changes(&mut tx, &[&page.table.name])
            .await
            .map_err(db_err(&context))?;
        let mut outcome = upserts.apply(&mut tx, page.run, page.now).await?;
        for dead in [tombstones, deletions] {
            let dead = dead.apply(&mut tx, page.run, page.now).await?;
            outcome.deleted += dead.deleted;
            outcome.unchanged += dead.unchanged;
        }
        crate::quarantine::insert(&mut tx, page.stream, page.run, page.quarantined, page.now)
            .await
            .map_err(db_err(&context))?;
        crate::quarantine::resolve(&mut tx, page.resolved, page.run, page.now)
            .await
            .map_err(db_err(&context))?;
        crate::drift::insert(&mut tx, page.drift, page.run, page.now)
            .await
            .map_err(db_err(&context))?;
        crate::requests::insert(&mut tx, page.requests)
            .await
            .map_err(db_err(&context))?;
        // Run counters, state and shape: one statement.
        sqlx::query(
            "WITH run AS (UPDATE _holdfast_runs SET pages = pages + 1, created = created + $2, \
             updated = updated + $3, unchanged = unchanged + $4, quarantined = quarantined + $5, \
             last_page_at = $9, lease_until = $10, deleted = deleted + $11, \
             restored = restored + $12 WHERE id = $1), \
             shape AS (INSERT INTO _holdfast_shapes (stream, shape, updated_at) \
             SELECT $6, $8, $9 WHERE $8 IS NOT NULL ON CONFLICT (stream) DO UPDATE \
             SET shape = excluded.shape, updated_at = excluded.updated_at) \
             INSERT INTO _holdfast_state (stream, state, updated_at) VALUES ($6, $7, $9) \
             ON CONFLICT (stream) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(page.run.0)
        .bind(count(outcome.created))
        .bind(count(outcome.updated))
        .bind(count(outcome.unchanged))
        .bind(count(page.quarantined.len() as u64))
        .bind(page.stream)
        .bind(&state)
        .bind(page.shape)
        .bind(page.now)
        .bind(holdfast_store::lease_until(page.now))
        .bind(count(outcome.deleted))
        .bind(count(outcome.restored))
        .execute(&mut *tx)
        .await
        .map_err(db_err(&context))?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(outcome)
    }

    async fn save_state(
        &self,
        stream: &str,
        state: &StreamState,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let context = format!("saving the state of `{stream}`");
        let state = serde_json::to_string(state)
            .map_err(|e| StoreError::with_source(StoreErrorKind::Other, context.clone(), e))?;
        sqlx::query(
            "INSERT INTO _holdfast_state (stream, state, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (stream) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(stream)
        .bind(state)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_err(context))?;
        Ok(())
    }

    async fn finish_run(
        &self,
        run: RunId,
        outcome: RunOutcome,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE _holdfast_runs SET outcome = $1, error = $2, finished_at = $3 WHERE id = $4",
        )
        .bind(outcome.as_str())
        .bind(error)
        .bind((outcome != RunOutcome::Running).then_some(now))
        .bind(run.0)
        .execute(&self.pool)
        .await
        .map_err(db_err(format!("finishing run {run}")))?;
        Ok(())
    }

    async fn runs(&self, stream: Option<&str>, limit: u32) -> Result<Vec<RunRow>, StoreError> {
        let rows: Vec<RunRecord> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM _holdfast_runs \
             WHERE ($1::text IS NULL OR stream = $1) ORDER BY id DESC LIMIT $2"
        )))
        .bind(stream)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("listing runs"))?;
        let now = Utc::now();
        rows.into_iter()
            .map(|r| r.into_run().map(|run| holdfast_store::settle(run, now)))
            .collect()
    }

    async fn parent_records(
        &self,
        spec: &TableSpec,
        after: Option<&[Value]>,
        limit: u32,
    ) -> Result<Vec<ParentRecord>, StoreError> {
        let context = format!("reading parent records from `{}`", spec.name);
        // Qualified: a bare name in ORDER BY would mean the text output column.
        let keys = spec
            .primary_key
            .iter()
            .map(|c| format!("s.{}", quote(c)))
            .collect::<Vec<_>>()
            .join(", ");
        let key_texts: Vec<String> = spec
            .primary_key
            .iter()
            .map(|c| format!("s.{}::text", quote(c)))
            .collect();
        let mut args = PgArguments::default();
        args.add(i64::from(limit)).map_err(bind_err(&context))?;
        let filter = match after {
            Some(after) => {
                let mut marks = Vec::new();
                for (i, (value, column)) in after.iter().zip(&spec.primary_key).enumerate() {
                    args.add(key_text(value, column, &spec.name)?)
                        .map_err(bind_err(&context))?;
                    marks.push(format!("${}::jsonb", i + 2));
                }
                format!("WHERE ({keys}) > ({})", marks.join(", "))
            }
            None => String::new(),
        };
        let sql = format!(
            "SELECT s._raw::text, {} FROM {} AS s {filter} ORDER BY {keys} LIMIT $1",
            key_texts.join(", "),
            quote(&spec.name)
        );
        let rows = sqlx::query_with(AssertSqlSafe(sql), args)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err(&context))?;
        rows.iter()
            .map(|row| {
                let parse = |text: String| {
                    serde_json::from_str::<Value>(&text).map_err(|e| {
                        StoreError::with_source(StoreErrorKind::Schema, context.clone(), e)
                    })
                };
                let record = parse(row.try_get(0).map_err(db_err(&context))?)?;
                let key = (1..=spec.primary_key.len())
                    .map(|i| parse(row.try_get(i).map_err(db_err(&context))?))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(ParentRecord { key, record })
            })
            .collect()
    }

    async fn list_records(
        &self,
        table: &TableSpec,
        query: &holdfast_store::RecordQuery,
    ) -> Result<Vec<holdfast_store::ExportedRecord>, StoreError> {
        crate::export::records(&self.pool, table, query).await
    }

    async fn record(
        &self,
        spec: &TableSpec,
        key: &[Value],
    ) -> Result<Option<StoredRecord>, StoreError> {
        crate::explain::record(&self.pool, spec, key).await
    }

    async fn quarantined_by_key(
        &self,
        stream: &str,
        fields: &[String],
        key: &[Value],
    ) -> Result<Vec<QuarantineRow>, StoreError> {
        crate::quarantine::by_key(&self.pool, stream, fields, key).await
    }

    async fn quarantine(
        &self,
        stream: Option<&str>,
        limit: u32,
    ) -> Result<Vec<QuarantineRow>, StoreError> {
        crate::quarantine::list(&self.pool, stream, limit).await
    }

    async fn sweep_missing(&self, sweep: &Sweep<'_>) -> Result<SweepOutcome, StoreError> {
        crate::reconcile::sweep(self, sweep).await
    }

    async fn touch_keys(
        &self,
        table: &TableSpec,
        run: RunId,
        keys: &[Vec<Value>],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        crate::reconcile::touch(self, table, run, keys, now).await
    }

    async fn save_reconciliation(&self, reconciliation: &Reconciliation) -> Result<(), StoreError> {
        crate::reconcile::save(self, reconciliation).await
    }

    async fn reconciliations(
        &self,
        stream: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Reconciliation>, StoreError> {
        crate::reconcile::list(self, stream, limit).await
    }
}

/// `[{"name": …}]` for `_holdfast_tables.columns`.
fn columns_json(names: &[String]) -> String {
    let items: Vec<Value> = names
        .iter()
        .map(|n| serde_json::json!({ "name": n }))
        .collect();
    Value::Array(items).to_string()
}
