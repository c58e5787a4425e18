//! Pieces every scheme shares: keyed HMACs, header lookup, timestamp
//! tolerance and signature decoding.

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, KeyInit as _, Mac as _};
use http::{HeaderMap, HeaderName};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq as _};

use super::{Encoding, Rejection, VerifierError};

/// The length of an HMAC-SHA256 signature.
pub(super) const MAC_LEN: usize = 32;

/// A decoded signature.
pub(super) type Signature = [u8; MAC_LEN];

/// An HMAC-SHA256 in progress.
pub(super) type HmacSha256 = Hmac<Sha256>;

/// Standard base64 that accepts input with or without padding.
pub(super) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One HMAC per secret, keyed once at start-up: each request clones the keyed
/// state instead of hashing the key again.
#[derive(Clone)]
pub(super) struct Keys(Vec<HmacSha256>);

impl Keys {
    /// Keys an HMAC with `decode(secret)` for every secret, after checking the
    /// list and each secret is usable.
    pub(super) fn new(
        secrets: &[String],
        decode: impl Fn(&str) -> Result<Vec<u8>, String>,
    ) -> Result<Keys, VerifierError> {
        if secrets.is_empty() {
            return Err(VerifierError::NoSecrets);
        }
        let mut keys = Vec::with_capacity(secrets.len());
        for (index, secret) in secrets.iter().enumerate() {
            let position = index + 1;
            if secret.is_empty() {
                return Err(VerifierError::EmptySecret { position });
            }
            if secret.trim() != secret {
                return Err(VerifierError::SecretWhitespace { position });
            }
            let key = decode(secret)
                .map_err(|reason| VerifierError::InvalidSecret { position, reason })?;
            let mac =
                HmacSha256::new_from_slice(&key).map_err(|_| VerifierError::InvalidSecret {
                    position,
                    reason: "HMAC-SHA256 does not accept a key of this length".to_owned(),
                })?;
            keys.push(mac);
        }
        Ok(Keys(keys))
    }

    /// How many secrets there are.
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether, for some secret, the HMAC of the message that `feed` writes
    /// equals one of the `candidates`. Computes one HMAC per secret and
    /// compares in constant time; `candidates` is called once per secret.
    pub(super) fn any_matches<I>(
        &self,
        feed: impl Fn(&mut HmacSha256),
        candidates: impl Fn() -> I,
    ) -> bool
    where
        I: Iterator<Item = Signature>,
    {
        self.0.iter().any(|key| {
            let mut mac = key.clone();
            feed(&mut mac);
            let expected = mac.finalize().into_bytes();
            let mut found = Choice::from(0);
            for candidate in candidates() {
                found |= expected.as_slice().ct_eq(&candidate);
            }
            bool::from(found)
        })
    }
}

/// Parses the configured name of a signature header.
pub(super) fn header_name(header: &str) -> Result<HeaderName, VerifierError> {
    HeaderName::try_from(header).map_err(|_| VerifierError::InvalidHeader {
        header: header.to_owned(),
        reason: if header.is_empty() {
            "it is empty".to_owned()
        } else {
            "a header name is letters, digits and `-`, without spaces or `:`".to_owned()
        },
    })
}

/// The value of a header that must appear exactly once, as text.
pub(super) fn required<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
) -> Result<&'h str, Rejection> {
    optional(headers, name)?.ok_or_else(|| Rejection::MissingHeader(name.as_str().to_owned()))
}

/// The value of a header that may be absent but must not be repeated, as text.
pub(super) fn optional<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'h str>, Rejection> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(malformed(
            name,
            "it appears more than once; the sender (or a proxy) must send it once",
        ));
    }
    let text = value.to_str().map_err(|_| {
        malformed(
            name,
            "it contains bytes that are not visible ASCII; the sender must send it as text",
        )
    })?;
    Ok(Some(text.trim()))
}

/// A [`Rejection::Malformed`] for `header`.
pub(super) fn malformed(header: &HeaderName, reason: impl Into<String>) -> Rejection {
    Rejection::Malformed {
        header: header.as_str().to_owned(),
        reason: reason.into(),
    }
}

/// Parses a timestamp in unix seconds.
pub(super) fn parse_timestamp(header: &HeaderName, text: &str) -> Result<i64, Rejection> {
    text.parse().map_err(|_| {
        malformed(
            header,
            format!("timestamp `{}` is not whole unix seconds", truncate(text)),
        )
    })
}

/// Rejects a timestamp further than `tolerance` from `now`, either way.
pub(super) fn check_age(
    timestamp: i64,
    now: SystemTime,
    tolerance: Duration,
) -> Result<(), Rejection> {
    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    let age = unix_seconds(now).saturating_sub(timestamp);
    if age > tolerance {
        Err(Rejection::Stale { age_secs: age })
    } else if age < -tolerance {
        Err(Rejection::Future {
            ahead_secs: age.saturating_neg(),
        })
    } else {
        Ok(())
    }
}

/// `now` in whole unix seconds.
fn unix_seconds(now: SystemTime) -> i64 {
    match now.duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs())
            .unwrap_or(i64::MAX)
            .saturating_neg(),
    }
}

/// A timestamp written in decimal on the stack, as the signers write it into
/// the signed content.
pub(super) struct Decimal {
    digits: [u8; 20],
    len: usize,
}

