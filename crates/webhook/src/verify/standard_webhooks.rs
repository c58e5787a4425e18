//! [Standard Webhooks](https://www.standardwebhooks.com): `webhook-id`,
//! `webhook-timestamp` and `webhook-signature` headers; the HMAC covers
//! `{id}.{timestamp}.{body}`.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use hmac::Mac as _;
use http::{HeaderMap, HeaderName};

use super::common::{self, BASE64, Decimal, Keys, Signature};
use super::{Encoding, Rejection, Verified};

/// The delivery's id, the same across retries.
const ID: HeaderName = HeaderName::from_static("webhook-id");
/// When the delivery was signed, in unix seconds.
const TIMESTAMP: HeaderName = HeaderName::from_static("webhook-timestamp");
/// Space-separated `<version>,<signature>` entries.
const SIGNATURE: HeaderName = HeaderName::from_static("webhook-signature");
/// The prefix the specification gives secrets.
const SECRET_PREFIX: &str = "whsec_";

/// Verifies a Standard Webhooks request.
pub(super) fn verify(
    keys: &Keys,
    tolerance: Duration,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<Verified, Rejection> {
    let id = common::required(headers, &ID)?;
    let timestamp = common::required(headers, &TIMESTAMP)?;
    let signatures = common::required(headers, &SIGNATURE)?;
    if id.is_empty() {
        return Err(common::malformed(
            &ID,
            "it is empty; it must carry the delivery's id",
        ));
    }
    let timestamp = common::parse_timestamp(&TIMESTAMP, timestamp)?;
    let candidates = || signatures.split(' ').filter_map(v1_signature);
    if candidates().next().is_none() {
        return Err(common::malformed(
            &SIGNATURE,
            format!(
                "`{}` has no `v1,<signature>` entry whose signature is {}",
                common::truncate(signatures),
                common::expected_form(Encoding::Base64)
            ),
        ));
    }
    common::check_age(timestamp, now, tolerance)?;

    let timestamp_text = Decimal::new(timestamp);
    let feed = |mac: &mut common::HmacSha256| {
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp_text.as_bytes());
        mac.update(b".");
        mac.update(body);
    };
    if keys.any_matches(feed, candidates) {
        Ok(Verified {
            event_id: Some(id.to_owned()),
            timestamp: Some(timestamp),
        })
    } else {
        Err(Rejection::BadSignature)
    }
}

/// The HMAC key of a secret: the base64 after an optional `whsec_` prefix.
pub(super) fn decode_secret(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = BASE64.decode(encoded).map_err(|error| {
        format!("the part after `{SECRET_PREFIX}` is not valid base64 ({error})")
    })?;
    if key.is_empty() {
        return Err(format!("there is nothing after `{SECRET_PREFIX}`"));
    }
    Ok(key)
}

/// The signature of a `v1,<base64>` entry; `None` for other versions and for
/// entries that cannot be decoded.
fn v1_signature(entry: &str) -> Option<Signature> {
    let (version, signature) = entry.split_once(',')?;
    if version != "v1" {
        return None;
    }
    common::decode(signature, Encoding::Base64)
}

#[cfg(test)]
mod tests {
    use super::super::common::test_support::{FIVE_MINUTES, at, headers, mac_base64};
    use super::super::{Scheme, Verifier, VerifierError};
    use super::*;

