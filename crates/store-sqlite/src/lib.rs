//! The embedded store: one SQLite file in WAL mode, zero set-up.
//!
//! Each stream's `into:` becomes a plain table a user can query with SQL:
//!
//! ```text
//! sqlite3 holdfast.db "select id, _raw ->> '$.email' from contacts limit 3"
//! ```
//!
//! Every stream table has its primary key columns (values keep their JSON
//! type), the record as JSON in `_raw`, and sync metadata: `_first_seen`,
//! `_updated_at` (last content change), `_updated_run`, `_last_seen`,
//! `_last_run` and `_last_change` (1 created, 2 updated, 0 unchanged, 3
//! deleted, 4 restored, at the last sighting). Two more: `_version` (the
//! last applied webhook event's version; NULL when only syncs wrote the
//! row) and `_deleted_at` (set when the row was tombstoned: by a delete
//! event, a sync's `deleted_when:`, or a reconciliation's soft delete; the
//! row stays). A sync that sees a tombstoned record alive lifts the
//! tombstone only when a sync or a reconciliation made it, never a delete
//! event's, so a late listing cannot undo a delete event. A run of 0 in
//! `_updated_run` or `_last_run` means a webhook event wrote the row.
//! holdfast's own tables start with `_holdfast_`;
//! the job queue is `_holdfast_jobs`; sealed secrets are in `_holdfast_secrets`;
//! named leases and shared rate budgets are `_holdfast_leases` and
//! `_holdfast_rate_limits`.
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
mod time;
mod upsert;
mod write;

pub use store::SqliteStore;
