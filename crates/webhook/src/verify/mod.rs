//! Signature verification for inbound webhooks.
//!
//! Build one [`Verifier`] per configured webhook (it decodes the secrets and
//! keys the HMACs once), then call [`Verifier::verify`] for every request:
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use holdfast_webhook::verify::{Rejection, Scheme, Verifier};
//!
//! let verifier = Verifier::new(
//!     Scheme::Github,
//!     vec!["It's a Secret to Everybody".to_owned()],
//!     Duration::from_secs(300),
//! )?;
//! let mut headers = http::HeaderMap::new();
//! headers.insert(
//!     "X-Hub-Signature-256",
//!     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".parse()?,
//! );
//! assert!(verifier.verify(&headers, b"Hello, World!", SystemTime::now()).is_ok());
//! assert_eq!(
//!     verifier.verify(&headers, b"Hello, World?", SystemTime::now()),
//!     Err(Rejection::BadSignature),
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every check runs in the same order: the headers are found and parsed
//! ([`Rejection::MissingHeader`], [`Rejection::Malformed`]), then the
//! timestamp is held against the tolerance ([`Rejection::Stale`],
//! [`Rejection::Future`]) before any HMAC is computed, then one HMAC per
//! secret is compared, in constant time, with every signature the request
//! carries ([`Rejection::BadSignature`]).

mod common;
mod error;
mod github;
mod hmac_sha256;
mod standard_webhooks;
mod stripe;

pub use error::{Rejection, VerifierError};

use std::fmt;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName};

use common::Keys;

/// How a vendor signs its webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// The [Standard Webhooks](https://www.standardwebhooks.com) specification
    /// (also Svix's): headers `webhook-id`, `webhook-timestamp` (unix seconds)
    /// and `webhook-signature` (space-separated `v1,<base64>` entries; other
    /// versions are ignored). The HMAC-SHA256 covers `{id}.{timestamp}.{body}`
    /// and is keyed with the base64-decoded secret, after its `whsec_` prefix
    /// is removed.
    StandardWebhooks,
    /// Stripe: header `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`. The
    /// HMAC-SHA256 covers `{t}.{body}` and is keyed with the secret's bytes as
    /// they are (including its `whsec_` prefix). Any `v1` may match; `v0`
    /// (test-mode) signatures are not accepted.
    Stripe,
    /// GitHub: header `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256 of
    /// the raw body keyed with the secret's bytes. No timestamp. The event id
    /// is the `X-GitHub-Delivery` header.
    Github,
    /// A generic HMAC-SHA256 of the raw body keyed with the secret's bytes,
    /// sent in one header. No timestamp.
    HmacSha256 {
        /// The header carrying the signature, e.g. `X-Signature`.
        header: String,
        /// How the signature is written in the header.
        encoding: Encoding,
        /// Text before the signature, e.g. `sha256=` (matched ignoring ASCII
        /// case); empty when there is none.
        prefix: String,
    },
}

/// How a signature is written in a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Hexadecimal, upper or lower case.
    Hex,
    /// Base64 with the standard alphabet, padding optional.
    Base64,
}

/// Verifies the signatures of one webhook's requests. Cheap to share: it is
/// `Send + Sync` and [`verify`](Verifier::verify) takes `&self`.
#[derive(Clone)]
pub struct Verifier {
    scheme: Scheme,
    check: Check,
    keys: Keys,
    tolerance: Duration,
}

/// What a successfully verified request carried besides its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The vendor's delivery id when the scheme has one: `webhook-id`
    /// (Standard Webhooks) or `X-GitHub-Delivery` (GitHub, when present).
    pub event_id: Option<String>,
    /// The signed timestamp, in unix seconds, for the timestamped schemes
    /// (Standard Webhooks, Stripe).
    pub timestamp: Option<i64>,
}

impl Verifier {
    /// Builds a verifier for `scheme`.
    ///
    /// `secrets` holds one or more secrets; during a key rotation list both
    /// the old and the new one, and a signature made with any of them is
    /// accepted. `tolerance` is the largest accepted distance between the
    /// request's signed timestamp and `now`, either way (typically five
    /// minutes); schemes without a timestamp ignore it.
    ///
    /// # Errors
    /// [`VerifierError`] when no secret is given, a secret is empty or has
    /// surrounding whitespace, a Standard Webhooks secret is not base64, or
    /// the header of [`Scheme::HmacSha256`] is not a valid header name.
    pub fn new(
        scheme: Scheme,
        secrets: Vec<String>,
        tolerance: Duration,
    ) -> Result<Verifier, VerifierError> {
        let check = match &scheme {
            Scheme::StandardWebhooks => Check::StandardWebhooks,
            Scheme::Stripe => Check::Stripe,
            Scheme::Github => Check::Github,
            Scheme::HmacSha256 {
                header,
                encoding,
                prefix,
            } => Check::HmacSha256 {
                header: common::header_name(header)?,
                encoding: *encoding,
                prefix: prefix.clone(),
            },
        };
        let keys = match check {
            Check::StandardWebhooks => Keys::new(&secrets, standard_webhooks::decode_secret)?,
            _ => Keys::new(&secrets, |secret| Ok(secret.as_bytes().to_vec()))?,
        };
        Ok(Verifier {
            scheme,
            check,
            keys,
            tolerance,
        })
    }