    // The test vector of the Standard Webhooks reference libraries.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP_SECS: u64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE_V1: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn verifier(secrets: &[&str]) -> Verifier {
        Verifier::new(
            Scheme::StandardWebhooks,
            secrets.iter().map(|s| (*s).to_owned()).collect(),
            FIVE_MINUTES,
        )
        .expect("valid secrets")
    }

    fn request(id: &str, timestamp: &str, signature: &str) -> HeaderMap {
        headers(&[
            ("webhook-id", id),
            ("webhook-timestamp", timestamp),
            ("webhook-signature", signature),
        ])
    }

    fn vector() -> HeaderMap {
        request(MSG_ID, &TIMESTAMP_SECS.to_string(), SIGNATURE_V1)
    }

    /// A v1 signature with the key of `secret` (a `whsec_` secret).
    fn sign(secret: &str, id: &str, timestamp: u64, body: &[u8]) -> String {
        let key = decode_secret(secret).expect("valid secret");
        let timestamp = timestamp.to_string();
        let signature = mac_base64(
            &key,
            &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
        );
        format!("v1,{signature}")
    }

    #[test]
    fn accepts_the_published_test_vector() {
        let verified = verifier(&[SECRET])
            .verify(&vector(), BODY, at(TIMESTAMP_SECS))
            .expect("the reference vector verifies");
        assert_eq!(
            verified,
            Verified {
                event_id: Some(MSG_ID.to_owned()),
                timestamp: Some(1_614_265_330),
            }
        );
        // Our own signing reproduces the vector, so the helper is sound.
        assert_eq!(sign(SECRET, MSG_ID, TIMESTAMP_SECS, BODY), SIGNATURE_V1);
    }

    #[test]
    fn the_whsec_prefix_is_optional() {
        let bare = SECRET.strip_prefix("whsec_").expect("prefixed");
        assert!(
            verifier(&[bare])
                .verify(&vector(), BODY, at(TIMESTAMP_SECS))
                .is_ok()
        );
    }

    #[test]
    fn header_names_are_case_insensitive() {
        let map = headers(&[
            ("Webhook-Id", MSG_ID),
            ("WEBHOOK-TIMESTAMP", "1614265330"),
            ("Webhook-Signature", SIGNATURE_V1),
        ]);
        assert!(
            verifier(&[SECRET])
                .verify(&map, BODY, at(TIMESTAMP_SECS))
                .is_ok()
        );
    }

    #[test]
    fn rejects_a_tampered_body_id_or_timestamp() {
        let verifier = verifier(&[SECRET]);
        let now = at(TIMESTAMP_SECS);
        assert_eq!(
            verifier.verify(&vector(), br#"{"test": 2432232315}"#, now),
            Err(Rejection::BadSignature)
        );
        let other_id = request("msg_other", "1614265330", SIGNATURE_V1);
        assert_eq!(
            verifier.verify(&other_id, BODY, now),
            Err(Rejection::BadSignature)
        );
        let other_time = request(MSG_ID, "1614265331", SIGNATURE_V1);
        assert_eq!(
            verifier.verify(&other_time, BODY, now),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn rejects_the_wrong_secret() {
        let wrong = "whsec_dGhpcyBpcyBub3QgdGhlIHJpZ2h0IGtleQ==";
        assert_eq!(
            verifier(&[wrong]).verify(&vector(), BODY, at(TIMESTAMP_SECS)),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn rejects_stale_and_future_timestamps_before_checking_signatures() {
        let verifier = verifier(&[SECRET]);
        assert_eq!(
            verifier.verify(&vector(), BODY, at(TIMESTAMP_SECS + 301)),
            Err(Rejection::Stale { age_secs: 301 })
        );
        assert_eq!(
            verifier.verify(&vector(), BODY, at(TIMESTAMP_SECS - 301)),
            Err(Rejection::Future { ahead_secs: 301 })
        );
        assert!(
            verifier
                .verify(&vector(), BODY, at(TIMESTAMP_SECS + 300))
                .is_ok()
        );
        assert!(
            verifier
                .verify(&vector(), BODY, at(TIMESTAMP_SECS - 300))
                .is_ok()
        );
        // A tampered body that is also stale is reported as stale: the
        // timestamp is checked before any HMAC.
        assert_eq!(
            verifier.verify(&vector(), b"tampered", at(TIMESTAMP_SECS + 3_600)),
            Err(Rejection::Stale { age_secs: 3_600 })
        );
    }

    #[test]
    fn rejects_missing_headers_by_name() {
        let verifier = verifier(&[SECRET]);
        let now = at(TIMESTAMP_SECS);
        for missing in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            let mut map = vector();
            map.remove(missing);
            assert_eq!(
                verifier.verify(&map, BODY, now),
                Err(Rejection::MissingHeader(missing.to_owned()))
            );
        }
    }

    #[test]
    fn rejects_malformed_headers() {
        let verifier = verifier(&[SECRET]);
        let now = at(TIMESTAMP_SECS);
        let cases = [
            request(MSG_ID, "yesterday", SIGNATURE_V1),
            request(MSG_ID, "1614265330.5", SIGNATURE_V1),
            request(
                MSG_ID,
                "1614265330",
                "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            ),
            request(MSG_ID, "1614265330", "v1,not-base64!"),
            request(MSG_ID, "1614265330", "v1,bm9wZQ=="),
            request(
                MSG_ID,
                "1614265330",
                "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            ),
            request("", "1614265330", SIGNATURE_V1),
        ];
        for map in cases {
            let rejection = verifier.verify(&map, BODY, now).expect_err("malformed");
            assert_eq!(rejection.reason(), "malformed", "{map:?}: {rejection}");
        }
        let twice = headers(&[
            ("webhook-id", MSG_ID),
            ("webhook-timestamp", "1614265330"),
            ("webhook-timestamp", "1614265330"),
            ("webhook-signature", SIGNATURE_V1),
        ]);
        assert_eq!(
            verifier.verify(&twice, BODY, now),
            Err(Rejection::Malformed {
                header: "webhook-timestamp".to_owned(),
                reason: "it appears more than once; the sender (or a proxy) must send it once"
                    .to_owned(),
            })
        );
    }

    #[test]
    fn key_rotation_accepts_any_secret_and_any_v1_signature() {
        let old = "whsec_b2xkIHNlY3JldCBvbGQgc2VjcmV0IG9sZCE=";
        let new = SECRET;
        let now = at(TIMESTAMP_SECS);
        // Two secrets configured; the request is signed with the second one.
        assert!(verifier(&[old, new]).verify(&vector(), BODY, now).is_ok());
        // The vendor signs with both keys during its rotation; only the second
        // signature matches our one secret. Unknown versions are skipped.
        let both = format!(
            "v1a,c29tZXRoaW5nIGVsc2U= {} {SIGNATURE_V1}",
            sign(old, MSG_ID, TIMESTAMP_SECS, BODY)
        );
        let map = request(MSG_ID, "1614265330", &both);
        assert!(verifier(&[new]).verify(&map, BODY, now).is_ok());
        assert!(verifier(&[old]).verify(&map, BODY, now).is_ok());
        let third = "whsec_dGhpcmQgc2VjcmV0IHRoaXJkIHNlY3JldCEhIQ==";
        assert_eq!(
            verifier(&[third]).verify(&map, BODY, now),
            Err(Rejection::BadSignature)
        );
        // An undecodable v1 entry beside a good one does not spoil it.
        let noisy = request(MSG_ID, "1614265330", &format!("v1,@@@ {SIGNATURE_V1}"));
        assert!(verifier(&[new]).verify(&noisy, BODY, now).is_ok());
    }

    #[test]
    fn secrets_are_base64_decoded_after_the_prefix() {
        assert_eq!(
            decode_secret("whsec_aGVsbG8gd29ybGQ=").as_deref(),
            Ok(&b"hello world"[..])
        );
        assert_eq!(
            decode_secret("whsec_aGVsbG8gd29ybGQ").as_deref(),
            Ok(&b"hello world"[..])
        );
        assert_eq!(
            decode_secret("aGVsbG8gd29ybGQ=").as_deref(),
            Ok(&b"hello world"[..])
        );
        let error = Verifier::new(
            Scheme::StandardWebhooks,
            vec![SECRET.to_owned(), "whsec_not base64!".to_owned()],
            FIVE_MINUTES,
        )
        .expect_err("invalid base64");
        assert!(
            matches!(error, VerifierError::InvalidSecret { position: 2, .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("secret #2"), "{message}");
        assert!(message.contains("base64"), "{message}");
        assert!(
            !message.contains("not base64!"),
            "leaks the secret: {message}"
        );
        assert!(matches!(
            Verifier::new(
                Scheme::StandardWebhooks,
                vec!["whsec_".to_owned()],
                FIVE_MINUTES
            ),
            Err(VerifierError::InvalidSecret { position: 1, .. })
        ));
    }

    #[test]
    fn unusable_secret_lists_are_refused() {
        let new =
            |secrets: Vec<String>| Verifier::new(Scheme::StandardWebhooks, secrets, FIVE_MINUTES);
        assert_eq!(new(vec![]).err(), Some(VerifierError::NoSecrets));
        assert_eq!(
            new(vec![String::new()]).err(),
            Some(VerifierError::EmptySecret { position: 1 })
        );
        assert_eq!(
            new(vec![format!("{SECRET}\n")]).err(),
            Some(VerifierError::SecretWhitespace { position: 1 })
        );
    }
}
