//! [`PgStore`]: the [`Store`] trait on a PostgreSQL database.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use holdfast_store::{
    DriftRow, EndpointStats, ExportedQuarantine, ExportedRecord, Inventory, NamedLease, PageCommit,
    PageOutcome, ParentRecord, QuarantineRow, RequestRow, RunHolder, RunId, RunOutcome, RunRow,
    Store, StoreError, StoreErrorKind, StoredAlert, StoredRecord, StoredSecret, StoredToken,
    StreamState, TableSpec, TokenStatus,
};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Arguments, AssertSqlSafe, Row};

use crate::error::{bind_err, db_err};
use crate::options::{PgStoreOptions, check_schema, probe, redact, split_url};
use crate::table::{self, quote};
use crate::values::key_text;

/// The PostgreSQL store: a connection pool on one database (and schema).
///
/// Cheap to clone: clones share the pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and
    /// applies migrations. Two URL parameters are holdfast's own (the others
    /// go to the driver, e.g. `sslmode`): `pool_max=N`, the most pooled
    /// connections (default 10), and `schema=NAME`, the schema to live in
    /// (see [`PgStoreOptions::schema`]).
    ///
    /// # Errors
    /// [`StoreErrorKind::Unavailable`] when the URL is wrong, the server
    /// cannot be reached, or the migrations fail.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let (url, settings) = split_url(url)?;
        let options = PgConnectOptions::from_str(&url).map_err(|e| {
            StoreError::with_source(
                StoreErrorKind::Unavailable,
                format!("opening the PostgreSQL store `{}`", redact(&url)),
                e,
            )
        })?;
        PgStore::connect(options, settings).await
    }

    /// Connects with explicit driver options and pool settings, and applies
    /// migrations (under sqlx's advisory lock: concurrent starts are safe).
    ///
    /// # Errors
    /// [`StoreErrorKind::Unavailable`] when the server cannot be reached or
    /// the migrations fail.
    pub async fn connect(
        options: PgConnectOptions,
        settings: PgStoreOptions,
    ) -> Result<PgStore, StoreError> {
        PgStore::connect_as(options, settings, Access::Migrate).await
    }

    /// Connects to `url` (as [`PgStore::open`]) only to read: no migration
    /// runs, every transaction is read-only, and the schema must be this
    /// holdfast's.
    ///
    /// # Errors
    /// [`StoreErrorKind::Unavailable`] when the URL is wrong or the server
    /// cannot be reached; [`StoreErrorKind::Schema`] when the database (or
    /// `schema=`) holds no holdfast store or one of another schema version
    /// (see [`holdfast_store::check_schema_version`]).
    pub async fn open_read_only(url: &str) -> Result<PgStore, StoreError> {
        let (url, settings) = split_url(url)?;
        let shown = redact(&url);
        let options = PgConnectOptions::from_str(&url).map_err(|e| {
            StoreError::with_source(
                StoreErrorKind::Unavailable,
                format!("opening the PostgreSQL store `{shown}`"),
                e,
            )
        })?;
        let store = PgStore::connect_as(options, settings, Access::Read).await?;
        let context = format!("opening the PostgreSQL store `{shown}` to read it");
        let found = schema_version(&store.pool).await.map_err(db_err(&context));
        let latest = sqlx::migrate!("./migrations")
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        if let Err(e) =
            found.and_then(|found| holdfast_store::check_schema_version(&shown, found, latest))
        {
            store.close().await;
            return Err(e);
        }
        Ok(store)
    }

    async fn connect_as(
        options: PgConnectOptions,
        settings: PgStoreOptions,
        access: Access,
    ) -> Result<PgStore, StoreError> {
        let context = format!(
            "opening the PostgreSQL store on {}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        );
        let unavailable = |e: sqlx::Error| {
            StoreError::with_source(StoreErrorKind::Unavailable, context.clone(), e)
        };
        if let Some(schema) = &settings.schema {
            check_schema(schema)?;
        }
        // One plain connection first: a server that is down fails here at
        // once (the pool would retry until its acquire timeout). Only a
        // store opened to write creates its schema.
        let create = settings
            .schema
            .as_deref()
            .filter(|_| access == Access::Migrate);
        probe(&options, create).await.map_err(unavailable)?;
        let options = match &settings.schema {
            Some(schema) => options.options([("search_path", quote(schema))]),
            None => options,
        };
        let options = match access {
            Access::Migrate => options,
            Access::Read => options.options([("default_transaction_read_only", "on")]),
        };
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .before_acquire(|conn, _| Box::pin(async move { Ok(usable(conn)) }))
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        if access == Access::Migrate {
            sqlx::migrate!("./migrations")
                .run(&pool)
                .await
                .map_err(|e| {
                    StoreError::with_source(StoreErrorKind::Unavailable, context.clone(), e)
                })?;
        }
        tracing::debug!(
            schema = settings.schema.as_deref().unwrap_or("(search_path)"),
            max_connections = settings.max_connections,
            "PostgreSQL store open and migrated"
        );
        Ok(PgStore { pool })
    }

    /// The connection pool, for callers that read stream tables with SQL.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether opening migrates the store or only reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Migrate,
    Read,
}