    /// Checks that a request was signed with one of the secrets and, for the
    /// timestamped schemes, that it was signed within the tolerance of `now`.
    ///
    /// `body` must be the raw bytes as received, before any JSON parsing.
    ///
    /// # Errors
    /// A [`Rejection`] saying why the request must not be accepted.
    pub fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified, Rejection> {
        match &self.check {
            Check::StandardWebhooks => {
                standard_webhooks::verify(&self.keys, self.tolerance, headers, body, now)
            }
            Check::Stripe => stripe::verify(&self.keys, self.tolerance, headers, body, now),
            Check::Github => github::verify(&self.keys, headers, body),
            Check::HmacSha256 {
                header,
                encoding,
                prefix,
            } => hmac_sha256::verify(&self.keys, header, *encoding, prefix, headers, body),
        }
    }

    /// Whether the signature covers header `name` (ignoring ASCII case), so
    /// an event id read from it cannot be changed by whoever replays a
    /// captured request. Only Standard Webhooks signs a header, `webhook-id`
    /// (with `webhook-timestamp`); Stripe, GitHub and the generic HMAC sign
    /// the body (Stripe with its timestamp) and nothing else: GitHub's
    /// `X-GitHub-Delivery` is not signed.
    pub fn signs_header(&self, name: &str) -> bool {
        match self.check {
            Check::StandardWebhooks => ["webhook-id", "webhook-timestamp"]
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name)),
            Check::Stripe | Check::Github | Check::HmacSha256 { .. } => false,
        }
    }

    /// The scheme this verifier checks.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The largest accepted distance between a signed timestamp and now.
    pub fn tolerance(&self) -> Duration {
        self.tolerance
    }
}

impl Scheme {
    /// The scheme's name in a webhook's `verify:` block: `standard_webhooks`,
    /// `stripe`, `github` or `hmac_sha256`.
    pub fn name(&self) -> &'static str {
        match self {
            Scheme::StandardWebhooks => "standard_webhooks",
            Scheme::Stripe => "stripe",
            Scheme::Github => "github",
            Scheme::HmacSha256 { .. } => "hmac_sha256",
        }
    }
}

/// A [`Scheme`] prepared for checking: its header name parsed once.
#[derive(Clone)]
enum Check {
    StandardWebhooks,
    Stripe,
    Github,
    HmacSha256 {
        header: HeaderName,
        encoding: Encoding,
        prefix: String,
    },
}

/// Shows the scheme and how many secrets there are, never the secrets.
impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("scheme", &self.scheme)
            .field("secrets", &self.keys.len())
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync + Clone>() {}
        shareable::<Verifier>();
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let verifier = Verifier::new(
            Scheme::Stripe,
            vec!["whsec_do_not_print".to_owned(), "whsec_nor_this".to_owned()],
            Duration::from_secs(300),
        )
        .expect("valid secrets");
        let debug = format!("{verifier:?}");
        assert!(
            !debug.contains("print") && !debug.contains("nor_this"),
            "{debug}"
        );
        assert!(debug.contains("secrets: 2"), "{debug}");
        assert_eq!(verifier.scheme(), &Scheme::Stripe);
        assert_eq!(verifier.tolerance(), Duration::from_secs(300));
    }

    #[test]
    fn rejections_have_stable_labels_and_say_what_to_check() {
        let cases = [
            (
                Rejection::MissingHeader("webhook-id".to_owned()),
                "missing_header",
                "webhook-id",
            ),
            (
                Rejection::Malformed {
                    header: "stripe-signature".to_owned(),
                    reason: "no t".to_owned(),
                },
                "malformed",
                "stripe-signature",
            ),
            (Rejection::Stale { age_secs: 900 }, "stale", "900s old"),
            (
                Rejection::Future { ahead_secs: 60 },
                "future",
                "60s in the future",
            ),
            (Rejection::BadSignature, "bad_signature", "rotated"),
        ];
        for (rejection, label, in_message) in cases {
            assert_eq!(rejection.reason(), label);
            let message = rejection.to_string();
            assert!(message.contains(in_message), "{message}");
        }
    }

    #[test]
    fn only_standard_webhooks_signs_a_header() {
        let make = |scheme: Scheme, secret: &str| {
            Verifier::new(scheme, vec![secret.to_owned()], Duration::from_secs(300))
                .expect("valid secret")
        };
        let standard = make(
            Scheme::StandardWebhooks,
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        );
        assert!(standard.signs_header("webhook-id") && standard.signs_header("Webhook-Id"));
        assert!(!standard.signs_header("x-request-id"));
        let github = make(Scheme::Github, "s");
        assert!(!github.signs_header("X-GitHub-Delivery"));
        assert!(!make(Scheme::Stripe, "whsec_x").signs_header("stripe-signature"));
        let generic = Scheme::HmacSha256 {
            header: "X-Signature".to_owned(),
            encoding: Encoding::Hex,
            prefix: String::new(),
        };
        assert!(!make(generic, "s").signs_header("x-event-id"));
    }

    #[test]
    fn scheme_names_match_the_configuration() {
        let generic = Scheme::HmacSha256 {
            header: "X-Signature".to_owned(),
            encoding: Encoding::Hex,
            prefix: String::new(),
        };
        let names = [
            Scheme::StandardWebhooks.name(),
            Scheme::Stripe.name(),
            Scheme::Github.name(),
            generic.name(),
        ];
        assert_eq!(
            names,
            ["standard_webhooks", "stripe", "github", "hmac_sha256"]
        );
    }
}
