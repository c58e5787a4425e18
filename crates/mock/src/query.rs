//! Query strings: decoding, typed parameters with 400s that name the parameter, encoding.

use std::fmt::Write;

use crate::dates::parse_since;
use crate::error::ApiError;

/// Page size when none is given.
const DEFAULT_LIMIT: usize = 100;
/// Largest page size; bigger requests are clamped.
const MAX_LIMIT: i64 = 1000;

/// The decoded `name=value` pairs of a query string, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Decodes a raw query string (`+` is a space, `%XX` a byte, bad escapes kept as is).
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Self(pairs)
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The page size in `name`: 100 if absent, clamped to 1..=1000.
    ///
    /// # Errors
    /// 400 if the value is not a whole number.
    pub(crate) fn limit(&self, name: &str) -> Result<usize, ApiError> {
        match self.get(name) {
            None => Ok(DEFAULT_LIMIT),
            Some(v) => {
                let n: i64 = v.trim().parse().map_err(|_| not_number(name, v))?;
                Ok(n.clamp(1, MAX_LIMIT) as usize)
            }
        }
    }

    /// A non-negative whole number in `name`, `default` if absent.
    ///
    /// # Errors
    /// 400 if the value is not a non-negative whole number.
    pub(crate) fn number(&self, name: &str, default: u64) -> Result<u64, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| not_number(name, v)),
        }
    }

    /// The smallest offset that `updated_since` lets through (0 if absent).
    ///
    /// # Errors
    /// 400 if `updated_since` is not an RFC 3339 time.
    pub(crate) fn since(&self) -> Result<u64, ApiError> {
        match self.get("updated_since") {
            None => Ok(0),
            Some(v) => parse_since(v).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "invalid `updated_since`: expected an RFC 3339 time such as \
                     2024-01-01T00:00:00Z, got `{v}`"
                ))
            }),
        }
    }

    /// Re-encodes the pairs, with `first` in front and every `drop`ped name left out.
    pub(crate) fn encode_with(&self, first: &[(&str, &str)], drop: &[&str]) -> String {
        let mut out = String::new();
        let rest = self.0.iter().filter(|(k, _)| !drop.contains(&k.as_str()));
        let rest = rest.map(|(k, v)| (k.as_str(), v.as_str()));
        for (k, v) in first.iter().copied().chain(rest) {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(&encode(k));
            out.push('=');
            out.push_str(&encode(v));
        }
        out
    }
}

fn not_number(name: &str, got: &str) -> ApiError {
    ApiError::bad_request(format!(
        "invalid `{name}`: expected a non-negative whole number, got `{got}`"
    ))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |i: usize| bytes.get(i).and_then(|&b| (b as char).to_digit(16));
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
            (b'+', _, _) => out.push(b' '),
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_reencodes() {
        let p = Params::parse(Some("a=1%2B2+3&b=%zz&limit=x&c"));
        assert_eq!(p.get("a"), Some("1+2 3"));
        assert_eq!(p.get("b"), Some("%zz"));
        assert_eq!(p.get("c"), Some(""));
        assert!(
            p.limit("limit")
                .is_err_and(|e| e.message.contains("`limit`"))
        );
        assert_eq!(
            p.encode_with(&[("t", "x y")], &["b", "c", "limit"]),
            "t=x%20y&a=1%2B2%203"
        );
    }

    #[test]
    fn limits_are_clamped() {
        let p = Params::parse(Some("a=0&b=5000&c=-3&d=7"));
        let got: Vec<_> = ["a", "b", "c", "d", "e"].map(|n| p.limit(n).ok()).to_vec();
        assert_eq!(got, [Some(1), Some(1000), Some(1), Some(7), Some(100)]);
    }
}
