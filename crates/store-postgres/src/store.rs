//! [`PgStore`]: a connection pool on a PostgreSQL database.
//!
//! Its roles are implemented a file each: `records.rs`, `observability.rs`,
//! `secrets.rs`, `coordination.rs`, `export.rs`, `queue.rs`.

use std::str::FromStr;

use holdfast_store::{StoreError, StoreErrorKind};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::error::db_err;
use crate::options::{PgStoreOptions, check_schema, probe, split_url};
use crate::table::quote;

/// The PostgreSQL store: a connection pool on one database (and schema).
///
/// Cheap to clone: clones share the pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
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
                format!(
                    "opening the PostgreSQL store `{}`",
                    holdfast_store::redact_url(&url)
                ),
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
        let shown = holdfast_store::redact_url(&url);
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
