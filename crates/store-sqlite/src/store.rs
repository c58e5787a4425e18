//! [`SqliteStore`]: the [`Store`] trait on one SQLite file.

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
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Arguments, AssertSqlSafe, Row};

use crate::table::{self, key_list, quote};
use crate::time::{from_text, to_text};
use crate::upsert::{UpsertCache, bind_key};
use crate::write::WriteGate;

/// The embedded store: a SQLite file in WAL mode.
#[derive(Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    upserts: UpsertCache,
    gate: WriteGate,
    /// Opened to read while no other connection had the file open: the
    /// `-wal` and `-shm` files SQLite created for it are removed on close.
    tidy: Option<SqliteConnectOptions>,
}

impl SqliteStore {
    /// Opens (creating if needed) the SQLite file named by `url`
    /// (`sqlite://holdfast.db`, `sqlite:///abs/path.db`, or a plain path) and
    /// applies migrations.
    ///
    /// # Errors
    /// [`StoreErrorKind::Unavailable`] when the file cannot be opened or migrated.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let context = format!("opening the SQLite store `{url}`");
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url).map_err(|e| {
                StoreError::with_source(StoreErrorKind::Unavailable, context.clone(), e)
            })?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .before_acquire(|conn, _| Box::pin(async move { Ok(usable(conn)) }))
            .connect_with(options)
            .await
            .map_err(|e| {
                StoreError::with_source(StoreErrorKind::Unavailable, context.clone(), e)
            })?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::with_source(StoreErrorKind::Unavailable, context, e))?;
        Ok(SqliteStore {
            pool,
            upserts: UpsertCache::default(),
            gate: WriteGate::default(),
            tidy: None,
        })
    }

    /// Opens the existing SQLite file named by `url` only to read it:
    /// nothing is created (no file, no `-wal`), no migration runs, and its
    /// schema must be this holdfast's.
    ///
    /// # Errors
    /// [`StoreErrorKind::Unavailable`] when the file is missing or cannot be
    /// opened; [`StoreErrorKind::Schema`] when it is not a holdfast store or
    /// its schema is of another version (see
    /// [`holdfast_store::check_schema_version`]).
    pub async fn open_read_only(url: &str) -> Result<SqliteStore, StoreError> {
        let context = format!("opening the SQLite store `{url}` to read it");
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url).map_err(|e| {
                StoreError::with_source(StoreErrorKind::Unavailable, context.clone(), e)
            })?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let options = options
            .create_if_missing(false)
            .busy_timeout(Duration::from_secs(30));
        // A WAL file's readers share its `-wal` and `-shm`; when none exist
        // (no other connection), SQLite creates them for this one and, read
        // only, cannot remove them: [`SqliteStore::close`] does.
        let wal = format!("{}-wal", options.get_filename().display());
        let tidy = (!std::path::Path::new(&wal).exists()).then(|| options.clone());
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options.read_only(true))
            .await
            .map_err(|e| {
                StoreError::with_source(StoreErrorKind::Unavailable, context.clone(), e)
            })?;
        let found = schema_version(&pool).await;
        let latest = sqlx::migrate!("./migrations")
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        if let Err(e) = found
            .map_err(db_err(&context))
            .and_then(|found| holdfast_store::check_schema_version(url, found, latest))
        {
            pool.close().await;
            return Err(e);
        }
        Ok(SqliteStore {
            pool,
            upserts: UpsertCache::default(),
            gate: WriteGate::default(),
            tidy,
        })
    }

    /// A write transaction, after this process's earlier writers.
    pub(crate) async fn begin_write(&self) -> Result<crate::write::WriteTx, sqlx::Error> {
        self.gate.begin(&self.pool).await
    }

    /// The connection pool, for callers that read stream tables with SQL.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool, checkpointing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(options) = &self.tidy {
            tidy_wal(options).await;
        }
    }

    /// Another handle on the same database (same connection pool and write
    /// gate), e.g. for an OAuth2 token store owned by a connection.
    pub fn handle(&self) -> SqliteStore {
        SqliteStore {
            pool: self.pool.clone(),
            upserts: UpsertCache::default(),
            gate: self.gate.clone(),
            tidy: None,
        }
    }
}

/// Removes the `-wal` and `-shm` files a read-only open created, the way
/// SQLite does it: the last connection to close a WAL file checkpoints it
/// (here nothing: nothing was written) and deletes both. When another
/// connection has the file open by then, SQLite keeps them (they are its).
/// The connection reads one row and writes nothing; failures are ignored
/// (the files are harmless).
async fn tidy_wal(options: &SqliteConnectOptions) {
    use sqlx::{ConnectOptions as _, Connection as _};
    let Ok(mut conn) = options.clone().read_only(false).connect().await else {
        return;
    };
    let _ = sqlx::query("SELECT count(*) FROM sqlite_master")
        .fetch_one(&mut conn)
        .await;
    let _ = conn.close().await;
}

/// The newest migration applied to the store, `None` without a migrations table.
async fn schema_version(pool: &SqlitePool) -> Result<Option<i64>, sqlx::Error> {
    let has_table: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await?;
    if has_table.is_none() {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .map(Some)
}

/// Whether a pooled connection may be handed out again. One whose COMMIT
/// failed on a full disk is not: SQLite had rolled the transaction back
/// already, so the ROLLBACK sqlx sends when the transaction is dropped fails
/// too, and sqlx still counts the connection inside a transaction; every
/// later `BEGIN IMMEDIATE` on it would fail ("attempted to call begin_with at
/// non-zero transaction depth"), long after the disk has room. It is closed
/// instead, and the pool opens a fresh one.
fn usable(conn: &mut sqlx::SqliteConnection) -> bool {
    use sqlx::Connection as _;
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("closing a SQLite connection left inside a failed transaction");
    }
    clean
}

