//! GitHub: `X-Hub-Signature-256: sha256=<hex>` over the raw body; the event id
//! is `X-GitHub-Delivery`.

use http::{HeaderMap, HeaderName};

use super::common::{self, Keys};
use super::{Encoding, Rejection, Verified, hmac_sha256};

/// The signature header.
const SIGNATURE: HeaderName = HeaderName::from_static("x-hub-signature-256");
/// The delivery's id, the same across redeliveries.
const DELIVERY: HeaderName = HeaderName::from_static("x-github-delivery");
/// What precedes the hex signature.
const PREFIX: &str = "sha256=";

/// Verifies a GitHub request.
pub(super) fn verify(keys: &Keys, headers: &HeaderMap, body: &[u8]) -> Result<Verified, Rejection> {
    let delivery = common::optional(headers, &DELIVERY)?;
    let verified = hmac_sha256::verify(keys, &SIGNATURE, Encoding::Hex, PREFIX, headers, body)?;
    Ok(Verified {
        event_id: delivery.filter(|id| !id.is_empty()).map(str::to_owned),
        ..verified
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::common::test_support::{at, headers, mac_hex};
    use super::super::{Scheme, Verifier};
    use super::*;

    // The example in GitHub's "Validating webhook deliveries" documentation.
    const SECRET: &str = "It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIGNATURE_256: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    const DELIVERY_ID: &str = "72d3162e-cc78-11e3-81ab-4c9367dc0958";

    fn verifier(secrets: &[&str]) -> Verifier {
        Verifier::new(
            Scheme::Github,
            secrets.iter().map(|s| (*s).to_owned()).collect(),
            Duration::from_secs(300),
        )
        .expect("valid secrets")
    }

    fn request(signature: &str) -> HeaderMap {
        headers(&[
            ("X-Hub-Signature-256", signature),
            ("X-GitHub-Delivery", DELIVERY_ID),
        ])
    }

    #[test]
    fn accepts_the_documented_example_with_its_delivery_id() {
        assert_eq!(
            verifier(&[SECRET]).verify(&request(SIGNATURE_256), BODY, at(0)),
            Ok(Verified {
                event_id: Some(DELIVERY_ID.to_owned()),
                timestamp: None,
            })
        );
        assert_eq!(
            format!("sha256={}", mac_hex(SECRET.as_bytes(), &[BODY])),
            SIGNATURE_256
        );
    }

    #[test]
    fn the_delivery_id_is_optional() {
        let map = headers(&[("x-hub-signature-256", SIGNATURE_256)]);
        assert_eq!(
            verifier(&[SECRET]).verify(&map, BODY, at(0)),
            Ok(Verified {
                event_id: None,
                timestamp: None,
            })
        );
    }

    #[test]
    fn has_no_timestamp_so_time_does_not_matter() {
        let far_future = at(4_000_000_000);
        assert!(
            verifier(&[SECRET])
                .verify(&request(SIGNATURE_256), BODY, far_future)
                .is_ok()
        );
    }

    #[test]
    fn rejects_a_tampered_body_and_the_wrong_secret() {
        assert_eq!(
            verifier(&[SECRET]).verify(&request(SIGNATURE_256), b"Hello, World?", at(0)),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            verifier(&["It's a Secret to Nobody"]).verify(&request(SIGNATURE_256), BODY, at(0)),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn key_rotation_accepts_any_secret() {
        let map = request(SIGNATURE_256);
        assert!(
            verifier(&["previous secret", SECRET])
                .verify(&map, BODY, at(0))
                .is_ok()
        );
    }

    #[test]
    fn rejects_a_missing_or_malformed_signature() {
        let verifier = verifier(&[SECRET]);
        // Only the deprecated SHA-1 header: the SHA-256 one is required.
        let sha1_only = headers(&[("X-Hub-Signature", "sha1=0123")]);
        assert_eq!(
            verifier.verify(&sha1_only, BODY, at(0)),
            Err(Rejection::MissingHeader("x-hub-signature-256".to_owned()))
        );
        for value in [
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            "sha256=757107ea",
            "sha256=",
        ] {
            assert_eq!(
                verifier
                    .verify(&request(value), BODY, at(0))
                    .map_err(|rejection| rejection.reason()),
                Err("malformed"),
                "{value}"
            );
        }
    }
}
