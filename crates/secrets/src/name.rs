//! Which names a secret may have: ones a template can read as `secret.NAME`.

use crate::SecretsError;

/// The longest secret name.
const MAX_NAME: usize = 128;

/// Checks that `name` can be read as `{{ secret.NAME }}`: ASCII letters,
/// digits and `_`, not starting with a digit, at most 128 characters.
///
/// # Errors
/// [`SecretsError::BadName`] otherwise.
pub fn check_name(name: &str) -> Result<(), SecretsError> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && name.len() <= MAX_NAME && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(SecretsError::BadName {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_only() {
        for ok in ["crm_token", "_x", "A1"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1a", "crm-token", "a.b", "é", &"a".repeat(129)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
