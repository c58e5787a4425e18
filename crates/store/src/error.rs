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
    /// The backend's error.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
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
            source: None,
        }
    }

    /// A new error wrapping the backend's error `source`.
    pub fn with_source(
        kind: StoreErrorKind,
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError {
            kind,
            context: context.into(),
            message: source.to_string(),
            source: Some(Box::new(source)),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}
