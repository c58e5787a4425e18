//! Inbound webhooks.

use std::time::Duration;

use super::{Path, Template};

/// An inbound webhook `holdfast serve` receives.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The name under `webhooks:`.
    pub name: String,
    /// The URL path it is received on (starts with `/`).
    pub path: String,
    /// How requests are verified.
    pub verify: Verify,
    /// What identifies an event (for deduplication).
    pub event_id: EventId,
    /// Where the event's version is in the body, if events are ordered.
    pub version: Option<Path>,
    /// Where events go; the first matching rule wins.
    pub route: Vec<Route>,
    /// Largest accepted body in bytes.
    pub max_body: usize,
}

/// A webhook's signature check.
#[derive(Debug, Clone)]
pub struct Verify {
    /// The signing scheme.
    pub scheme: VerifyScheme,
    /// The secrets (templates over `env`); any may match (key rotation).
    pub secrets: Vec<Template>,
    /// Largest accepted clock difference for timestamped schemes.
    pub tolerance: Duration,
}

/// A signature scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyScheme {
    /// The Standard Webhooks spec (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
    StandardWebhooks,
    /// Stripe's `Stripe-Signature: t=…,v1=…`.
    Stripe,
    /// GitHub's `X-Hub-Signature-256: sha256=…`.
    Github,
    /// An HMAC-SHA256 of the body in a header of your choice.
    HmacSha256 {
        /// The header carrying the signature.
        header: String,
        /// How the signature is written.
        encoding: SignatureEncoding,
        /// Text before the signature (e.g. `sha256=`), possibly empty.
        prefix: String,
    },
}

/// How a signature is written in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureEncoding {
    /// Lower- or upper-case hex.
    Hex,
    /// Standard base64.
    Base64,
}

/// Where a webhook event's id comes from.
#[derive(Debug, Clone)]
pub enum EventId {
    /// A JSONPath into the body.
    Path(Path),
    /// A request header.
    Header(String),
}

/// One `route:` rule of a webhook.
#[derive(Debug, Clone)]
pub struct Route {
    /// When it applies (a Jinja condition over `body` and `headers`); `None`: always.
    pub when: Option<Template>,
    /// The stream whose table, schema and `map:` the record goes through.
    pub stream: String,
    /// Where the record is in the body.
    pub record: Path,
    /// When the event deletes the record (a Jinja condition over `body` and `headers`).
    pub delete_when: Option<Template>,
}
