//! String formats recognised in samples, named as JSON Schema's `format` keyword names them.

use std::collections::BTreeSet;
use std::fmt;

/// A string format that every string sample of a field matched.
///
/// The checks are deliberately simple and strict, so a format is only claimed when it is
/// unmistakable: it becomes the `format` of the inferred schema.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum StrFormat {
    /// An RFC 3339 timestamp with a time zone: `2024-01-01T00:00:17Z`.
    DateTime,
    /// A calendar date `YYYY-MM-DD` that exists: `2024-02-29`.
    Date,
    /// `local@domain.tld`: one `@`, no spaces, a dotted domain.
    Email,
    /// An absolute `http` or `https` URL with a host.
    Uri,
}

impl StrFormat {
    /// Every format, in order of preference when several match.
    pub const ALL: [StrFormat; 4] = [Self::DateTime, Self::Date, Self::Email, Self::Uri];

    /// The JSON Schema name: `date-time`, `date`, `email` or `uri`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DateTime => "date-time",
            Self::Date => "date",
            Self::Email => "email",
            Self::Uri => "uri",
        }
    }

    /// Whether `s` is in this format.
    pub fn matches(self, s: &str) -> bool {
        match self {
            Self::DateTime => {
                s.len() >= 20
                    && s.as_bytes()[10].eq_ignore_ascii_case(&b't')
                    && chrono::DateTime::parse_from_rfc3339(s).is_ok()
            }
            Self::Date => s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
            Self::Email => is_email(s),
            Self::Uri => is_http_url(s),
        }
    }

    /// The formats `s` matches.
    pub fn matching(s: &str) -> BTreeSet<StrFormat> {
        Self::ALL.into_iter().filter(|f| f.matches(s)).collect()
    }
}

impl fmt::Display for StrFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let plain = |part: &str| {
        !part.is_empty()
            && !part.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '@' | ':' | '/' | '<' | '>' | ',' | ';')
            })
    };
    plain(local)
        && plain(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.starts_with('/') && !s.chars().any(char::is_whitespace) => {
            url::Url::parse(s).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::StrFormat::{self, *};

    #[test]
    fn each_format_matches_only_its_own_samples() {
        let cases: [(&str, &[StrFormat]); 12] = [
            ("2024-01-01T00:00:17Z", &[DateTime]),
            ("2024-01-01t00:00:17.5+02:00", &[DateTime]),
            ("2024-01-01 00:00:17Z", &[]),
            ("2024-01-01T00:00:17", &[]),
            ("2024-02-29", &[Date]),
            ("2023-02-29", &[]),
            ("01/02/2024", &[]),
            ("ada.lovelace17@example.com", &[Email]),
            ("ada@localhost", &[]),
            ("a b@example.com", &[]),
            ("https://example.com/x?y=1", &[Uri]),
            ("ftp://example.com", &[]),
        ];
        for (s, want) in cases {
            let got: Vec<_> = StrFormat::matching(s).into_iter().collect();
            assert_eq!(got, want, "{s}");
        }
    }
}
