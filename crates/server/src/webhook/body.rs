//! What a webhook body must be before it is acknowledged: UTF-8 text that
//! is one JSON value nested at most [`MAX_DEPTH`] levels deep.
//!
//! The worker reads a queued event later with `serde_json`; whatever it
//! could not read must be refused now, with a 400, rather than acknowledged
//! and then dead-lettered. So the receiver checks the body with the same
//! parser and the same limits, in one pass: into a [`Value`] when the event
//! id is in the body, otherwise through `Checked`, which keeps nothing
//! (no allocation for a body without escapes) but descends like a `Value`
//! would, so nesting, numbers and strings are held to the same rules.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// The deepest nesting of arrays and objects accepted: `serde_json`'s
/// recursion limit (128 open brackets fail, 127 pass), which every later
/// parse of the event is held to as well.
pub const MAX_DEPTH: usize = 127;

/// Why a body cannot be acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// Bytes that are not UTF-8.
    #[error("the body is not UTF-8: invalid byte at offset {offset}; send JSON encoded as UTF-8")]
    NotUtf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
    /// Arrays or objects nested too deep.
    #[error(
        "the body nests arrays or objects deeper than {MAX_DEPTH} levels ({detail}); \
         holdfast reads events up to that depth"
    )]
    TooDeep {
        /// The parser's message, with the line and column.
        detail: String,
    },
    /// Not one JSON value.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
}

impl BodyError {
    /// The stable label counted for the webhook (`not_utf8`, `too_deep`,
    /// `not_json`).
    pub fn reason(&self) -> &'static str {
        match self {
            BodyError::NotUtf8 { .. } => "not_utf8",
            BodyError::TooDeep { .. } => "too_deep",
            BodyError::NotJson(_) => "not_json",
        }
    }
}

/// Checks `body`; returns it as text, and parsed when `parse` is true.
///
/// # Errors
/// A [`BodyError`] saying why the body cannot be acknowledged.
pub fn check(body: &[u8], parse: bool) -> Result<(&str, Option<Value>), BodyError> {
    let text = std::str::from_utf8(body).map_err(|e| BodyError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let parsed = if parse {
        serde_json::from_str::<Value>(text).map(Some)
    } else {
        serde_json::from_str::<Checked>(text).map(|_| None)
    }
    .map_err(|e| {
        let message = e.to_string();
        // serde_json's only signal for its recursion limit is its message
        // (pinned by a test below)
        if message.starts_with("recursion limit exceeded") {
            BodyError::TooDeep { detail: message }
        } else {
            BodyError::NotJson(message)
        }
    })?;
    Ok((text, parsed))
}

/// Any JSON value, checked and dropped. Unlike [`IgnoredAny`], which
/// `serde_json` skips without counting depth or reading numbers, it visits
/// every array, object, number and string as parsing into a `Value` would.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Checked, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<IgnoredAny, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn the_depth_limit_is_the_one_every_later_parse_has() {
        for parse in [false, true] {
            assert!(check(nested(MAX_DEPTH).as_bytes(), parse).is_ok());
            let err = check(nested(MAX_DEPTH + 1).as_bytes(), parse).expect_err("too deep");
            assert_eq!(err.reason(), "too_deep", "{err}");
            let deep = nested(10_000);
            let err = check(deep.as_bytes(), parse).expect_err("too deep");
            assert_eq!(err.reason(), "too_deep", "{err}");
            assert!(err.to_string().contains("deeper than 127"), "{err}");
        }
        // what the worker does with a queued body
        assert!(serde_json::from_str::<Value>(&nested(MAX_DEPTH)).is_ok());
        assert!(serde_json::from_str::<Value>(&nested(MAX_DEPTH + 1)).is_err());
    }

    #[test]
    fn objects_count_as_levels_too() {
        let deep = format!(
            "{}1{}",
            r#"{"a":"#.repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        let err = check(deep.as_bytes(), false).expect_err("too deep");
        assert_eq!(err.reason(), "too_deep");
    }

    #[test]
    fn invalid_utf8_is_refused_wherever_it_is() {
        let in_string = b"{\"name\": \"caf\xe9\"}";
        let outside = b"{\"name\": 1}\xff";
        for body in [&in_string[..], &outside[..]] {
            for parse in [false, true] {
                let err = check(body, parse).expect_err("not UTF-8");
                assert_eq!(err.reason(), "not_utf8");
            }
        }
        assert_eq!(
            check(in_string, false),
            Err(BodyError::NotUtf8 { offset: 13 })
        );
    }

    #[test]
    fn what_a_value_refuses_is_refused_unparsed_too() {
        for body in [
            "not JSON",
            "{\"a\": 1} trailing",
            "1e400",
            "{\"a\": [1, 2,]}",
            "",
            "\"\\ud800 unpaired\"x",
        ] {
            let checked = check(body.as_bytes(), false);
            assert_eq!(
                checked.is_ok(),
                serde_json::from_str::<Value>(body).is_ok(),
                "{body}"
            );
            if let Err(e) = checked {
                assert_eq!(e.reason(), "not_json", "{body}: {e}");
            }
        }
    }

    #[test]
    fn good_bodies_pass_and_parse_when_asked() {
        let body = br#"{"id": "evt_1", "n": [1, -2, 3.5, true, null, "\u00e9"]}"#;
        let (text, parsed) = check(body, true).expect("good");
        assert_eq!(text.len(), body.len());
        assert_eq!(parsed.expect("parsed")["id"], "evt_1");
        assert_eq!(check(body, false).expect("good").1, None);
    }
}
