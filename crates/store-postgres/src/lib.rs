//! The PostgreSQL store: many holdfast processes on one database.
//!
//! [`PgStore`] implements [`Store`](holdfast_store::Store) and
//! [`JobQueue`](holdfast_store::JobQueue) with the same meaning as the
//! embedded SQLite store (both pass one conformance suite), and Postgres
//! coordinates the processes: jobs are claimed with `FOR UPDATE SKIP LOCKED`
//! under a lease, named leases and rate budgets are single atomic upserts.
//!
//! ```no_run
//! # async fn open() -> Result<(), holdfast_store::StoreError> {
//! // 16 pooled connections, every table in schema `holdfast`:
//! let store = holdfast_store_postgres::PgStore::open(
//!     "postgres://holdfast@db.internal/holdfast?pool_max=16&schema=holdfast",
//! )
//! .await?;
//! # Ok(()) }
//! ```
//!
//! Opening applies the versioned migrations in `migrations/` (numbered in
//! lockstep with the SQLite store's). sqlx holds a Postgres advisory lock
//! while it migrates, so any number of processes may start at once: one
//! migrates, the others wait and find nothing left to do.
//!
//! # Stream tables
//!
//! Each stream's `into:` becomes a plain table a user can query with SQL:
//!
//! ```text
//! psql -c "select id, _raw ->> 'email' from contacts where id = '42' limit 3"
//! ```
//!
//! - **Primary key columns are `JSONB`**, so a key keeps its JSON type:
//!   `"1"` and `1` are different keys (as in SQLite, where key columns have
//!   no declared type), and keys sort as JSON does (numbers by value, then
//!   strings). Compare with a JSON literal (`id = '42'`, `id = '"abc"'`) and
//!   read the bare value with `id #>> '{}'`.
//! - `_raw` is the record as `JSONB` (so `_raw ->> 'email'` works). JSONB
//!   keeps content, not spelling: keys are reordered and whitespace dropped,
//!   and a record re-sent with the same content in another key order counts
//!   as unchanged. It cannot hold the NUL character (`\u0000`); such a
//!   record is refused with [`StoreErrorKind::InvalidData`](holdfast_store::StoreErrorKind).
//! - Sync metadata: `_first_seen`, `_updated_at` (last content change),
//!   `_updated_run`, `_last_seen`, `_last_run` (timestamps are
//!   `TIMESTAMPTZ`), `_last_change` (1 created, 2 updated, 0 unchanged, 3
//!   deleted, at the last sighting); webhook events add `_version` (text,
//!   compared byte-wise) and `_deleted_at` (a tombstone). Run 0 means a
//!   webhook event wrote the row.
//! - Mapped columns are typed: `Text` → `TEXT`, `Integer` → `BIGINT`,
//!   `Boolean` → `BOOLEAN`, `Any` → `JSONB`. [`RecordStore::record`](holdfast_store::RecordStore::record)
//!   reads booleans back as `0`/`1`, as the SQLite store does.
//!
//! holdfast's own tables start with `_holdfast_`: the job queue is
//! `_holdfast_jobs`, sealed secrets `_holdfast_secrets`, named leases
//! `_holdfast_leases`, rate budgets `_holdfast_rate_limits`.
//!
//! # Jobs and events
//!
//! The queue is `_holdfast_jobs`. A claim is one statement: two
//! index-ordered scans (ready jobs due now, running jobs whose lease ended)
//! lock up to `limit` rows each with `FOR UPDATE SKIP LOCKED`, and the best
//! `limit` become `running`. Finishing is one `UPDATE` guarded by the lease
//! (`state = 'running' AND attempts = …`); [`finish_many`](holdfast_store::JobQueue::finish_many)
//! finishes a claimed batch in one statement and one commit, which is what
//! makes the queue fast (each commit waits for the WAL flush). Enqueueing a
//! batch is one statement too (`ON CONFLICT (unique_key) DO NOTHING`).
//!
//! Webhook event batches lock their jobs and the stored rows of their keys,
//! decide each event in order, and write one `INSERT` and one `UPDATE` per
//! table, whatever the batch size.
//!
//! Errors keep their meaning across processes: a deadlock, a serialization
//! failure or two processes inserting the same new key at once are
//! [`StoreErrorKind::Busy`](holdfast_store::StoreErrorKind) (retry); a lost
//! connection is `Unavailable`.
//!
//! # Schema
//!
//! Everything lives in the first schema of the connection's `search_path`
//! (`public` by default). `?schema=NAME` in the URL creates that schema if
//! needed and sets `search_path` to it on every pooled connection, so
//! several holdfast installations (or tests) can share one database.
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod alerts;
mod coordination;
mod drift;
mod error;
mod events;
mod explain;
mod export;
mod observability;
mod options;
mod quarantine;
mod queue;
mod reconcile;
mod records;
mod rejections;
mod requests;
mod runs;
mod secrets;
mod store;
mod table;
mod upsert;
mod values;

pub use options::PgStoreOptions;
pub use store::PgStore;
