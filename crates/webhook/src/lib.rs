//! Inbound webhooks for holdfast: signature verification.
//!
//! [`verify`] checks that a webhook request was signed by the vendor that is
//! configured for it (Standard Webhooks, Stripe, GitHub or a generic
//! HMAC-SHA256 header) and that it is not a replay. It is pure and
//! synchronous: the HTTP receiver (in `holdfast-server`) calls
//! [`Verifier::verify`] with the request's headers, its raw body and the
//! current time, and turns a [`Rejection`] into a 4xx response and a counter
//! labelled with [`Rejection::reason`].
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

pub mod verify;

pub use verify::{Encoding, Rejection, Scheme, Verified, Verifier, VerifierError};
