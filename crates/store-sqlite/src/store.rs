//! [`SqliteStore`]: one SQLite file, opened to write or only to read.
//!
//! Its roles are implemented a file each: `records.rs`, `observability.rs`,
//! `secrets.rs`, `coordination.rs`, `export.rs`, `queue.rs`.

use std::str::FromStr;
use std::time::Duration;

use holdfast_store::{StoreError, StoreErrorKind};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::db_err;
use crate::upsert::UpsertCache;
use crate::write::WriteGate;

/// The embedded store: a SQLite file in WAL mode.
#[derive(Debug)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    pub(crate) upserts: UpsertCache,
    pub(crate) gate: WriteGate,
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
