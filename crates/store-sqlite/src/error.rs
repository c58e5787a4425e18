//! SQLite errors as [`StoreError`]s of the right kind, with the fix where one is known.

use holdfast_store::{StoreError, StoreErrorKind};

/// SQLite's result code for a full disk or database (`SQLITE_FULL`).
const SQLITE_FULL: &str = "13";

pub(crate) fn db_err(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
    let context = context.into();
    move |e| {
        let full =
            matches!(&e, sqlx::Error::Database(d) if d.code().as_deref() == Some(SQLITE_FULL));
        let kind = match &e {
            sqlx::Error::Database(d) if d.message().contains("locked") => StoreErrorKind::Busy,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreErrorKind::Unavailable
            }
            _ if full => StoreErrorKind::Unavailable,
            _ => StoreErrorKind::Other,
        };
        let mut error = StoreError::with_source(kind, context, e);
        if full {
            error.message.push_str(
                " (the disk holding the SQLite file has no room left: free some; \
                 holdfast writes again once there is room, without a restart)",
            );
        }
        error
    }
}
