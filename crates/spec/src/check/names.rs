//! Naming rules (identifiers, tables, headers) and "did you mean".

use super::context::Ctx;

/// The candidate nearest to `found`, if one is close enough to be a typo.
pub(crate) fn did_you_mean<'c>(
    found: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let limit = (found.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != found)
        .map(|c| {
            let exact_but_case = c.eq_ignore_ascii_case(found);
            let distance = if exact_but_case {
                0
            } else {
                strsim::damerau_levenshtein(found, c)
            };
            (distance, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `; did you mean `x`?`, or nothing.
pub(crate) fn suggestion<'c>(found: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    did_you_mean(found, candidates)
        .map(|near| format!("; did you mean `{near}`?"))
        .unwrap_or_default()
}

/// `^[A-Za-z_][A-Za-z0-9_]*$`.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Reports `name` at `path` unless it is an identifier.
pub(crate) fn identifier(ctx: &mut Ctx<'_>, path: &str, name: &str, what: &str) -> bool {
    if is_identifier(name) {
        return true;
    }
    let message = format!(
        "invalid {what} `{name}`: expected letters, digits and `_`, not starting with a digit"
    );
    let help = format!("rename it, e.g. `{}`", to_identifier(name));
    if matches!(what, "stream name" | "column name") {
        ctx.error_at_key(path, message, help);
    } else {
        ctx.error(path, message, help);
    }
    false
}

/// Reports a table name that is not an identifier or is one of ours.
pub(crate) fn table(ctx: &mut Ctx<'_>, path: &str, name: &str) -> bool {
    if !identifier(ctx, path, name, "table name") {
        return false;
    }
    if name.to_ascii_lowercase().starts_with("_holdfast") {
        ctx.error(
            path,
            format!("invalid table name `{name}`: names starting with `_holdfast` are reserved"),
            format!(
                "choose another name, e.g. `{}`",
                name.trim_start_matches('_')
            ),
        );
        return false;
    }
    true
}

/// Reports a header name that is not an RFC 9110 token.
pub(crate) fn header(ctx: &mut Ctx<'_>, path: &str, name: &str) {
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(tchar) {
        ctx.error(
            path,
            format!("invalid header name `{name}`"),
            "use letters, digits and `-`, e.g. `Api-Version`",
        );
    }
}

/// A best-effort identifier for a help line.
pub(crate) fn to_identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        assert_eq!(did_you_mean("crm2", ["crm", "billing"]), Some("crm"));
        assert_eq!(did_you_mean("curser", ["cursor", "env"]), Some("cursor"));
        assert_eq!(did_you_mean("Records", ["records"]), Some("records"));
        assert_eq!(did_you_mean("zzz", ["cursor", "env"]), None);
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("contacts_2"));
        assert!(is_identifier("_x"));
        assert!(!is_identifier("2x"));
        assert!(!is_identifier("deal-items"));
        assert!(!is_identifier(""));
        assert_eq!(to_identifier("deal-items"), "deal_items");
        assert_eq!(to_identifier("2x"), "_2x");
    }
}
