//! Exact numbers: decimal text parsed into digits, never through `f64`, so
//! "12345678901234567890.12" survives a round trip and 0.1 stays 0.1.

use serde_json::{Number, Value};

use super::coerce::found;

/// A number as written: sign, integer digits and fraction digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exact {
    /// True for a negative non-zero number.
    pub(crate) negative: bool,
    /// Integer digits without leading zeros ("0" for none).
    pub(crate) int: String,
    /// Fraction digits as written (trailing zeros kept).
    pub(crate) frac: String,
}

impl Exact {
    /// True when the fraction is all zeros (or empty).
    pub(crate) fn is_integral(&self) -> bool {
        self.frac.bytes().all(|b| b == b'0')
    }

    /// Canonical text: `-1234.50`, `0.5`, `7`.
    pub(crate) fn canonical(&self) -> String {
        let sign = if self.negative { "-" } else { "" };
        if self.frac.is_empty() {
            format!("{sign}{}", self.int)
        } else {
            format!("{sign}{}.{}", self.int, self.frac)
        }
    }
}

/// Parses `[+-]digits[.digits]` (either side of the point may be empty, not
/// both), with an `e`/`E` exponent when `exponent` is true. Surrounding
/// whitespace is ignored.
pub(crate) fn parse(text: &str, exponent: bool) -> Option<Exact> {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(at) if exponent => {
            let exp: i64 = rest[at + 1..].parse().ok()?;
            (&rest[..at], exp)
        }
        Some(_) => return None,
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    // Beyond this an exponent is not a number any column can hold.
    if exp.unsigned_abs() > 400 {
        return None;
    }
    let (int, frac) = shift(int, frac, exp);
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let zero = int == "0" && frac.bytes().all(|b| b == b'0');
    Some(Exact {
        negative: negative && !zero,
        int: int.to_owned(),
        frac,
    })
}

/// Moves the point `exp` places right (negative: left), padding with zeros.
fn shift(int: &str, frac: &str, exp: i64) -> (String, String) {
    if exp == 0 {
        return (int.to_owned(), frac.to_owned());
    }
    let all = format!("{int}{frac}");
    let point = int.len() as i64 + exp;
    if point <= 0 {
        let zeros = "0".repeat(point.unsigned_abs() as usize);
        return (String::new(), format!("{zeros}{all}"));
    }
    let point = point as usize;
    if point >= all.len() {
        let zeros = "0".repeat(point - all.len());
        return (format!("{all}{zeros}"), String::new());
    }
    (all[..point].to_owned(), all[point..].to_owned())
}

/// Significant digits every decimal with at most that many survives a
/// round trip through an `f64` (`f64::DIGITS`).
const FLOAT_DIGITS: usize = f64::DIGITS as usize;

/// False for a JSON number held as a float whose shortest form has more
/// than [`FLOAT_DIGITS`] significant digits: the text the API sent may have
/// been rounded when it was parsed, so "exact" could not be promised.
/// Integers (held as `i64`/`u64`) are always exact.
pub(crate) fn float_is_exact(n: &Number) -> bool {
    if !n.is_f64() {
        return true;
    }
    let text = n.to_string();
    let mantissa = text.split(['e', 'E']).next().unwrap_or(&text);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    significant.len() <= FLOAT_DIGITS
}

/// A JSON number's literal text, exactly.
pub(crate) fn number(n: &Number) -> Option<Exact> {
    parse(&n.to_string(), true)
}

/// Coerces `value` to an exact decimal kept as canonical text.
pub(crate) fn decimal(
    value: &Value,
    thousands: Option<char>,
    point: char,
) -> Result<Value, String> {
    let fail = || format!("expected a decimal, found {}", found(value));
    let exact = match value {
        Value::Number(n) if !float_is_exact(n) => {
            return Err(format!(
                "{n} came as a JSON number with more significant digits than a float keeps \
                 exactly ({FLOAT_DIGITS}), so its last digits may already differ from what the \
                 API sent; have the API send it as a string, or map it as `type: number`"
            ));
        }
        Value::Number(n) => number(n),
        Value::String(s) => localized(s, thousands, point),
        _ => None,
    };
    exact.map(|e| Value::String(e.canonical())).ok_or_else(fail)
}

/// Parses text with the API's separators: the thousands separator may only
/// split the integer part into groups of three, the point appears at most once.
fn localized(text: &str, thousands: Option<char>, point: char) -> Option<Exact> {
    let text = text.trim();
    let mut parts = text.split(point);
    let int = parts.next()?;
    let frac = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let int = match thousands {
        Some(sep) if int.contains(sep) => ungroup(int, sep)?,
        _ => int.to_owned(),
    };
    let plain = match frac {
        Some(frac) => format!("{int}.{frac}"),
        None => int,
    };
    parse(&plain, false)
}

/// `-1,234,567` → `-1234567`, rejecting groups that are not three digits.
fn ungroup(int: &str, sep: char) -> Option<String> {
    let (sign, digits) = match int.strip_prefix(['-', '+']) {
        Some(rest) => (&int[..1], rest),
        None => ("", int),
    };
    let mut groups = digits.split(sep);
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 {
        return None;
    }
    let mut out = format!("{sign}{first}");
    for group in groups {
        if group.len() != 3 {
            return None;
        }
        out.push_str(group);
    }
    Some(out)
}
