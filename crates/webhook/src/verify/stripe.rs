//! Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`; the HMAC covers
//! `{t}.{body}`.

use std::time::{Duration, SystemTime};

use hmac::Mac as _;
use http::{HeaderMap, HeaderName};

use super::common::{self, Decimal, Keys};
use super::{Encoding, Rejection, Verified};

/// The signature header.
const SIGNATURE: HeaderName = HeaderName::from_static("stripe-signature");

/// Verifies a Stripe request.
pub(super) fn verify(
    keys: &Keys,
    tolerance: Duration,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<Verified, Rejection> {
    let header = common::required(headers, &SIGNATURE)?;
    let timestamp = timestamp(header)?;
    let candidates = || {
        items(header)
            .filter(|(key, _)| *key == "v1")
            .filter_map(|(_, value)| common::decode(value, Encoding::Hex))
    };
    if candidates().next().is_none() {
        return Err(common::malformed(
            &SIGNATURE,
            format!(
                "`{}` has no `v1=<signature>` item whose signature is {} (`v0` test-mode \
                 signatures are not accepted)",
                common::truncate(header),
                common::expected_form(Encoding::Hex)
            ),
        ));
    }
    common::check_age(timestamp, now, tolerance)?;

    let timestamp_text = Decimal::new(timestamp);
    let feed = |mac: &mut common::HmacSha256| {
        mac.update(timestamp_text.as_bytes());
        mac.update(b".");
        mac.update(body);
    };
    if keys.any_matches(feed, candidates) {
        Ok(Verified {
            event_id: None,
            timestamp: Some(timestamp),
        })
    } else {
        Err(Rejection::BadSignature)
    }
}

/// The header's comma-separated `key=value` items; items without `=` are
/// skipped like unknown keys.
fn items(header: &str) -> impl Iterator<Item = (&str, &str)> {
    header
        .split(',')
        .filter_map(|item| item.split_once('='))
        .map(|(key, value)| (key.trim(), value.trim()))
}

/// The one `t=` item, parsed.
fn timestamp(header: &str) -> Result<i64, Rejection> {
    let mut found = None;
    for (key, value) in items(header) {
        if key != "t" {
            continue;
        }
        if found.is_some() {
            return Err(common::malformed(
                &SIGNATURE,
                "it has more than one `t=` item; Stripe sends exactly one",
            ));
        }
        found = Some(common::parse_timestamp(&SIGNATURE, value)?);
    }
    found.ok_or_else(|| {
        common::malformed(
            &SIGNATURE,
            format!(
                "`{}` has no `t=<unix seconds>` item",
                common::truncate(header)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::common::test_support::{FIVE_MINUTES, at, headers, mac_hex};
    use super::super::{Scheme, Verifier};
    use super::*;

    const SECRET: &str = "whsec_test_secret_abc123";
    const T: u64 = 1_700_000_000;
    const BODY: &[u8] = br#"{"id":"evt_1","object":"event"}"#;

    fn verifier(secrets: &[&str]) -> Verifier {
        Verifier::new(
            Scheme::Stripe,
            secrets.iter().map(|s| (*s).to_owned()).collect(),
            FIVE_MINUTES,
        )
        .expect("valid secrets")
    }

    /// A v1 signature keyed with the secret's bytes as they are.
    fn sign(secret: &str, t: u64, body: &[u8]) -> String {
        mac_hex(secret.as_bytes(), &[t.to_string().as_bytes(), b".", body])
    }

    fn request(value: &str) -> HeaderMap {
        headers(&[("Stripe-Signature", value)])
    }

    fn signed() -> HeaderMap {
        request(&format!("t={T},v1={}", sign(SECRET, T, BODY)))
    }

    #[test]
    fn accepts_a_valid_signature() {
        assert_eq!(
            verifier(&[SECRET]).verify(&signed(), BODY, at(T)),
            Ok(Verified {
                event_id: None,
                timestamp: Some(1_700_000_000),
            })
        );
    }

    #[test]
    fn the_key_is_the_secret_with_its_prefix() {
        // Keyed with the bytes after `whsec_`, the signature must not verify.
        let without_prefix = mac_hex(
            b"test_secret_abc123",
            &[T.to_string().as_bytes(), b".", BODY],
        );
        let map = request(&format!("t={T},v1={without_prefix}"));
        assert_eq!(
            verifier(&[SECRET]).verify(&map, BODY, at(T)),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn rejects_a_tampered_body_or_timestamp() {
        let verifier = verifier(&[SECRET]);
        assert_eq!(
            verifier.verify(&signed(), br#"{"id":"evt_2","object":"event"}"#, at(T)),
            Err(Rejection::BadSignature)
        );
        let moved = request(&format!("t={},v1={}", T + 1, sign(SECRET, T, BODY)));
        assert_eq!(
            verifier.verify(&moved, BODY, at(T)),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn rejects_the_wrong_secret() {
        assert_eq!(
            verifier(&["whsec_another"]).verify(&signed(), BODY, at(T)),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn rejects_stale_and_future_timestamps() {
        let verifier = verifier(&[SECRET]);
        assert_eq!(
            verifier.verify(&signed(), BODY, at(T + 301)),
            Err(Rejection::Stale { age_secs: 301 })
        );
        assert_eq!(
            verifier.verify(&signed(), BODY, at(T - 600)),
            Err(Rejection::Future { ahead_secs: 600 })
        );
        assert!(verifier.verify(&signed(), BODY, at(T + 300)).is_ok());
    }

    #[test]
    fn rejects_a_missing_header() {
        assert_eq!(
            verifier(&[SECRET]).verify(&HeaderMap::new(), BODY, at(T)),
            Err(Rejection::MissingHeader("stripe-signature".to_owned()))
        );
    }

    #[test]
    fn rejects_malformed_headers() {
        let good = sign(SECRET, T, BODY);
        let verifier = verifier(&[SECRET]);
        for value in [
            format!("v1={good}"),
            format!("t=soon,v1={good}"),
            format!("t={T},t={T},v1={good}"),
            format!("t={T}"),
            format!("t={T},v0={good}"),
            format!("t={T},v1={}", &good[..60]),
            format!("t={T},v1=zz{}", &good[2..]),
            good.clone(),
        ] {
            let rejection = verifier
                .verify(&request(&value), BODY, at(T))
                .expect_err("malformed");
            assert_eq!(rejection.reason(), "malformed", "{value}: {rejection}");
        }
    }

    #[test]
    fn key_rotation_accepts_any_secret_and_any_v1_signature() {
        let old = "whsec_old";
        let new = SECRET;
        // Two secrets configured; signed with the second.
        assert!(verifier(&[old, new]).verify(&signed(), BODY, at(T)).is_ok());
        // Two v1 signatures (Stripe sends one per active secret); only the
        // second matches. A v0 and an unknown item are ignored.
        let map = request(&format!(
            "t={T},v1={},v0=abcd,scheme=x,v1={}",
            sign(old, T, BODY),
            sign(new, T, BODY)
        ));
        assert!(verifier(&[new]).verify(&map, BODY, at(T)).is_ok());
        assert_eq!(
            verifier(&["whsec_third"]).verify(&map, BODY, at(T)),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn tolerates_spaces_around_items() {
        let map = request(&format!("t={T}, v1={}", sign(SECRET, T, BODY)));
        assert!(verifier(&[SECRET]).verify(&map, BODY, at(T)).is_ok());
    }
}
