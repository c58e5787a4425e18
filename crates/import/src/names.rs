//! Names the connector file accepts, for both importers: stream and connection names are
//! identifiers (`^[A-Za-z_][A-Za-z0-9_]*$`), at most 63 bytes (a stream's
//! name is its table's), not starting with a prefix a store reserves;
//! environment variables are upper snake case.

use std::collections::BTreeSet;

/// The longest identifier PostgreSQL keeps, as `holdfast check` enforces.
const MAX_NAME: usize = 63;

/// Table prefixes holdfast and the stores reserve (compared ignoring case).
const RESERVED_PREFIXES: [&str; 3] = ["_holdfast", "sqlite_", "pg_"];

/// `listForRepo`, `issues/list-for-repo`, `List Issues` → `list_for_repo`,
/// `issues_list_for_repo`, `list_issues`. Letters and digits only, words
/// split at case changes and at anything else; may be empty.
pub fn snake(text: &str) -> String {
    let mut out = String::new();
    let mut prev: Option<char> = None;
    let chars: Vec<char> = text.chars().filter(|c| *c != '\'').collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = c.is_ascii_uppercase()
                && prev.is_some_and(|p| {
                    p.is_ascii_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_ascii_uppercase() && next_lower)
                });
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        prev = Some(c);
    }
    out.trim_end_matches('_').to_owned()
}

/// `owner`, `X-Request-Id` → `OWNER`, `X_REQUEST_ID`.
pub fn env_name(text: &str) -> String {
    let s = snake(text).to_ascii_uppercase();
    match s.chars().next() {
        None => "VALUE".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("V_{s}"),
        Some(_) => s,
    }
}

/// A valid stream or connection name from `text` (snake case), `fallback`
/// when nothing is left; a leading digit or a reserved prefix gets `api_`.
pub fn identifier(text: &str, fallback: &str) -> String {
    let mut s = snake(text);
    if s.is_empty() {
        s = fallback.to_owned();
    }
    let lower = s.to_ascii_lowercase();
    if s.starts_with(|c: char| c.is_ascii_digit())
        || RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p))
    {
        s = format!("api_{s}");
    }
    cut(&s, MAX_NAME).to_owned()
}

/// Names handed out once each: a repeated name gets `_2`, `_3`, … and
/// stays within 63 bytes.
#[derive(Debug, Default)]
pub struct Unique {
    taken: BTreeSet<String>,
}

impl Unique {
    /// `name`, or the first `name_N` not taken yet; it is then taken.
    pub fn claim(&mut self, name: &str) -> String {
        let mut candidate = name.to_owned();
        let mut n = 2;
        while self.taken.contains(&candidate) {
            let suffix = format!("_{n}");
            candidate = format!("{}{suffix}", cut(name, MAX_NAME - suffix.len()));
            n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}

/// `s` cut to at most `max` bytes (identifiers are ASCII) without a
/// trailing `_`.
fn cut(s: &str, max: usize) -> &str {
    let end = s.len().min(max);
    s.get(..end).unwrap_or(s).trim_end_matches('_')
}

/// `contacts` → `contact`, `companies` → `company`, `addresses` → `address`.
pub fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = word
        .strip_suffix("sses")
        .or_else(|| word.strip_suffix("xes"))
        .or_else(|| word.strip_suffix("ches"))
        .or_else(|| word.strip_suffix("shes"))
    {
        format!("{stem}{}", &word[stem.len()..word.len() - 2])
    } else if let Some(stem) = word
        .strip_suffix('s')
        .filter(|s| !s.is_empty() && !s.ends_with(['s', 'u', 'i']))
    {
        stem.to_owned()
    } else {
        word.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names() {
        assert_eq!(snake("issues/list-for-repo"), "issues_list_for_repo");
        assert_eq!(snake("listPetsByID"), "list_pets_by_id");
        assert_eq!(snake("HTTPServerList"), "http_server_list");
        assert_eq!(
            snake("GitHub's official OpenAPI"),
            "git_hubs_official_open_api"
        );
        assert_eq!(snake("--"), "");
        assert_eq!(env_name("X-Request-Id"), "X_REQUEST_ID");
        assert_eq!(env_name("2fa"), "V_2FA");
        assert_eq!(identifier("pg_stats", "api"), "api_pg_stats");
        assert_eq!(identifier("3d-models", "api"), "api_3d_models");
        assert_eq!(identifier("", "api"), "api");
    }

    #[test]
    fn unique_names_stay_short() {
        let mut u = Unique::default();
        let long = "a".repeat(63);
        assert_eq!(u.claim(&long), long);
        let second = u.claim(&long);
        assert_eq!(second.len(), 63);
        assert!(second.ends_with("_2"));
        assert_eq!(u.claim("x"), "x");
        assert_eq!(u.claim("x"), "x_2");
        assert_eq!(u.claim("x"), "x_3");
    }

    #[test]
    fn singulars() {
        assert_eq!(singular("issues"), "issue");
        assert_eq!(singular("categories"), "category");
        assert_eq!(singular("boxes"), "box");
        assert_eq!(singular("status"), "status");
        assert_eq!(singular("class"), "class");
        assert_eq!(singular("contacts"), "contact");
        assert_eq!(singular("addresses"), "address");
    }
}
