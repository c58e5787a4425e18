//! The HTTP client of holdfast: one [`Client`] per connection, built as a
//! stack of tower layers that each handle one production failure mode.
//!
//! Outermost first (see [`stack`]):
//!
//! ```text
//! retry ⊃ auth ⊃ breaker ⊃ rate_limit ⊃ concurrency ⊃ classify ⊃ transport
//! ```
//!
//! Every retry attempt gets fresh credentials and spends a rate-limit token;
//! an open breaker fails fast before spending budget; classification turns
//! lying responses (`200` with an error body, HTML instead of JSON, cut-off
//! bodies) into errors that the breaker and retry see. Every attempt is
//! reported to a [`RequestSink`] (the engine's request log), with credentials
//! redacted by the [`Redactor`].
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

pub mod auth;
pub mod breaker;
pub mod classify;
pub mod concurrency;
mod error;
mod log;
pub mod rate_limit;
mod redact;
mod request;
pub mod retry;
pub mod scope;
pub mod stack;
pub mod tape;
pub mod telemetry;
pub mod transport;
mod verdict;

pub use auth::{
    Extract, KeyLocation, LoginBody, LoginStep, OAuth2ClientAuth, OAuth2Config, OAuth2Credential,
    OAuth2Grant, RenderFn, ResolvedAuth, SessionConfig, SessionCredential, SessionExpiry,
    TokenState, TokenStore,
};
pub use error::{HttpError, HttpErrorKind, excerpt};
pub use log::{AttemptRecord, NoSink, RequestSink};
pub use redact::{REDACTED, Redactor};
pub use request::{
    HttpRequest, HttpResponse, Method, RateWait, RequestClassifier, RequestTags, SaveTo,
};
pub use scope::{HostRule, Reach, Scope};
pub use stack::{Client, ClientConfig, DEFAULT_MAX_RESPONSE};

/// The future every layer returns.
pub type ResponseFuture = futures::future::BoxFuture<'static, Result<HttpResponse, HttpError>>;

/// What every layer wraps: a cloneable service from [`HttpRequest`] to
/// [`HttpResponse`] or [`HttpError`] (any stack below a layer).
pub trait HttpService:
    tower::Service<HttpRequest, Response = HttpResponse, Error = HttpError, Future = ResponseFuture>
    + Clone
    + Send
    + 'static
{
}

impl<S> HttpService for S where
    S: tower::Service<
            HttpRequest,
            Response = HttpResponse,
            Error = HttpError,
            Future = ResponseFuture,
        > + Clone
        + Send
        + 'static
{
}
