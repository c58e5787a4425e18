//! Write transactions, one at a time per process.
//!
//! SQLite has one writer. When two connections of the pool both ask for the
//! write lock, the loser's busy handler sleeps (1, 2, 5, … up to 100 ms)
//! and polls, which turns a queue of short transactions into long stalls.
//! Writers of one process therefore line up on an async mutex first (fair,
//! first come first served) and find the lock free; other processes still
//! meet SQLite's busy timeout.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::Transaction;
use sqlx::sqlite::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The process's place in line for SQLite's write lock.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteGate(Arc<Mutex<()>>);

/// A `BEGIN IMMEDIATE` transaction holding the gate until it ends.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _turn: OwnedMutexGuard<()>,
}

impl WriteGate {
    /// Waits for this process's turn, then begins a write transaction.
    pub(crate) async fn begin(&self, pool: &SqlitePool) -> Result<WriteTx, sqlx::Error> {
        let turn = self.0.clone().lock_owned().await;
        let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx { tx, _turn: turn })
    }
}

impl WriteTx {
    /// Commits, then lets the next writer in.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}
