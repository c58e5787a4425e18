//! Store URLs as messages show them: without their password.

/// `url` with its password replaced by `***` (`postgres://u:***@host/db`),
/// for messages and logs; a URL without a password (or a plain file path)
/// comes back as it is.
///
/// The URL is parsed, so a password holding `@`, `:` or `/` is hidden
/// whole, written raw or percent-encoded. Text that does not parse as a
/// URL but has a user part (`…://…@…`) loses everything before its last
/// `@`, to be safe.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            if parsed.set_password(Some("***")).is_ok() {
                return parsed.to_string();
            }
            hide_user_part(url)
        }
        Ok(_) => url.to_owned(),
        Err(_) => hide_user_part(url),
    }
}

/// `scheme://***@rest` for text with `://` and a later `@`; else as it is.
fn hide_user_part(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) if at >= scheme.len() + 3 => {
            format!("{scheme}://***{}", &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn a_password_with_at_and_colon_is_hidden_whole() {
        let shown = redact_url("postgres://holdfast:p@ss:w@rd@db.internal:5432/hf?sslmode=disable");
        assert_eq!(
            shown,
            "postgres://holdfast:***@db.internal:5432/hf?sslmode=disable"
        );
        for part in ["p@ss", "ss:w", "w@rd", "rd@", "%40"] {
            assert!(!shown.contains(part), "`{part}` leaked: {shown}");
        }
    }

    #[test]
    fn encoded_passwords_and_urls_without_one() {
        assert_eq!(
            redact_url("postgres://u:p%40ss@h:5432/db?x=1"),
            "postgres://u:***@h:5432/db?x=1"
        );
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://holdfast.db"), "sqlite://holdfast.db");
        assert_eq!(redact_url("/var/lib/holdfast.db"), "/var/lib/holdfast.db");
        assert_eq!(redact_url("store.db"), "store.db");
        assert_eq!(redact_url("pg://u:pw@[bad/db"), "pg://***@[bad/db");
    }
}
