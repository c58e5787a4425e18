//! A generic HMAC-SHA256 of the raw body in one header, hex or base64, after
//! an optional prefix. No timestamp.

use hmac::Mac as _;
use http::{HeaderMap, HeaderName};

use super::common::{self, Keys};
use super::{Encoding, Rejection, Verified};

/// Verifies a request whose `header` carries `prefix` then the signature of
/// the body in `encoding`.
pub(super) fn verify(
    keys: &Keys,
    header: &HeaderName,
    encoding: Encoding,
    prefix: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Verified, Rejection> {
    let value = common::required(headers, header)?;
    let encoded = strip_prefix_ignore_case(value, prefix).ok_or_else(|| {
        common::malformed(
            header,
            format!(
                "`{}` does not start with `{prefix}`",
                common::truncate(value)
            ),
        )
    })?;
    let signature = common::decode(encoded, encoding).ok_or_else(|| {
        common::malformed(
            header,
            format!(
                "`{}` is not {}",
                common::truncate(encoded),
                common::expected_form(encoding)
            ),
        )
    })?;
    if keys.any_matches(|mac| mac.update(body), || std::iter::once(signature)) {
        Ok(Verified {
            event_id: None,
            timestamp: None,
        })
    } else {
        Err(Rejection::BadSignature)
    }
}

/// `value` without `prefix`, compared ignoring ASCII case.
fn strip_prefix_ignore_case<'v>(value: &'v str, prefix: &str) -> Option<&'v str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &value[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::super::common::test_support::{at, headers, mac, mac_base64, mac_hex};
    use super::super::{Scheme, Verifier, VerifierError};
    use super::*;
    use std::time::Duration;

    const SECRET: &str = "generic-secret";
    const BODY: &[u8] = br#"{"event":"order.paid"}"#;

    fn verifier(encoding: Encoding, prefix: &str, secrets: &[&str]) -> Verifier {
        Verifier::new(
            Scheme::HmacSha256 {
                header: "X-Signature".to_owned(),
                encoding,
                prefix: prefix.to_owned(),
            },
            secrets.iter().map(|s| (*s).to_owned()).collect(),
            Duration::from_secs(300),
        )
        .expect("valid configuration")
    }

    fn request(value: &str) -> HeaderMap {
        headers(&[("x-signature", value)])
    }

    #[test]
    fn accepts_hex_and_base64_with_and_without_a_prefix() {
        let hex = mac_hex(SECRET.as_bytes(), &[BODY]);
        let base64 = mac_base64(SECRET.as_bytes(), &[BODY]);
        let cases = [
            (Encoding::Hex, "", hex.clone()),
            (Encoding::Hex, "", hex.to_uppercase()),
            (Encoding::Hex, "sha256=", format!("sha256={hex}")),
            (Encoding::Hex, "sha256=", format!("SHA256={hex}")),
            (Encoding::Base64, "", base64.clone()),
            (
                Encoding::Base64,
                "",
                base64.trim_end_matches('=').to_owned(),
            ),
            (Encoding::Base64, "v1=", format!("v1={base64}")),
        ];
        for (encoding, prefix, value) in cases {
            assert_eq!(
                verifier(encoding, prefix, &[SECRET]).verify(&request(&value), BODY, at(0)),
                Ok(Verified {
                    event_id: None,
                    timestamp: None,
                }),
                "{encoding:?} {prefix:?} {value}"
            );
        }
    }

    #[test]
    fn rejects_a_tampered_body_and_the_wrong_secret() {
        let value = mac_hex(SECRET.as_bytes(), &[BODY]);
        let verifier = verifier(Encoding::Hex, "", &[SECRET]);
        assert_eq!(
            verifier.verify(&request(&value), b"{}", at(0)),
            Err(Rejection::BadSignature)
        );
        let wrong = mac_hex(b"other-secret", &[BODY]);
        assert_eq!(
            verifier.verify(&request(&wrong), BODY, at(0)),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn key_rotation_accepts_any_secret() {
        let value = mac_hex(b"new-secret", &[BODY]);
        let map = request(&value);
        let both = verifier(Encoding::Hex, "", &["old-secret", "new-secret"]);
        assert!(both.verify(&map, BODY, at(0)).is_ok());
        let old = verifier(Encoding::Hex, "", &["old-secret"]);
        assert_eq!(old.verify(&map, BODY, at(0)), Err(Rejection::BadSignature));
    }

    #[test]
    fn rejects_a_missing_or_malformed_header() {
        let verifier = verifier(Encoding::Hex, "sha256=", &[SECRET]);
        assert_eq!(
            verifier.verify(&HeaderMap::new(), BODY, at(0)),
            Err(Rejection::MissingHeader("x-signature".to_owned()))
        );
        let hex = mac_hex(SECRET.as_bytes(), &[BODY]);
        let base64 = mac_base64(SECRET.as_bytes(), &[BODY]);
        for value in [
            hex.clone(),
            format!("sha1={hex}"),
            format!("sha256={}", &hex[..62]),
            format!("sha256={base64}"),
            "sha256=".to_owned(),
        ] {
            let rejection = verifier
                .verify(&request(&value), BODY, at(0))
                .expect_err("malformed");
            assert_eq!(rejection.reason(), "malformed", "{value}: {rejection}");
        }
        let base64_verifier = super::super::Verifier::new(
            Scheme::HmacSha256 {
                header: "X-Signature".to_owned(),
                encoding: Encoding::Base64,
                prefix: String::new(),
            },
            vec![SECRET.to_owned()],
            Duration::ZERO,
        )
        .expect("valid configuration");
        let raw_bytes = hex::encode(mac(SECRET.as_bytes(), &[BODY]));
        assert_eq!(
            base64_verifier
                .verify(&request(&raw_bytes), BODY, at(0))
                .map_err(|rejection| rejection.reason()),
            Err("malformed")
        );
    }

    #[test]
    fn an_invalid_header_name_is_refused_at_start() {
        for header in ["", "X Signature", "X-Signature:"] {
            let error = Verifier::new(
                Scheme::HmacSha256 {
                    header: header.to_owned(),
                    encoding: Encoding::Hex,
                    prefix: String::new(),
                },
                vec![SECRET.to_owned()],
                Duration::ZERO,
            )
            .expect_err("invalid header");
            assert!(
                matches!(error, VerifierError::InvalidHeader { .. }),
                "{header:?}: {error:?}"
            );
        }
    }

    #[test]
    fn prefix_matching_respects_char_boundaries() {
        assert_eq!(strip_prefix_ignore_case("sha256=ab", "SHA256="), Some("ab"));
        assert_eq!(strip_prefix_ignore_case("sh", "sha256="), None);
        assert_eq!(strip_prefix_ignore_case("éa", "x"), None);
        assert_eq!(strip_prefix_ignore_case("abc", ""), Some("abc"));
    }
}
