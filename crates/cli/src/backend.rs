//! The store a command works on, chosen by its URL: SQLite (the embedded
//! default, `sqlite://file.db` or a path) or PostgreSQL (`postgres://…`,
//! shared by many `holdfast serve` processes).

use std::ops::Deref;
use std::sync::Arc;

use holdfast_store::prelude::*;
use holdfast_store_postgres::PgStore;
use holdfast_store_sqlite::SqliteStore;

/// An open store: every command talks to it as a [`Store`] (its role
/// traits are in `holdfast_store::prelude`); [`OpenStore::close`] ends it
/// cleanly.
#[derive(Clone)]
pub(crate) struct OpenStore {
    store: Arc<dyn Store>,
    kind: Kind,
    /// The URL it was opened with, its password hidden: for messages.
    shown: String,
}

#[derive(Clone)]
enum Kind {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PgStore>),
}

impl OpenStore {
    /// Opens (creating a missing SQLite file, applying migrations) the store at `url`.
    pub(crate) async fn open(url: &str) -> anyhow::Result<OpenStore> {
        if is_postgres(url) {
            let store = Arc::new(PgStore::open(url).await?);
            Ok(OpenStore {
                store: store.clone(),
                kind: Kind::Postgres(store),
                shown: holdfast_store::redact_url(url),
            })
        } else {
            let store = Arc::new(SqliteStore::open(url).await?);
            Ok(OpenStore {
                store: store.clone(),
                kind: Kind::Sqlite(store),
                shown: url.to_owned(),
            })
        }
    }

    /// Opens the existing store at `url` only to read it: nothing is
    /// created or migrated (SQLite read-only, PostgreSQL read-only
    /// transactions), and its schema must be this holdfast's.
    pub(crate) async fn open_read_only(url: &str) -> anyhow::Result<OpenStore> {
        if is_postgres(url) {
            let store = Arc::new(PgStore::open_read_only(url).await?);
            Ok(OpenStore {
                store: store.clone(),
                kind: Kind::Postgres(store),
                shown: holdfast_store::redact_url(url),
            })
        } else {
            let store = Arc::new(SqliteStore::open_read_only(url).await?);
            Ok(OpenStore {
                store: store.clone(),
                kind: Kind::Sqlite(store),
                shown: url.to_owned(),
            })
        }
    }

    /// The store's URL for messages, without its password.
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// The store, shareable with tasks.
    pub(crate) fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// Whether other processes may share this store (PostgreSQL): rate
    /// budgets are then kept in it.
    pub(crate) fn is_shared(&self) -> bool {
        matches!(self.kind, Kind::Postgres(_))
    }

    /// Closes the connection pool (checkpointing SQLite's WAL).
    pub(crate) async fn close(&self) {
        match &self.kind {
            Kind::Sqlite(s) => s.close().await,
            Kind::Postgres(p) => p.close().await,
        }
    }
}

impl Deref for OpenStore {
    type Target = dyn Store;

    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

/// Whether `url` names a PostgreSQL database.
pub(crate) fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}