/// SQLite's result code for a full disk or database (`SQLITE_FULL`).
const SQLITE_FULL: &str = "13";

pub(crate) fn db_err(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
    let context = context.into();
    move |e| {
        let full =
            matches!(&e, sqlx::Error::Database(d) if d.code().as_deref() == Some(SQLITE_FULL));
        let kind = match &e {
            sqlx::Error::Database(d) if d.message().contains("locked") => StoreErrorKind::Busy,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreErrorKind::Unavailable
            }
            _ if full => StoreErrorKind::Unavailable,
            _ => StoreErrorKind::Other,
        };
        let mut error = StoreError::with_source(kind, context, e);
        if full {
            error.message.push_str(
                " (the disk holding the SQLite file has no room left: free some; \
                 holdfast writes again once there is room, without a restart)",
            );
        }
        error
    }
}

#[async_trait]
impl Store for SqliteStore {
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
        let outcome = self
            .upserts
            .apply(&mut tx, page.table, page.records, page.run.0, &now)
            .await?;
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
             updated = updated + ?, unchanged = unchanged + ?, quarantined = quarantined + ?, \
             last_page_at = ?, lease_until = ? WHERE id = ?",
        )
        .bind(outcome.created as i64)
        .bind(outcome.updated as i64)
        .bind(outcome.unchanged as i64)
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
        let rows = sqlx::query(
            "SELECT id, stream, started_at, finished_at, pages, created, updated, unchanged, \
             quarantined, outcome, error, holder, lease_until, last_page_at FROM _holdfast_runs \
             WHERE (?1 IS NULL OR stream = ?1) ORDER BY id DESC LIMIT ?2",
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

    async fn put_secret(
        &self,
        name: &str,
        sealed: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let context = format!("saving secret `{name}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        crate::secrets::put(&mut tx, name, sealed, &to_text(now))
            .await
            .map_err(db_err(&context))?;
        tx.commit().await.map_err(db_err(context))
    }

    async fn secrets(&self) -> Result<Vec<StoredSecret>, StoreError> {
        crate::secrets::list(&self.pool).await
    }

    async fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        let context = format!("deleting secret `{name}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        let deleted = crate::secrets::delete(&mut tx, name)
            .await
            .map_err(db_err(&context))?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(deleted)
    }

    async fn save_token(
        &self,
        connection: &str,
        sealed: &[u8],
        status: &TokenStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let context = format!("saving the token state of connection `{connection}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        crate::secrets::put_token(&mut tx, connection, sealed, status, &to_text(now))
            .await
            .map_err(db_err(&context))?;
        tx.commit().await.map_err(db_err(context))
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
        let context = format!("acquiring lease `{name}` for `{holder}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        let taken = crate::coordination::acquire(&mut tx, name, holder, until, now).await?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(taken)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool, StoreError> {
        let context = format!("releasing lease `{name}` of `{holder}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        let released = crate::coordination::release(&mut tx, name, holder).await?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(released)
    }

    async fn leases(&self) -> Result<Vec<NamedLease>, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("listing leases"))?;
        crate::coordination::list(&mut conn).await
    }

    async fn check_writable(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        use crate::coordination::PROBE_CONTEXT;
        let mut tx = self.begin_write().await.map_err(db_err(PROBE_CONTEXT))?;
        crate::coordination::probe_write(&mut tx, now).await?;
        tx.commit().await.map_err(db_err(PROBE_CONTEXT))
    }

    async fn save_alert(&self, alert: &StoredAlert) -> Result<(), StoreError> {
        let context = format!("saving alert `{}` about `{}`", alert.rule, alert.subject);
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        crate::coordination::save_alert(&mut tx, alert).await?;
        tx.commit().await.map_err(db_err(context))
    }

    async fn alerts(&self) -> Result<Vec<StoredAlert>, StoreError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db_err("listing alerts"))?;
        crate::coordination::alerts(&mut conn).await
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
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
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
        let mut tx = self.begin_write().await.map_err(db_err("importing runs"))?;
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
            .begin_write()
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
        let context = format!("reserving a slot of rate budget `{key}`");
        let mut tx = self.begin_write().await.map_err(db_err(&context))?;
        let wait = crate::coordination::reserve(&mut tx, key, interval, burst, now).await?;
        tx.commit().await.map_err(db_err(context))?;
        Ok(wait)
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

pub(crate) fn run_row(r: &SqliteRow) -> Result<RunRow, StoreError> {
    let e = || db_err("reading runs");
    let count = |i: usize| -> Result<u64, StoreError> {
        Ok(r.try_get::<i64, _>(i).map_err(e())?.max(0) as u64)
    };
    let outcome: String = r.try_get(9).map_err(e())?;
    let finished: Option<String> = r.try_get(3).map_err(e())?;
    Ok(RunRow {
        id: RunId(r.try_get(0).map_err(e())?),
        stream: r.try_get(1).map_err(e())?,
        started_at: from_text(&r.try_get::<String, _>(2).map_err(e())?)?,
        finished_at: finished.as_deref().map(from_text).transpose()?,
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
        lease_until: time_at(r, 12)?,
        last_page_at: time_at(r, 13)?,
    })
}

/// An optional time column.
fn time_at(r: &SqliteRow, i: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
    let text: Option<String> = r.try_get(i).map_err(db_err("reading runs"))?;
    text.as_deref().map(from_text).transpose()
}
