//! Naming rules (identifiers, tables, headers); "did you mean" is `crate::suggest`.

use super::context::Ctx;
pub(crate) use crate::suggest::suggestion;

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
        "invalid {what} `{}`: expected letters, digits and `_`, not starting with a digit",
        shortened(name)
    );
    let help = format!("rename it, e.g. `{}`", shortened(&to_identifier(name)));
    if matches!(what, "stream name" | "column name") {
        ctx.error_at_key(path, message, help);
    } else {
        ctx.error(path, message, help);
    }
    false
}

/// The longest identifier PostgreSQL keeps (`NAMEDATALEN - 1`): longer
/// names are cut silently, so two long names could meet in one table.
pub(crate) const MAX_IDENTIFIER_BYTES: usize = 63;

/// Prefixes a table name may not start with (compared ignoring case), each
/// with who reserves it. The store may be SQLite or PostgreSQL (`--store`
/// can change it without touching the file), so both stores' rules apply.
const RESERVED_TABLE_PREFIXES: [(&str, &str); 3] = [
    ("_holdfast", "holdfast's own tables"),
    ("sqlite_", "SQLite's own tables"),
    ("pg_", "PostgreSQL's system catalogs"),
];

/// Reports a table name that is not an identifier, is reserved by holdfast
/// or by a store (SQLite, PostgreSQL), or is longer than a store keeps.
pub(crate) fn table(ctx: &mut Ctx<'_>, path: &str, name: &str) -> bool {
    if !identifier(ctx, path, name, "table name") {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    if let Some((prefix, owner)) = RESERVED_TABLE_PREFIXES
        .iter()
        .find(|(prefix, _)| lower.starts_with(prefix))
    {
        let rest = name[prefix.len()..].trim_start_matches('_');
        let example = if rest.is_empty() { "records" } else { rest };
        ctx.error(
            path,
            format!(
                "invalid table name `{}`: names starting with `{prefix}` are reserved for {owner}",
                shortened(name)
            ),
            format!("choose another name, e.g. `into: {}`", shortened(example)),
        );
        return false;
    }
    long_identifier(ctx, path, name, "table name")
}

/// Reports a name longer than [`MAX_IDENTIFIER_BYTES`].
pub(crate) fn long_identifier(ctx: &mut Ctx<'_>, path: &str, name: &str, what: &str) -> bool {
    if name.len() <= MAX_IDENTIFIER_BYTES {
        return true;
    }
    ctx.error(
        path,
        format!(
            "invalid {what} `{}`: {} bytes long; PostgreSQL keeps at most {MAX_IDENTIFIER_BYTES}",
            shortened(name),
            name.len()
        ),
        format!(
            "choose a name of at most {MAX_IDENTIFIER_BYTES} characters, e.g. `{}`",
            &name[..MAX_IDENTIFIER_BYTES.min(name.len())]
        ),
    );
    false
}

/// `name`, or its first 40 characters and `…` when longer (a message never
/// repeats a huge name).
fn shortened(name: &str) -> String {
    match name.char_indices().nth(40) {
        Some((end, _)) => format!("{}…", &name[..end]),
        None => name.to_owned(),
    }
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
