//! Stage one: YAML text to `RawFile`, with the YAML library's errors made
//! friendly (which keys are allowed, the nearest one, found vs expected).

use crate::check::names::did_you_mean;
use crate::error::Diagnostic;
use crate::raw::RawFile;
use crate::span::SpanIndex;

/// Deserializes `text`; the one error serde stops at becomes a diagnostic,
/// placed more precisely with `index` where the library could not.
pub(crate) fn parse(text: &str, index: &SpanIndex) -> Result<RawFile, Diagnostic> {
    if text.trim().is_empty() {
        return Err(Diagnostic::new("the file is empty", "")
            .with_help("declare `connections:` and `streams:`; see the README for an example"));
    }
    yaml_serde::from_str(text).map_err(|e| diagnose(&e, index))
}

fn diagnose(error: &yaml_serde::Error, index: &SpanIndex) -> Diagnostic {
    let full = strip_locations(&error.to_string());
    let (key_path, message) = split_path(&full);
    if let Some(rest) = message.strip_prefix("unknown field ")
        && let Some(key) = backticked(rest).first()
        && let Some((path, pos)) = index.find_key_under(key_path, key)
        && let Some(parent) = path.strip_suffix(&format!(".{key}"))
    {
        return friendly(parent, message).at(pos.line, pos.column);
    }
    let mut d = friendly(key_path, message);
    if let Some(loc) = error.location() {
        d = d.at(loc.line(), loc.column());
    }
    d
}

/// Rewrites serde's wording into ours.
fn friendly(key_path: &str, message: &str) -> Diagnostic {
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
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        return Diagnostic::new(format!("duplicate key {rest}"), key_path)
            .with_help("keep one of them");
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
            let mut d = Diagnostic::new(
                format!("{what}: found {found}, expected {expected}"),
                key_path,
            );
            if !expected.is_empty() {
                let expected = if expected == "u64" {
                    "a whole number"
                } else {
                    expected
                };
                d = d.with_help(format!("write {expected} here"));
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
fn split_path(full: &str) -> (&str, &str) {
    match full.split_once(": ") {
        Some((head, rest)) if !head.is_empty() && !head.contains([' ', '`', ',']) => (head, rest),
        _ => ("", full),
    }
}

/// Drops ` at line N column M` and ` at position N` (the location is kept as data).
fn strip_locations(text: &str) -> String {
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

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> Diagnostic {
        match parse(text, &SpanIndex::build(text)) {
            Ok(raw) => panic!("expected an error, got {raw:?}"),
            Err(d) => d,
        }
    }

    #[test]
    fn friendly_messages() {
        let d = error("streams:\n  a: {}\n  a: {}\n");
        assert_eq!(
            (d.message.as_str(), d.key_path.as_str()),
            ("duplicate key `a`", "streams")
        );
        let d = error("hello");
        assert!(
            d.message
                .starts_with("wrong type: found string \"hello\", expected a mapping"),
            "{d:?}"
        );
        let d = error("connections:\n  crm: { base_url: a, base_url: b }\n");
        assert_eq!(d.message, "duplicate key `base_url`", "{d:?}");
        let d = error("  ");
        assert_eq!(d.message, "the file is empty");
        let d = error("connections:\n  crm:\n    auth: { token: x }\n");
        assert_eq!(
            (d.message.as_str(), d.key_path.as_str()),
            ("missing key `type`", "connections.crm.auth.type"),
            "{d:?}"
        );
        assert!(parse("connections:\nstreams:\n", &SpanIndex::default()).is_ok());
    }

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
