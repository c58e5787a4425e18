//! The store's error type.

/// What kind of failure a [`StoreError`] is, so callers never match backend codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The store could not be opened or reached.
    Unavailable,
    /// The database is locked by another writer for too long.
    Busy,
    /// A table exists with a shape holdfast did not expect.
    Schema,
    /// A value could not be stored (e.g. a primary key that is an object).
    InvalidData,
    /// Anything else the backend reported.
    Other,
}

/// A store operation failed.
///
/// It prints as `{context}: {message}`, and `message` already holds the
/// backend's error text (with a fix where one is known); so the backend's
/// error is kept in [`cause`](StoreError::cause) for inspection but not
/// reported as [`source`](std::error::Error::source), and an error chain
/// (`{:#}`) prints each part once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("{context}: {message}")]
pub struct StoreError {
    /// The kind of failure.
    pub kind: StoreErrorKind,
    /// What holdfast was doing (e.g. "committing page 12 of `contacts`").
    pub context: String,
    /// What went wrong, with a fix where one is known.
    pub message: String,
    /// The backend's error, whose text `message` starts with.
    pub cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// A new error without an underlying cause.
    pub fn new(
        kind: StoreErrorKind,
        context: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        StoreError {
            kind,
            context: context.into(),
            message: message.into(),
            cause: None,
        }
    }

    /// A new error wrapping the backend's error `source`: its text becomes
    /// the message, and it is kept as [`cause`](StoreError::cause).
    pub fn with_source(
        kind: StoreErrorKind,
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError {
            kind,
            context: context.into(),
            message: source.to_string(),
            cause: Some(Box::new(source)),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_prints_the_backend_error_once() {
        let io = std::io::Error::other("disk I/O error");
        let e = StoreError::with_source(StoreErrorKind::Unavailable, "committing a page", io);
        // What a chain printer (`anyhow`'s `{:#}`) writes: each error's
        // Display, then its sources'.
        let mut chain = e.to_string();
        let mut next = std::error::Error::source(&e);
        while let Some(s) = next {
            chain.push_str(&format!(": {s}"));
            next = s.source();
        }
        assert_eq!(chain, "committing a page: disk I/O error");
        assert!(e.cause.is_some(), "the backend error is kept");
    }
}
