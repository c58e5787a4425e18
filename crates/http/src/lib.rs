//! The HTTP client of holdfast: one [`Client`] per connection.
//!
//! It applies the connection's headers, timeout and auth to every request,
//! returns typed [`HttpError`]s that name the connection and the (redacted)
//! URL, and never lets a credential reach a log line or an error message:
//! see [`Redactor`].
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod auth;
mod client;
mod error;
mod redact;

pub use auth::{KeyLocation, ResolvedAuth};
pub use client::{Client, ClientConfig, HttpRequest, HttpResponse, Method};
pub use error::{HttpError, HttpErrorKind, excerpt};
pub use redact::{REDACTED, Redactor};
