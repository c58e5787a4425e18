//! [`RecordStore`] on SQLite: stream tables, states, runs, quarantine.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use holdfast_store::{
    PageCommit, PageOutcome, ParentRecord, QuarantineRow, Reconciliation, RecordStore, RunHolder,
    RunId, RunOutcome, RunRow, StoreError, StoreErrorKind, StoredRecord, StreamState, Sweep,
    SweepOutcome, TableSpec,
};
use serde_json::Value;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, AssertSqlSafe, Row};

use crate::error::db_err;
use crate::runs::{RUN_COLUMNS, RunRecord};
use crate::store::SqliteStore;
use crate::table::{self, key_list, quote};
use crate::time::to_text;
use crate::upsert::{Mode, bind_key};

#[async_trait]
impl RecordStore for SqliteStore {
    async fn prepare_table(&self, spec: &TableSpec) -> Result<(), StoreError> {
        table::check(spec)?;
        let context = format!("preparing table `{}`", spec.name);
        let wanted = serde_json::to_string(&spec.primary_key).unwrap_or_default();
        let mut tx = self
            .gate
            .begin(&self.pool)
            .await
            .map_err(db_err(&context))?;
        let known: Option<(String, String)> =
            sqlx::query_as("SELECT primary_key, columns FROM _holdfast_tables WHERE name = ?")
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
                table::add_event_columns(&mut tx, spec).await?;
                table::add_change_feed(&mut tx, spec).await?;
                // Mapped columns are additive: new ones are added, old ones stay.
                let mut entries: Vec<serde_json::Value> =
                    serde_json::from_str(&columns).unwrap_or_default();
                let known: Vec<String> = entries
                    .iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_owned))
                    .collect();
                for c in spec.columns.iter().filter(|c| !known.contains(&c.name)) {
                    sqlx::query(AssertSqlSafe(format!(
                        "ALTER TABLE {} ADD COLUMN {}{}",
                        quote(&spec.name),
                        quote(&c.name),
                        table::sql_type(c.kind)
                    )))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err(&context))?;
                    entries.push(column_entry(c));
                }
                if entries.len() != known.len() {
                    sqlx::query("UPDATE _holdfast_tables SET columns = ? WHERE name = ?")
                        .bind(serde_json::Value::Array(entries).to_string())
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
                table::add_change_feed(&mut tx, spec).await?;
                let entries: Vec<serde_json::Value> =
                    spec.columns.iter().map(column_entry).collect();
                sqlx::query(
                    "INSERT INTO _holdfast_tables (name, primary_key, columns, created_at) \
                     VALUES (?, ?, ?, ?)",
                )
                .bind(&spec.name)
                .bind(&wanted)
                .bind(serde_json::Value::Array(entries).to_string())
                .bind(to_text(Utc::now()))
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
            sqlx::query_scalar("SELECT state FROM _holdfast_state WHERE stream = ?")
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
        sqlx::query("DELETE FROM _holdfast_state WHERE stream = ?")
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
        let context = format!("starting a run of `{stream}`");
        let lease = to_text(holdfast_store::lease_until(now));
        let now = to_text(now);
        let mut tx = self
            .gate
            .begin(&self.pool)
            .await
            .map_err(db_err(&context))?;
        sqlx::query(
            "UPDATE _holdfast_runs SET outcome = 'interrupted', \
             finished_at = COALESCE(last_page_at, started_at), error = ? \
             WHERE stream = ? AND outcome = 'running'",
        )
        .bind(holdfast_store::GONE)
        .bind(stream)
        .execute(&mut *tx)
        .await
        .map_err(db_err(&context))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO _holdfast_runs (stream, started_at, outcome, holder, lease_until) \
             VALUES (?, ?, 'running', ?, ?) RETURNING id",
        )
        .bind(stream)
        .bind(&now)
        .bind(holder.to_string())
        .bind(&lease)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err(&context))?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(RunId(id))
    }

    async fn renew_run(&self, run: RunId, now: DateTime<Utc>) -> Result<(), StoreError> {
        let context = format!("renewing the lease of run {run}");
        let mut tx = self
            .gate
            .begin(&self.pool)
            .await
            .map_err(db_err(&context))?;
        sqlx::query(
            "UPDATE _holdfast_runs SET lease_until = ? WHERE id = ? AND outcome = 'running'",
        )
        .bind(to_text(holdfast_store::lease_until(now)))
        .bind(run.0)
        .execute(&mut *tx)
        .await
        .map_err(db_err(&context))?;
        tx.commit().await.map_err(db_err(context))
    }

    async fn commit_page(&self, page: PageCommit<'_>) -> Result<PageOutcome, StoreError> {
        let context = format!("committing a page of `{}`", page.stream);
        let now = to_text(page.now);
        let state = serde_json::to_string(page.state)
            .map_err(|e| StoreError::with_source(StoreErrorKind::Other, context.clone(), e))?;
        let mut tx = self
            .gate
            .begin(&self.pool)
            .await
            .map_err(db_err(&context))?;
        let live = (page.table, Mode::Live);
        let mut outcome = self
            .upserts
            .apply(&mut tx, live, page.records, page.run.0, &now)
            .await?;
        if !page.tombstones.is_empty() {
            let tombstones = (page.table, Mode::Tombstone);
            let dead = self
                .upserts
                .apply(&mut tx, tombstones, page.tombstones, page.run.0, &now)
                .await?;
            outcome.deleted += dead.deleted;
            outcome.unchanged += dead.unchanged;
        }
        if !page.deletions.is_empty() {
            let deletions = (page.table, Mode::Deletion);
            let dead = self
                .upserts
                .apply(&mut tx, deletions, page.deletions, page.run.0, &now)
                .await?;
            outcome.deleted += dead.deleted;
            outcome.unchanged += dead.unchanged;
        }
        crate::quarantine::insert(&mut tx, page.stream, page.run, page.quarantined, &now)
            .await
            .map_err(db_err(&context))?;
        crate::quarantine::resolve(&mut tx, page.resolved, page.run, &now)
            .await
            .map_err(db_err(&context))?;
        crate::drift::insert(&mut tx, page.drift, page.run, &now)
            .await
            .map_err(db_err(&context))?;
        if let Some(shape) = page.shape {
            crate::drift::save_shape(&mut tx, page.stream, shape, &now)
                .await
                .map_err(db_err(&context))?;
        }
        sqlx::query(
            "UPDATE _holdfast_runs SET pages = pages + 1, created = created + ?, \
             updated = updated + ?, unchanged = unchanged + ?, deleted = deleted + ?, \
             restored = restored + ?, quarantined = quarantined + ?, \
             last_page_at = ?, lease_until = ? WHERE id = ?",
        )
        .bind(outcome.created as i64)
        .bind(outcome.updated as i64)
        .bind(outcome.unchanged as i64)
        .bind(outcome.deleted as i64)
        .bind(outcome.restored as i64)
        .bind(page.quarantined.len() as i64)
        .bind(&now)
        .bind(to_text(holdfast_store::lease_until(page.now)))
        .bind(page.run.0)
        .execute(&mut *tx)
        .await
        .map_err(db_err(&context))?;
        write_state(&mut tx, page.stream, &state, &now)
            .await
            .map_err(db_err(&context))?;
        crate::requests::insert(&mut tx, page.requests)
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
        let mut conn = self.pool.acquire().await.map_err(db_err(&context))?;
        write_state(&mut conn, stream, &state, &to_text(now))
            .await
            .map_err(db_err(context))
    }

    async fn finish_run(
        &self,
        run: RunId,
        outcome: RunOutcome,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE _holdfast_runs SET outcome = ?, error = ?, finished_at = ? WHERE id = ?",
        )
        .bind(outcome.as_str())
        .bind(error)
        .bind((outcome != RunOutcome::Running).then(|| to_text(now)))
        .bind(run.0)
        .execute(&self.pool)
        .await
        .map_err(db_err(format!("finishing run {run}")))?;
        Ok(())
    }

    async fn runs(&self, stream: Option<&str>, limit: u32) -> Result<Vec<RunRow>, StoreError> {
        let rows: Vec<RunRecord> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM _holdfast_runs WHERE (?1 IS NULL OR stream = ?1) \
             ORDER BY id DESC LIMIT ?2"
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
        let keys = key_list(spec);
        let quoted_keys: Vec<String> = spec
            .primary_key
            .iter()
            .map(|c| format!("json_quote({})", quote(c)))
            .collect();
        let mut args = SqliteArguments::default();
        let filter = match after {
            Some(after) => {
                for (value, column) in after.iter().zip(&spec.primary_key) {
                    bind_key(&mut args, value, column, &spec.name)?;
                }
                let marks = vec!["?"; after.len()].join(", ");
                format!("WHERE ({keys}) > ({marks})")
            }
            None => String::new(),
        };
        args.add(i64::from(limit))
            .map_err(|e| StoreError::new(StoreErrorKind::Other, context.clone(), e.to_string()))?;
        let sql = format!(
            "SELECT _raw, {} FROM {} {filter} ORDER BY {keys} LIMIT ?",
            quoted_keys.join(", "),
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
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("reading a record"))?;
        crate::explain::record(&mut conn, spec, key).await
    }

    async fn quarantined_by_key(
        &self,
        stream: &str,
        fields: &[String],
        key: &[Value],
    ) -> Result<Vec<QuarantineRow>, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("reading quarantine"))?;
        crate::quarantine::by_key(&mut conn, stream, fields, key).await
    }

    async fn quarantine(
        &self,
        stream: Option<&str>,
        limit: u32,
    ) -> Result<Vec<QuarantineRow>, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("listing quarantine"))?;
        crate::quarantine::list(&mut conn, stream, limit).await
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

/// `{"name": …, "kind": …}`: one entry of `_holdfast_tables.columns` (the
/// kind tells a boolean column from an integer one, which SQLite cannot).
fn column_entry(c: &holdfast_store::Column) -> serde_json::Value {
    serde_json::json!({ "name": c.name, "kind": c.kind.as_str() })
}

async fn write_state(
    conn: &mut sqlx::SqliteConnection,
    stream: &str,
    state: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO _holdfast_state (stream, state, updated_at) VALUES (?, ?, ?) \
         ON CONFLICT (stream) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(stream)
    .bind(state)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