impl Decimal {
    /// Writes `value` in decimal.
    pub(super) fn new(value: i64) -> Decimal {
        let mut digits = [0; 20];
        let mut rest = &mut digits[..];
        // 20 bytes hold every i64, so the write cannot fail.
        let _ = write!(rest, "{value}");
        let len = 20 - rest.len();
        Decimal { digits, len }
    }

    /// The decimal digits (and sign).
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.digits[..self.len]
    }
}

/// Decodes a signature written in `encoding`; `None` when it is not the
/// encoding of exactly [`MAC_LEN`] bytes.
pub(super) fn decode(text: &str, encoding: Encoding) -> Option<Signature> {
    match encoding {
        Encoding::Hex => {
            let mut signature = [0; MAC_LEN];
            hex::decode_to_slice(text, &mut signature).ok()?;
            Some(signature)
        }
        Encoding::Base64 => {
            // Room for a few bytes more, so that over-long input is told apart.
            let mut buffer = [0; MAC_LEN + 4];
            let written = BASE64.decode_slice(text, &mut buffer).ok()?;
            let signature: Signature = buffer.get(..written)?.try_into().ok()?;
            Some(signature)
        }
    }
}

/// What the encoding of a signature looks like, for messages.
pub(super) fn expected_form(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Hex => "64 hex digits",
        Encoding::Base64 => "the base64 of 32 bytes (44 characters)",
    }
}

/// At most the first 40 characters of untrusted `text`, for messages.
pub(super) fn truncate(text: &str) -> &str {
    match text.char_indices().nth(40) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers for the schemes' unit tests.

    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use base64::Engine as _;
    use hmac::{KeyInit as _, Mac as _};
    use http::HeaderMap;

    use super::HmacSha256;

    /// The HMAC-SHA256 of `parts` concatenated, keyed with `key`.
    pub(crate) fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// [`mac`] in lower-case hex.
    pub(crate) fn mac_hex(key: &[u8], parts: &[&[u8]]) -> String {
        hex::encode(mac(key, parts))
    }

    /// [`mac`] in padded standard base64.
    pub(crate) fn mac_base64(key: &[u8], parts: &[&[u8]]) -> String {
        base64::engine::general_purpose::STANDARD.encode(mac(key, parts))
    }

    /// A header map from name/value pairs (a name may repeat).
    pub(crate) fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::try_from(*name).expect("test header name"),
                value.parse().expect("test header value"),
            );
        }
        map
    }

    /// The instant `secs` unix seconds.
    pub(crate) fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// Five minutes, the usual tolerance.
    pub(crate) const FIVE_MINUTES: Duration = Duration::from_secs(300);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_writes_extremes() {
        assert_eq!(Decimal::new(0).as_bytes(), b"0");
        assert_eq!(Decimal::new(1_614_265_330).as_bytes(), b"1614265330");
        assert_eq!(
            Decimal::new(i64::MIN).as_bytes(),
            i64::MIN.to_string().as_bytes()
        );
    }

    #[test]
    fn base64_decoding_needs_exactly_32_bytes() {
        let padded = "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert!(decode(padded, Encoding::Base64).is_some());
        assert!(decode(padded.trim_end_matches('='), Encoding::Base64).is_some());
        assert_eq!(decode("bm9wZQ==", Encoding::Base64), None);
        assert_eq!(decode(&"A".repeat(48), Encoding::Base64), None);
        assert_eq!(decode(&"A".repeat(4000), Encoding::Base64), None);
        assert_eq!(decode("not base64!", Encoding::Base64), None);
    }

    #[test]
    fn hex_decoding_needs_exactly_32_bytes_in_either_case() {
        let lower = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(decode(lower, Encoding::Hex).is_some());
        assert_eq!(
            decode(lower, Encoding::Hex),
            decode(&lower.to_uppercase(), Encoding::Hex)
        );
        assert_eq!(decode(&lower[2..], Encoding::Hex), None);
        assert_eq!(decode(&format!("{lower}00"), Encoding::Hex), None);
        assert_eq!(decode(&lower.replace('7', "g"), Encoding::Hex), None);
    }

    #[test]
    fn age_is_checked_both_ways_inclusive_of_the_tolerance() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let tolerance = Duration::from_secs(300);
        assert_eq!(check_age(700, now, tolerance), Ok(()));
        assert_eq!(check_age(1_300, now, tolerance), Ok(()));
        assert_eq!(
            check_age(699, now, tolerance),
            Err(Rejection::Stale { age_secs: 301 })
        );
        assert_eq!(
            check_age(1_301, now, tolerance),
            Err(Rejection::Future { ahead_secs: 301 })
        );
        assert_eq!(
            check_age(i64::MIN, now, tolerance),
            Err(Rejection::Stale { age_secs: i64::MAX })
        );
        assert_eq!(
            check_age(i64::MAX, now, tolerance),
            Err(Rejection::Future {
                ahead_secs: i64::MAX - 1_000
            })
        );
        assert_eq!(check_age(5, now, Duration::MAX), Ok(()));
    }

    #[test]
    fn truncate_keeps_char_boundaries() {
        assert_eq!(truncate("short"), "short");
        assert_eq!(truncate(&"é".repeat(50)).chars().count(), 40);
    }
}
