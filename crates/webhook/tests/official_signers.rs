//! Interoperability: requests signed by the vendors' official libraries
//! (PyPI `standardwebhooks` and `stripe`; GitHub's documented recipe in
//! Python) verify, and stop verifying once tampered with.
//!
//! Needs python3 with venv and pip, and PyPI on first run (see
//! `support/python.rs`); without them these tests fail, they never skip.

mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use holdfast_webhook::verify::{Encoding, Rejection, Scheme, Verified, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

const TOLERANCE: Duration = Duration::from_secs(300);

/// Signs every request with `tests/fixtures/sign.py` in one Python process
/// and returns the headers to send, in order.
fn sign(requests: &[Value]) -> Vec<HeaderMap> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sign.py");
    let mut child = Command::new(support::python::python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", script.display()));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input: String = requests
        .iter()
        .map(|request| format!("{request}\n"))
        .collect();
    // Written from a thread so that a large output cannot block the writes.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("sign.py runs");
    writer
        .join()
        .expect("writer thread")
        .expect("sign.py reads its input");
    assert!(
        output.status.success(),
        "{} failed ({}):\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("sign.py prints UTF-8");
    let signed: Vec<HeaderMap> = stdout.lines().map(header_map).collect();
    assert_eq!(
        signed.len(),
        requests.len(),
        "one line per request:\n{stdout}"
    );
    signed
}

/// The `headers` object of one line of sign.py's output.
fn header_map(line: &str) -> HeaderMap {
    let value: Value = serde_json::from_str(line).expect("a JSON line");
    let mut map = HeaderMap::new();
    for (name, value) in value["headers"].as_object().expect("a headers object") {
        map.append(
            HeaderName::try_from(name.as_str()).expect("a header name"),
            HeaderValue::from_str(value.as_str().expect("a string")).expect("a header value"),
        );
    }
    map
}

fn verifier(scheme: Scheme, secrets: &[&str]) -> Verifier {
    Verifier::new(
        scheme,
        secrets.iter().map(|s| (*s).to_owned()).collect(),
        TOLERANCE,
    )
    .expect("valid configuration")
}

fn at(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs.try_into().expect("after 1970"))
}

/// Bodies that exercise escaping, UTF-8, emptiness and size.
fn bodies() -> Vec<String> {
    vec![
        r#"{"type":"contact.updated","data":{"id":"c_1","name":"Ada"}}"#.to_owned(),
        "{\n  \"note\": \"héllo ✓ — 日本語\",\n  \"n\": 1.50\n}\n".to_owned(),
        String::new(),
        format!(r#"{{"blob":"{}"}}"#, "x".repeat(200_000)),
    ]
}

/// A Standard Webhooks secret: `whsec_` and the base64 of `key`.
fn whsec(key: &[u8]) -> String {
    format!("whsec_{}", STANDARD.encode(key))
}

/// The body with one byte changed.
fn tampered(body: &str) -> Vec<u8> {
    let mut bytes = body.as_bytes().to_vec();
    match bytes.first_mut() {
        Some(first) => *first ^= 0x01,
        None => bytes.push(b' '),
    }
    bytes
}

#[test]
fn standard_webhooks_official_signatures_verify_and_tampering_is_caught() {
    // 24- and 32-byte keys: base64 without and with padding.
    let secrets = [whsec(b"0123456789abcdefghijklmn"), whsec(&[0xA5; 32])];
    let timestamp = 1_767_225_600;
    let mut requests = Vec::new();
    for secret in &secrets {
        for (n, body) in bodies().iter().enumerate() {
            requests.push(json!({
                "scheme": "standard_webhooks", "secret": secret,
                "id": format!("msg_{n}"), "timestamp": timestamp, "body": body,
            }));
        }
    }
    let signed = sign(&requests);
    for (request, headers) in requests.iter().zip(&signed) {
        let secret = request["secret"].as_str().expect("secret");
        let body = request["body"].as_str().expect("body");
        let verifier = verifier(Scheme::StandardWebhooks, &[secret]);
        let now = at(timestamp);
        assert_eq!(
            verifier.verify(headers, body.as_bytes(), now),
            Ok(Verified {
                event_id: Some(request["id"].as_str().expect("id").to_owned()),
                timestamp: Some(timestamp),
            }),
            "{secret} {:.60}",
            body
        );
        assert_eq!(
            verifier.verify(headers, &tampered(body), now),
            Err(Rejection::BadSignature)
        );
        let mut other_id = headers.clone();
        other_id.insert("webhook-id", HeaderValue::from_static("msg_replayed"));
        assert_eq!(
            verifier.verify(&other_id, body.as_bytes(), now),
            Err(Rejection::BadSignature)
        );
        let mut other_time = headers.clone();
        other_time.insert("webhook-timestamp", HeaderValue::from(timestamp + 1));
        assert_eq!(
            verifier.verify(&other_time, body.as_bytes(), now),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            verifier.verify(headers, body.as_bytes(), at(timestamp + 301)),
            Err(Rejection::Stale { age_secs: 301 })
        );
        assert_eq!(
            verifier.verify(headers, body.as_bytes(), at(timestamp - 301)),
            Err(Rejection::Future { ahead_secs: 301 })
        );
        let wrong = verifier_with_other_key();
        assert_eq!(
            wrong.verify(headers, body.as_bytes(), now),
            Err(Rejection::BadSignature)
        );
    }
}

fn verifier_with_other_key() -> Verifier {
    verifier(
        Scheme::StandardWebhooks,
        &[&whsec(b"some other key entirely")],
    )
}

#[test]
fn standard_webhooks_key_rotation_with_official_signatures() {
    let old = whsec(b"the old key, still valid");
    let new = whsec(b"the new key, just created");
    let (id, timestamp, body) = ("msg_rotation", 1_767_225_600_i64, r#"{"rotating":true}"#);
    let request = |secret: &str| json!({"scheme": "standard_webhooks", "secret": secret, "id": id, "timestamp": timestamp, "body": body});
    let signed = sign(&[request(&old), request(&new)]);
    let signature = |headers: &HeaderMap| {
        headers["webhook-signature"]
            .to_str()
            .expect("ASCII")
            .to_owned()
    };
    let now = at(timestamp);

    // Our side rotates: both secrets configured, the sender uses the new one.
    let both = verifier(Scheme::StandardWebhooks, &[&old, &new]);
    assert!(both.verify(&signed[1], body.as_bytes(), now).is_ok());
    assert!(both.verify(&signed[0], body.as_bytes(), now).is_ok());

    // The sender rotates: two signatures, only the second one ours.
    let mut two = signed[0].clone();
    let combined = format!("{} {}", signature(&signed[0]), signature(&signed[1]));
    two.insert(
        "webhook-signature",
        HeaderValue::from_str(&combined).expect("ASCII"),
    );
    let only_new = verifier(Scheme::StandardWebhooks, &[&new]);
    assert!(only_new.verify(&two, body.as_bytes(), now).is_ok());
    assert_eq!(
        verifier_with_other_key().verify(&two, body.as_bytes(), now),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn stripe_official_signatures_verify_and_tampering_is_caught() {
    let secrets = ["whsec_8cX2pQ7vN1mZkR4tY6wB0eL3", "whsec_another+/=secret"];
    let timestamp = 1_767_225_600;
    let mut requests = Vec::new();
    for secret in secrets {
        for body in bodies() {
            requests.push(json!({
                "scheme": "stripe", "secret": secret, "id": "", "timestamp": timestamp, "body": body,
            }));
        }
    }
    let signed = sign(&requests);
    for (request, headers) in requests.iter().zip(&signed) {
        let secret = request["secret"].as_str().expect("secret");
        let body = request["body"].as_str().expect("body");
        let verifier = verifier(Scheme::Stripe, &[secret]);
        let now = at(timestamp);
        assert_eq!(
            verifier.verify(headers, body.as_bytes(), now),
            Ok(Verified {
                event_id: None,
                timestamp: Some(timestamp),
            }),
            "{secret} {:.60}",
            body
        );
        assert_eq!(
            verifier.verify(headers, &tampered(body), now),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            verifier.verify(headers, body.as_bytes(), at(timestamp + 301)),
            Err(Rejection::Stale { age_secs: 301 })
        );
        assert_eq!(
            verifier.verify(headers, body.as_bytes(), at(timestamp - 301)),
            Err(Rejection::Future { ahead_secs: 301 })
        );
        // Stripe keys with the whole secret, prefix included.
        let without_prefix = secret.strip_prefix("whsec_").expect("prefixed");
        assert_eq!(
            self::verifier(Scheme::Stripe, &[without_prefix]).verify(headers, body.as_bytes(), now),
            Err(Rejection::BadSignature)
        );
    }
}

#[test]
fn stripe_key_rotation_with_official_signatures() {
    let (old, new) = ("whsec_old_secret_1", "whsec_new_secret_2");
    let (timestamp, body) = (
        1_767_225_600_i64,
        r#"{"id":"evt_1","type":"charge.succeeded"}"#,
    );
    let request = |secret: &str| json!({"scheme": "stripe", "secret": secret, "id": "", "timestamp": timestamp, "body": body});
    let signed = sign(&[request(old), request(new)]);
    let now = at(timestamp);
    assert!(
        verifier(Scheme::Stripe, &[old, new])
            .verify(&signed[1], body.as_bytes(), now)
            .is_ok()
    );

    // Stripe sends one v1 per active secret while an endpoint's secret rolls.
    let v1 = |headers: &HeaderMap| {
        let value = headers["stripe-signature"].to_str().expect("ASCII");
        let (_, signature) = value.split_once(",v1=").expect("a v1 item");
        signature.to_owned()
    };
    let combined = format!("t={timestamp},v1={},v1={}", v1(&signed[0]), v1(&signed[1]));
    let mut two = HeaderMap::new();
    two.insert(
        "stripe-signature",
        HeaderValue::from_str(&combined).expect("ASCII"),
    );
    assert!(
        verifier(Scheme::Stripe, &[new])
            .verify(&two, body.as_bytes(), now)
            .is_ok()
    );
    assert_eq!(
        verifier(Scheme::Stripe, &["whsec_unrelated"]).verify(&two, body.as_bytes(), now),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn github_signatures_per_its_documentation_verify_and_tampering_is_caught() {
    let secret = "It's a Secret to Everybody";
    let requests: Vec<Value> = bodies()
        .iter()
        .enumerate()
        .map(|(n, body)| {
            json!({"scheme": "github", "secret": secret, "id": format!("delivery-{n}"), "timestamp": 0, "body": body})
        })
        .collect();
    let signed = sign(&requests);
    let verifier = verifier(Scheme::Github, &["an old secret", secret]);
    for (request, headers) in requests.iter().zip(&signed) {
        let body = request["body"].as_str().expect("body");
        assert_eq!(
            verifier.verify(headers, body.as_bytes(), SystemTime::now()),
            Ok(Verified {
                event_id: Some(request["id"].as_str().expect("id").to_owned()),
                timestamp: None,
            })
        );
        assert_eq!(
            verifier.verify(headers, &tampered(body), SystemTime::now()),
            Err(Rejection::BadSignature)
        );
    }
}

#[test]
fn generic_hmac_sha256_signatures_verify_in_hex_and_base64() {
    let secret = "shpss_generic_secret";
    let body = r#"{"order":{"id":42,"total":"19.90"}}"#;
    let cases = [
        ("X-Signature", Encoding::Hex, "sha256=", "hex"),
        ("X-Shopify-Hmac-Sha256", Encoding::Base64, "", "base64"),
    ];
    let requests: Vec<Value> = cases
        .iter()
        .map(|(header, _, prefix, encoding)| {
            json!({"scheme": "hmac_sha256", "secret": secret, "id": "", "timestamp": 0, "body": body,
                   "header": header, "encoding": encoding, "prefix": prefix})
        })
        .collect();
    let signed = sign(&requests);
    for ((header, encoding, prefix, _), headers) in cases.iter().zip(&signed) {
        let scheme = Scheme::HmacSha256 {
            header: (*header).to_owned(),
            encoding: *encoding,
            prefix: (*prefix).to_owned(),
        };
        let verifier = verifier(scheme, &[secret]);
        assert!(
            verifier
                .verify(headers, body.as_bytes(), SystemTime::now())
                .is_ok(),
            "{header}"
        );
        assert_eq!(
            verifier.verify(headers, &tampered(body), SystemTime::now()),
            Err(Rejection::BadSignature)
        );
    }
}
