//! Postgres errors as [`StoreError`]s of the right kind, with the fix where one is known.

use holdfast_store::{StoreError, StoreErrorKind};

/// Turns a sqlx error met while doing `context` into a [`StoreError`].
pub(crate) fn db_err(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
    let context = context.into();
    move |e| convert(context, e)
}

/// The kind of `e`, and a message with a fix where one is known.
pub(crate) fn convert(context: String, e: sqlx::Error) -> StoreError {
    let (kind, hint) = match &e {
        sqlx::Error::Database(d) => classify(d.code().as_deref().unwrap_or("")),
        sqlx::Error::PoolTimedOut => (
            StoreErrorKind::Unavailable,
            Some("every pooled connection stayed busy; raise `pool_max` or check the server"),
        ),
        sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            (StoreErrorKind::Unavailable, None)
        }
        _ => (StoreErrorKind::Other, None),
    };
    let mut error = StoreError::with_source(kind, context, e);
    if let Some(hint) = hint {
        error.message = format!("{}; {hint}", error.message);
    }
    error
}

fn classify(code: &str) -> (StoreErrorKind, Option<&'static str>) {
    match code {
        "40001" | "40P01" | "55P03" => (
            StoreErrorKind::Busy,
            Some("another process wrote the same rows at the same time; retry"),
        ),
        "23505" => (
            StoreErrorKind::Busy,
            Some("another process created the same row at the same time; retry"),
        ),
        "22P05" | "22021" => (
            StoreErrorKind::InvalidData,
            Some("PostgreSQL cannot store the NUL character (\\u0000) in text or JSONB"),
        ),
        c if c.starts_with("22") => (StoreErrorKind::InvalidData, None),
        c if c.starts_with("42") => (StoreErrorKind::Schema, None),
        c if c.starts_with("08") || c.starts_with("57P") || c.starts_with("53") => {
            (StoreErrorKind::Unavailable, None)
        }
        _ => (StoreErrorKind::Other, None),
    }
}

/// An error binding parameters (never expected: every value has a Postgres type).
pub(crate) fn bind_err(context: &str) -> impl FnOnce(sqlx::error::BoxDynError) -> StoreError + '_ {
    move |e| StoreError::new(StoreErrorKind::Other, context, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(classify("40P01").0, StoreErrorKind::Busy);
        assert_eq!(classify("22P05").0, StoreErrorKind::InvalidData);
        assert_eq!(classify("42P01").0, StoreErrorKind::Schema);
        assert_eq!(classify("08006").0, StoreErrorKind::Unavailable);
        assert_eq!(classify("XX000").0, StoreErrorKind::Other);
    }
}
