//! Webhook signature verification: every scheme, arbitrary headers and body.
//!
//! Input: byte 0 picks the scheme, bytes 1..5 the clock (unix seconds,
//! little-endian u32), then text up to the first blank line is the headers
//! (`name: value` per line; lines that are not a valid header are skipped)
//! and everything after it is the body. Any outcome but a panic is fine; an
//! accepted request must carry the id and timestamp its scheme promises.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use holdfast_webhook::verify::{Encoding, Scheme, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

/// The secrets the seed corpus is signed with (two: a rotation).
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET: &str = "It's a Secret to Everybody";

fn verifiers() -> &'static [Verifier] {
    static VERIFIERS: OnceLock<Vec<Verifier>> = OnceLock::new();
    VERIFIERS.get_or_init(|| {
        let tolerance = Duration::from_secs(300);
        let secrets = || vec![SECRET.to_owned(), "an-older-secret".to_owned()];
        let hmac = |encoding, prefix: &str| Scheme::HmacSha256 {
            header: "X-Signature".to_owned(),
            encoding,
            prefix: prefix.to_owned(),
        };
        vec![
            Verifier::new(
                Scheme::StandardWebhooks,
                vec![STANDARD_SECRET.to_owned(), "whsec_b2xk".to_owned()],
                tolerance,
            ),
            Verifier::new(Scheme::Stripe, secrets(), tolerance),
            Verifier::new(Scheme::Github, secrets(), tolerance),
            Verifier::new(hmac(Encoding::Hex, ""), secrets(), tolerance),
            Verifier::new(hmac(Encoding::Hex, "sha256="), secrets(), tolerance),
            Verifier::new(hmac(Encoding::Base64, "sha256="), secrets(), tolerance),
        ]
        .into_iter()
        .map(|v| v.expect("fixture verifier"))
        .collect()
    })
}

/// Splits `name: value` lines into a header map, skipping invalid lines.
fn headers(text: &[u8]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for line in text.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            map.append(name, value);
        }
    }
    map
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let all = verifiers();
    let verifier = &all[usize::from(data[0]) % all.len()];
    let clock = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
    let now = UNIX_EPOCH + Duration::from_secs(u64::from(clock));
    let rest = &data[5..];
    let split = rest.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(at) => (&rest[..at], &rest[at + 2..]),
        None => (rest, &[][..]),
    };
    let headers = headers(head);
    match verifier.verify(&headers, body, now) {
        Ok(verified) => match verifier.scheme() {
            Scheme::StandardWebhooks => {
                assert!(verified.event_id.is_some() && verified.timestamp.is_some())
            }
            Scheme::Stripe => assert!(verified.timestamp.is_some()),
            _ => assert!(verified.timestamp.is_none()),
        },
        Err(rejection) => {
            let _ = (rejection.reason(), rejection.to_string());
        }
    }
    // The real clock too: the receiver passes `SystemTime::now()`.
    let _ = verifier.verify(&headers, body, SystemTime::now());
});