/// The newest migration applied (in the search path's schema), `None`
/// without a migrations table.
async fn schema_version(pool: &PgPool) -> Result<Option<i64>, sqlx::Error> {
    let has_table: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !has_table {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .map(Some)
}

/// Whether a pooled connection may be handed out again: not while sqlx
/// still counts it inside a transaction (a failed COMMIT whose rollback did
/// not go through), as every later `BEGIN` on it would be refused; it is
/// closed and the pool opens a fresh one. (The rollback sqlx queues when a
/// failed transaction is dropped normally leaves the connection clean.)
fn usable(conn: &mut sqlx::PgConnection) -> bool {
    use sqlx::Connection as _;
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("closing a PostgreSQL connection left inside a failed transaction");
    }
    clean
}

#[async_trait]
impl Store for PgStore {
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
        let upserts = crate::upsert::Upsert::new(page.table, page.records)?;
        let mut tx = self.pool.begin().await.map_err(db_err(&context))?;
        let outcome = upserts.apply(&mut tx, page.run, page.now).await?;
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
             last_page_at = $9, lease_until = $10 WHERE id = $1), \
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
        let rows = sqlx::query(
            "SELECT id, stream, started_at, finished_at, pages, created, updated, unchanged, \
             quarantined, outcome, error, holder, lease_until, last_page_at FROM _holdfast_runs \
             WHERE ($1::text IS NULL OR stream = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(stream)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err("listing runs"))?;
        let now = Utc::now();
        rows.iter()
            .map(|r| run_row(r).map(|run| holdfast_store::settle(run, now)))
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

    async fn put_secret(
        &self,
        name: &str,
        sealed: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        crate::secrets::put(&self.pool, name, sealed, now).await
    }

    async fn secrets(&self) -> Result<Vec<StoredSecret>, StoreError> {
        crate::secrets::list(&self.pool).await
    }

    async fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        crate::secrets::delete(&self.pool, name).await
    }

    async fn save_token(
        &self,
        connection: &str,
        sealed: &[u8],
        status: &TokenStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        crate::secrets::put_token(&self.pool, connection, sealed, status, now).await
    }

    async fn load_token(&self, connection: &str) -> Result<Option<StoredToken>, StoreError> {
        Ok(crate::secrets::tokens(&self.pool, Some(connection))
            .await?
            .into_iter()
            .next())
    }

    async fn tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        crate::secrets::tokens(&self.pool, None).await
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        crate::coordination::acquire(&self.pool, name, holder, until, now).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool, StoreError> {
        crate::coordination::release(&self.pool, name, holder).await
    }

    async fn leases(&self) -> Result<Vec<NamedLease>, StoreError> {
        crate::coordination::list(&self.pool).await
    }

    async fn check_writable(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        crate::coordination::probe_write(&self.pool, now).await
    }

    async fn save_alert(&self, alert: &StoredAlert) -> Result<(), StoreError> {
        crate::coordination::save_alert(&self.pool, alert).await
    }

    async fn alerts(&self) -> Result<Vec<StoredAlert>, StoreError> {
        crate::coordination::alerts(&self.pool).await
    }

    async fn inventory(&self) -> Result<Inventory, StoreError> {
        crate::export::inventory(&self.pool).await
    }

    async fn export_records(
        &self,
        table: &TableSpec,
        after: Option<&[Value]>,
        limit: u32,
    ) -> Result<Vec<ExportedRecord>, StoreError> {
        crate::export::records(&self.pool, table, after, limit).await
    }

    async fn import_records(
        &self,
        table: &TableSpec,
        records: &[ExportedRecord],
    ) -> Result<(), StoreError> {
        let context = format!("importing records into `{}`", table.name);
        let mut tx = self.pool.begin().await.map_err(db_err(&context))?;
        crate::export::import_records(&mut tx, table, records).await?;
        tx.commit().await.map_err(db_err(context))
    }

    async fn export_runs(
        &self,
        after: Option<RunId>,
        limit: u32,
    ) -> Result<Vec<RunRow>, StoreError> {
        crate::export::runs(&self.pool, after, limit).await
    }

    async fn import_runs(&self, runs: &[RunRow]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_err("importing runs"))?;
        crate::export::import_runs(&mut tx, runs).await?;
        tx.commit().await.map_err(db_err("importing runs"))
    }

    async fn export_quarantine(
        &self,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ExportedQuarantine>, StoreError> {
        crate::export::quarantine(&self.pool, after, limit).await
    }

    async fn import_quarantine(&self, rows: &[ExportedQuarantine]) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(db_err("importing quarantine"))?;
        crate::export::import_quarantine(&mut tx, rows).await?;
        tx.commit().await.map_err(db_err("importing quarantine"))
    }

    async fn reserve_rate(
        &self,
        key: &str,
        interval: Duration,
        burst: u32,
        now: DateTime<Utc>,
    ) -> Result<Duration, StoreError> {
        crate::coordination::reserve(&self.pool, key, interval, burst, now).await
    }
}

