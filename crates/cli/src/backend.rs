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
                queue: store.clone(),
                kind: Kind::Postgres(store),
                shown: without_password(url),
            })
        } else {
            let store = Arc::new(SqliteStore::open(url).await?);
            Ok(OpenStore {
                queue: store.clone(),
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
                queue: store.clone(),
                kind: Kind::Postgres(store),
                shown: without_password(url),
            })
        } else {
            let store = Arc::new(SqliteStore::open_read_only(url).await?);
            Ok(OpenStore {
                queue: store.clone(),
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

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{}", &rest[authority_end..])
        }
        None => url.to_owned(),
    }
}

/// Whether `url` names a PostgreSQL database.
pub(crate) fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            without_password("postgres://u:p%40ss@h:5432/db?x=1"),
            "postgres://u:***@h:5432/db?x=1"
        );
        assert_eq!(without_password("postgres://h/db"), "postgres://h/db");
        assert_eq!(without_password("postgres://u@h/db"), "postgres://u@h/db");
    }
}
