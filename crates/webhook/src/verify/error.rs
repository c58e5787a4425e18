//! Why a verifier could not be built, and why a request was rejected.

/// Why a request's signature was not accepted. The receiver answers it with a
/// 4xx status and counts it under [`reason`](Rejection::reason).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// A header the scheme requires is absent (its lower-case name).
    #[error(
        "missing header `{0}`: the sender did not sign this request the way this webhook's \
         `verify:` block expects; check that the scheme matches the vendor"
    )]
    MissingHeader(String),
    /// A header is present but cannot be read.
    #[error("malformed header `{header}`: {reason}")]
    Malformed {
        /// The header's lower-case name.
        header: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The signed timestamp is older than the tolerance allows: a replayed or
    /// long-delayed delivery.
    #[error(
        "timestamp is {age_secs}s old, beyond the tolerance: a replayed or long-delayed \
         delivery, or the sender's or this host's clock is off (check NTP)"
    )]
    Stale {
        /// How many seconds before now the request was signed.
        age_secs: i64,
    },
    /// The signed timestamp is further in the future than the tolerance allows.
    #[error(
        "timestamp is {ahead_secs}s in the future, beyond the tolerance: the sender's or \
         this host's clock is off (check NTP)"
    )]
    Future {
        /// How many seconds after now the request was signed.
        ahead_secs: i64,
    },
    /// No signature in the request matches any configured secret.
    #[error(
        "signature does not match any configured secret: check the webhook secret (a spike \
         of these means the vendor rotated the key) and that the body reaches us unmodified"
    )]
    BadSignature,
}

impl Rejection {
    /// A short stable label for counters and logs: `missing_header`,
    /// `malformed`, `stale`, `future` or `bad_signature`.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::MissingHeader(_) => "missing_header",
            Rejection::Malformed { .. } => "malformed",
            Rejection::Stale { .. } => "stale",
            Rejection::Future { .. } => "future",
            Rejection::BadSignature => "bad_signature",
        }
    }
}

/// Why a [`Verifier`](super::Verifier) cannot be built from its configuration.
/// Messages never contain the secrets.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum VerifierError {
    /// The list of secrets is empty.
    #[error(
        "no webhook secret configured: set `secret` in the webhook's `verify:` block to the \
         signing secret the vendor shows"
    )]
    NoSecrets,
    /// A secret is the empty string.
    #[error(
        "webhook secret #{position} is empty: the value it refers to is probably unset; set \
         it to the signing secret the vendor shows"
    )]
    EmptySecret {
        /// The secret's 1-based position in the list.
        position: usize,
    },
    /// A secret starts or ends with whitespace, typically a newline from the
    /// file or variable it was read from.
    #[error(
        "webhook secret #{position} starts or ends with whitespace (often a trailing newline \
         from the file or variable it was read from): remove it"
    )]
    SecretWhitespace {
        /// The secret's 1-based position in the list.
        position: usize,
    },
    /// A Standard Webhooks secret does not decode to a key.
    #[error(
        "webhook secret #{position} is not a Standard Webhooks secret: {reason}; it should be \
         `whsec_` followed by base64, copied exactly from the vendor's dashboard"
    )]
    InvalidSecret {
        /// The secret's 1-based position in the list.
        position: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The header of [`Scheme::HmacSha256`](super::Scheme::HmacSha256) is not
    /// a valid HTTP header name.
    #[error(
        "`{header}` is not a valid header name for the signature: {reason}; use the header \
         name from the vendor's documentation, e.g. `X-Signature`"
    )]
    InvalidHeader {
        /// The configured header name.
        header: String,
        /// What is wrong with it.
        reason: String,
    },
}
