//! The store a command works on, chosen by its URL: SQLite (the embedded
//! default, `sqlite://file.db` or a path) or PostgreSQL (`postgres://…`,
//! shared by many `holdfast serve` processes).

use std::ops::Deref;
use std::sync::Arc;

use holdfast_store::{JobQueue, Store};
use holdfast_store_postgres::PgStore;
use holdfast_store_sqlite::SqliteStore;

/// An open store: every command talks to it through [`JobQueue`] (and so
/// [`Store`]); [`OpenStore::close`] ends it cleanly.
#[derive(Clone)]
pub(crate) struct OpenStore {
    queue: Arc<dyn JobQueue>,
    kind: Kind,
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
                queue: store.clone(),
                kind: Kind::Postgres(store),
            })
        } else {
            let store = Arc::new(SqliteStore::open(url).await?);
            Ok(OpenStore {
                queue: store.clone(),
                kind: Kind::Sqlite(store),
            })
        }
    }

    /// The store, shareable with tasks.
    pub(crate) fn queue(&self) -> Arc<dyn JobQueue> {
        self.queue.clone()
    }

    /// The store as a plain [`Store`], shareable with tasks.
    pub(crate) fn store(&self) -> Arc<dyn Store> {
        self.queue.clone()
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
    type Target = dyn JobQueue;

    fn deref(&self) -> &Self::Target {
        &*self.queue
    }
}

/// Whether `url` names a PostgreSQL database.
pub(crate) fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}
