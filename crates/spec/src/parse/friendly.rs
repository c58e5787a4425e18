//! yaml_serde's messages in our words: which keys are allowed, the nearest
//! one, found vs expected.

use crate::suggest::did_you_mean;

use super::syntax;
use crate::error::Diagnostic;
use crate::span::SpanIndex;

/// An error that stops reading (YAML syntax), placed where the mistake is:
/// a tab in the indentation is named as such, and an unclosed `{`, `[` or
/// quote is reported where it opens (the library notices it lines later).
/// Otherwise placed where the library says.
pub(super) fn diagnose(error: &yaml_serde::Error, text: &str) -> Diagnostic {
    let raw = error.to_string();
    let line = error.location().map(|l| l.line());
    if let Some(d) = syntax::tab_indent(text, line).or_else(|| syntax::unclosed(&raw, text)) {
        return d;
    }
    let full = strip_locations(&raw);
    let (key_path, message) = split_path(&full);
    let mut d = friendly(key_path, message);
    if let Some(loc) = error.location() {
        d = d.at(loc.line(), loc.column());
    }
    d
}

/// An error met while reading the cleaned tree: serde's path and message
/// (split), as a diagnostic placed with `index` (the library's own location
/// is in the re-written text, not the user's).
pub(super) fn located(key_path: &str, message: &str, index: &SpanIndex) -> Diagnostic {
    let d = friendly(key_path, message);
    let pos = if message.starts_with("unknown field ") {
        index.locate_key(&d.key_path)
    } else {
        index.locate(&d.key_path)
    };
    match pos {
        Some(pos) => d.at(pos.line, pos.column),
        None => d,
    }
}

/// For `unknown field `x`, expected …`: the key found and the nearest
/// allowed one, if any.
pub(super) fn unknown_field(message: &str) -> Option<(String, Option<String>)> {
    let rest = message.strip_prefix("unknown field ")?;
    let names = backticked(rest);
    let (found, allowed) = names.split_first()?;
    let near = did_you_mean(found, allowed.iter().map(String::as_str)).map(str::to_owned);
    Some((found.clone(), near))
}

/// Rewrites serde's wording into ours.
pub(super) fn friendly(key_path: &str, message: &str) -> Diagnostic {
    let names = backticked(message);
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let found = names.first().map_or(rest, |s| s.as_str());
        let allowed = names.get(1..).unwrap_or_default();
        let path = join(key_path, found);
        let list = quote_list(allowed);
        let help = match did_you_mean(found, allowed.iter().map(String::as_str)) {
            Some(near) => format!("did you mean `{near}`? keys allowed here: {list}"),
            None if allowed.is_empty() => "remove it; no keys are allowed here".to_owned(),
            None => format!("keys allowed here: {list}"),
        };
        return Diagnostic::new(format!("unknown key `{found}`"), path).with_help(help);
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let found = names.first().map_or(rest, |s| s.as_str());
        let allowed = names.get(1..).unwrap_or_default();
        let list = quote_list(allowed);
        let help = match did_you_mean(found, allowed.iter().map(String::as_str)) {
            Some(near) => format!("did you mean `{near}`? use one of {list}"),
            None => format!("use one of {list}"),
        };
        let path = if key_path == "type" || key_path.ends_with(".type") {
            key_path.to_owned()
        } else {
            join(key_path, "type")
        };
        return Diagnostic::new(format!("unknown type `{found}`"), path).with_help(help);
    }
    if message.starts_with("missing field ") {
        let key = names.first().map_or("type", |s| s.as_str());
        return Diagnostic::new(format!("missing key `{key}`"), join(key_path, key))
            .with_help(format!("add `{key}:` here"));
    }
    if message.starts_with("duplicate key ") {
        return Diagnostic::new(message, key_path)
            .with_help("names must be unique; rename or remove one");
    }
    for (prefix, what) in [
        ("invalid type: ", "wrong type"),
        ("invalid value: ", "invalid value"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            let expected = match expected {
                "a sequence" => "a list",
                other => other,
            };
            let found = found
                .strip_prefix("sequence")
                .map_or(found.to_owned(), |r| format!("list{r}"));
            let mut d = Diagnostic::new(
                format!("{what}: found {found}, expected {expected}"),
                key_path,
            );
            let help = match expected {
                "" => None,
                "u64" => Some("write a whole number here".to_owned()),
                "a list" => {
                    Some("write a list here: one `- item` per line, or `[a, b]`".to_owned())
                }
                other => Some(format!("write {other} here")),
            };
            if let Some(help) = help {
                d = d.with_help(help);
            }
            return d;
        }
    }
    if key_path.is_empty() && !message.contains('`') {
        // libyaml's own syntax errors
        return Diagnostic::new(format!("invalid yaml: {message}"), "")
            .with_help("check the indentation and quoting around here");
    }
    Diagnostic::new(message, key_path)
}

/// Splits yaml_serde's `path: message`; a root-level message has no path.
pub(super) fn split_path(full: &str) -> (&str, &str) {
    match full.split_once(": ") {
        Some((head, rest)) if !head.is_empty() && !head.contains([' ', '`', ',']) => (head, rest),
        _ => ("", full),
    }
}

/// Drops ` at line N column M` and ` at position N` (the location is kept as data).
pub(super) fn strip_locations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" at ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        let skipped = skip_location(after);
        if skipped.len() == after.len() {
            out.push_str(" at ");
        }
        rest = skipped;
    }
    out.push_str(rest);
    out
}

fn skip_location(s: &str) -> &str {
    let digits = |s: &str| s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if let Some(r) = s.strip_prefix("line ") {
        let r2 = &r[r.len() - digits(r)..];
        if r2.len() < r.len()
            && let Some(c) = r2.strip_prefix(" column ")
        {
            let c2 = &c[c.len() - digits(c)..];
            if c2.len() < c.len() {
                return c2;
            }
        }
    } else if let Some(r) = s.strip_prefix("position ") {
        let r2 = &r[r.len() - digits(r)..];
        if r2.len() < r.len() {
            return r2;
        }
    }
    s
}

/// The names inside backticks, in order.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn quote_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_locations() {
        assert_eq!(
            strip_locations(
                "did not find expected key at line 3 column 5, while parsing a block mapping at line 1 column 1"
            ),
            "did not find expected key, while parsing a block mapping"
        );
        assert_eq!(strip_locations("look at this"), "look at this");
    }

    #[test]
    fn says_list_for_sequence() {
        let d = friendly(
            "a.errors",
            "invalid type: string \"x\", expected a sequence",
        );
        assert_eq!(d.message, "wrong type: found string \"x\", expected a list");
        assert_eq!(
            d.help.as_deref(),
            Some("write a list here: one `- item` per line, or `[a, b]`")
        );
        let d = friendly("a.b", "invalid type: sequence, expected a string");
        assert_eq!(d.message, "wrong type: found list, expected a string");
    }

    #[test]
    fn splits_paths() {
        assert_eq!(
            split_path("streams.a: unknown field `x`"),
            ("streams.a", "unknown field `x`")
        );
        assert_eq!(
            split_path("invalid type: map, expected x"),
            ("", "invalid type: map, expected x")
        );
    }
}
