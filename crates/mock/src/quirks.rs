//! Deliberately bad records ([`bad_kind`]) and shape drift ([`ShapeVersion`]), for testing
//! schema validation, quarantine and drift detection.

use std::fmt;
use std::str::FromStr;

use crate::config::MockConfig;

/// The kinds of bad record, in rotation order: contact `id` (a multiple of
/// [`MockConfig::bad_every`] `N`) is served as kind `BAD_KINDS[(id / N) % 5]`.
///
/// - `null_email`: `"email": null`.
/// - `string_number`: `"version": "lots"` (a string where a number is due).
/// - `missing_key`: no `"id"` field at all.
/// - `renamed_field`: `"e_mail"` instead of `"email"` (same value).
/// - `bad_date`: `"created": "31/31/2024"` (not a valid dd/mm/yyyy date).
pub const BAD_KINDS: [&str; 5] = [
    "null_email",
    "string_number",
    "missing_key",
    "renamed_field",
    "bad_date",
];

/// How a bad record is broken; see [`BAD_KINDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadKind {
    NullEmail,
    StringNumber,
    MissingKey,
    RenamedField,
    BadDate,
}

impl BadKind {
    const ALL: [BadKind; 5] = [
        BadKind::NullEmail,
        BadKind::StringNumber,
        BadKind::MissingKey,
        BadKind::RenamedField,
        BadKind::BadDate,
    ];

    /// The kind of contact `id` under `bad_every` (0 = off); `id` is assumed to exist.
    pub(crate) fn of(bad_every: u64, id: u64) -> Option<BadKind> {
        if bad_every == 0 || id == 0 || !id.is_multiple_of(bad_every) {
            return None;
        }
        Some(Self::ALL[((id / bad_every) % 5) as usize])
    }

    fn name(self) -> &'static str {
        BAD_KINDS[self as usize]
    }
}

/// Which kind of bad record contact `id` is served as under `config`
/// ([`MockConfig::bad_every`]), as a [`BAD_KINDS`] name; `None` for a good record, for
/// every id when `bad_every` is 0, and for ids outside `1..=records`.
///
/// ```
/// use holdfast_mock::{MockConfig, bad_kind};
///
/// let config = MockConfig { records: 100, bad_every: 10, ..MockConfig::default() };
/// assert_eq!(bad_kind(&config, 9), None);
/// assert_eq!(bad_kind(&config, 10), Some("string_number"));
/// assert_eq!(bad_kind(&config, 50), Some("null_email"));
/// assert_eq!(bad_kind(&config, 110), None);
/// ```
pub fn bad_kind(config: &MockConfig, id: u64) -> Option<&'static str> {
    if id > config.records {
        return None;
    }
    BadKind::of(config.bad_every, id).map(BadKind::name)
}

/// The shape contacts are served in; switch it at runtime with
/// `POST /_mock/shape?version=original|drifted` or
/// [`MockServer::set_shape`](crate::MockServer::set_shape).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ShapeVersion {
    /// The documented contact shape.
    #[default]
    Original,
    /// Every contact drifted: `balance` is an object `{"value": "1234.50", "currency":
    /// "EUR"}` instead of a string, `tags` a single string (the first tag, or `""`) instead
    /// of an array, `company` is renamed `organization`, and a new field `"segment": "smb"`
    /// appears.
    Drifted,
}

impl ShapeVersion {
    /// `"original"` or `"drifted"`, as the `/_mock/shape` endpoint takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ShapeVersion::Original => "original",
            ShapeVersion::Drifted => "drifted",
        }
    }

    pub(crate) fn to_u8(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_u8(n: u8) -> Self {
        if n == ShapeVersion::Drifted as u8 {
            ShapeVersion::Drifted
        } else {
            ShapeVersion::Original
        }
    }
}

impl fmt::Display for ShapeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is neither `original` nor `drifted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownShape(pub String);

impl fmt::Display for UnknownShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown shape version `{}`; use original or drifted",
            self.0
        )
    }
}

impl std::error::Error for UnknownShape {}

impl FromStr for ShapeVersion {
    type Err = UnknownShape;

    /// `original` or `drifted` (case-insensitive, surrounding spaces ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "original" => Ok(ShapeVersion::Original),
            "drifted" => Ok(ShapeVersion::Drifted),
            _ => Err(UnknownShape(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_kinds_rotate_over_multiples() {
        let config = MockConfig {
            records: 100,
            bad_every: 10,
            ..MockConfig::default()
        };
        let bad: Vec<_> = (0..=120)
            .filter_map(|id| bad_kind(&config, id).map(|k| (id, k)))
            .collect();
        let want: Vec<_> = (1..=10u64)
            .map(|n| (n * 10, BAD_KINDS[(n % 5) as usize]))
            .collect();
        assert_eq!(bad, want);
        let off = MockConfig::default();
        assert!((0..=2000).all(|id| bad_kind(&off, id).is_none()));
        for (i, bad) in BadKind::ALL.iter().enumerate() {
            assert_eq!(bad.name(), BAD_KINDS[i]);
        }
    }

    #[test]
    fn shape_versions_parse_and_round_trip() {
        for shape in [ShapeVersion::Original, ShapeVersion::Drifted] {
            assert_eq!(shape.as_str().parse(), Ok(shape));
            assert_eq!(ShapeVersion::from_u8(shape.to_u8()), shape);
        }
        assert_eq!(" Drifted ".parse(), Ok(ShapeVersion::Drifted));
        assert!("v2".parse::<ShapeVersion>().is_err());
    }
}
