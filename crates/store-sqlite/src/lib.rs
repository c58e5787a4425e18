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
//! `_last_run` and `_last_change` (1 created, 2 updated, 0 unchanged, at the
//! last sighting). holdfast's own tables start with `_holdfast_`.
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod drift;
mod explain;
mod quarantine;
mod requests;
mod store;
mod table;
mod time;
mod upsert;

pub use store::SqliteStore;
