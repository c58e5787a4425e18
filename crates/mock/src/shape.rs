//! Shape drift ([`ShapeVersion`]): the contacts' documented shape, or a
//! drifted one, for testing drift detection.

use std::fmt;
use std::str::FromStr;

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
    fn shape_versions_parse_and_round_trip() {
        for shape in [ShapeVersion::Original, ShapeVersion::Drifted] {
            assert_eq!(shape.as_str().parse(), Ok(shape));
            assert_eq!(ShapeVersion::from_u8(shape.to_u8()), shape);
        }
        assert_eq!(" Drifted ".parse(), Ok(ShapeVersion::Drifted));
        assert!("v2".parse::<ShapeVersion>().is_err());
    }
}