/// A counter as a Postgres `bigint`.
pub(crate) fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `[{"name": …}]` for `_holdfast_tables.columns`.
fn columns_json(names: &[String]) -> String {
    let items: Vec<Value> = names
        .iter()
        .map(|n| serde_json::json!({ "name": n }))
        .collect();
    Value::Array(items).to_string()
}

pub(crate) fn run_row(r: &PgRow) -> Result<RunRow, StoreError> {
    let e = || db_err("reading runs");
    let count = |i: usize| -> Result<u64, StoreError> {
        Ok(r.try_get::<i64, _>(i).map_err(e())?.max(0) as u64)
    };
    let outcome: String = r.try_get(9).map_err(e())?;
    Ok(RunRow {
        id: RunId(r.try_get(0).map_err(e())?),
        stream: r.try_get(1).map_err(e())?,
        started_at: r.try_get(2).map_err(e())?,
        finished_at: r.try_get(3).map_err(e())?,
        pages: count(4)?,
        outcome_counts: PageOutcome {
            created: count(5)?,
            updated: count(6)?,
            unchanged: count(7)?,
        },
        quarantined: count(8)?,
        outcome: RunOutcome::parse(&outcome).ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::Schema,
                "reading runs",
                format!("unknown run outcome `{outcome}`"),
            )
        })?,
        error: r.try_get(10).map_err(e())?,
        holder: r.try_get(11).map_err(e())?,
        lease_until: r.try_get(12).map_err(e())?,
        last_page_at: r.try_get(13).map_err(e())?,
    })
}
