//! [`CoordinationStore`]: how processes sharing one store coordinate.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{NamedLease, StoreError};

/// How processes sharing one store coordinate through it: named leases
/// (a stream runs on one worker at a time), shared rate budgets (a
/// connection's limit holds across all of them), and the write probe
/// behind `/readyz`.
#[async_trait]
pub trait CoordinationStore: Send + Sync {
    /// Takes the named lease `name` for `holder` until `until`, atomically
    /// across every process sharing the store: when nobody holds it, when
    /// its holder's lease ended before `now`, or when `holder` holds it
    /// already (then it is renewed to `until`). `false` when someone else
    /// holds it at `now`; nothing changes then.
    ///
    /// A lease is held up to and including its `until`.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Gives the named lease `name` up; only its holder can (`false` when
    /// `holder` does not hold it, e.g. it expired and someone else took it).
    async fn release_lease(&self, name: &str, holder: &str) -> Result<bool, StoreError>;

    /// Every named lease stored (expired ones too, until taken again or
    /// released), by name.
    async fn leases(&self) -> Result<Vec<NamedLease>, StoreError>;

    /// Proves the store can be written now (what `/readyz` asks): commits
    /// a write transaction that inserts and deletes one row of the leases
    /// table (the reserved name [`WRITE_PROBE`](crate::WRITE_PROBE)), so a full disk, a
    /// read-only file or a server refusing writes fails here, and nothing
    /// stays behind.
    ///
    /// # Errors
    /// Why the store cannot be written, as a write would meet it.
    async fn check_writable(&self, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Reserves the next slot of the shared rate budget `key` (at most
    /// `burst` at once, then one per `interval`) and returns how long the
    /// caller must wait before using it: zero while within the burst.
    ///
    /// Every call reserves a slot, atomically across processes, so callers
    /// that reserve at the same moment get distinct slots. The rule is
    /// [`gcra_wait`](crate::gcra_wait)'s.
    async fn reserve_rate(
        &self,
        key: &str,
        interval: std::time::Duration,
        burst: u32,
        now: DateTime<Utc>,
    ) -> Result<std::time::Duration, StoreError>;
}
