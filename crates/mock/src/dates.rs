//! Fast date formatting for generated records, and parsing of `updated_since`.
//!
//! Every timestamp is kept as whole seconds after [`BASE`] (an "offset"): contact `id`
//! was last updated at offset `id` unless it was touched.

use std::fmt;

/// 2024-01-01T00:00:00Z as a Unix timestamp: offset 0.
pub(crate) const BASE: i64 = 1_704_067_200;

/// Formats a Unix timestamp as `2024-01-01T00:00:17Z`.
pub(crate) struct Rfc3339(pub(crate) i64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// Formats days since 1970-01-01 as `dd/mm/yyyy`.
pub(crate) struct DayMonthYear(pub(crate) i64);

impl fmt::Display for DayMonthYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{d:02}/{m:02}/{y:04}")
    }
}

/// Parses an RFC 3339 time into the smallest offset whose second is at or after it
/// (never below 0); `None` if the text is not RFC 3339.
///
/// A `+` in a query string decodes to a space, so a space before the zone is read as `+`.
pub(crate) fn parse_since(text: &str) -> Option<u64> {
    let fixed = text.replace(' ', "+");
    let time = chrono::DateTime::parse_from_rfc3339(&fixed).ok()?;
    let mut secs = time.timestamp() - BASE;
    if time.timestamp_subsec_nanos() > 0 {
        secs += 1;
    }
    Some(u64::try_from(secs).unwrap_or(0))
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_chrono() {
        for t in [
            0,
            BASE,
            BASE + 17,
            BASE + 86_399,
            951_782_400,
            4_102_444_800,
            -1,
        ] {
            let expected = chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            assert_eq!(Some(Rfc3339(t).to_string()), expected);
        }
        assert_eq!(DayMonthYear(19_785).to_string(), "03/03/2024");
    }

    #[test]
    fn parses_since() {
        assert_eq!(parse_since("2024-01-01T00:00:17Z"), Some(17));
        assert_eq!(parse_since("2024-01-01T01:00:17 01:00"), Some(17));
        assert_eq!(parse_since("2024-01-01T00:00:16.5Z"), Some(17));
        assert_eq!(parse_since("1999-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_since("yesterday"), None);
    }
}
