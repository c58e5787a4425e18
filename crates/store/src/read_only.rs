//! Opening a store only to read it: nothing is created or migrated, so its
//! schema must be the one this holdfast reads.

use crate::{StoreError, StoreErrorKind};

/// Checks the schema version `found` of the store shown as `shown` (the
/// highest migration applied; `None` when it has no migrations table)
/// against `latest`, the newest this holdfast knows.
///
/// # Errors
/// [`StoreErrorKind::Schema`] naming the store and what to do: not a
/// holdfast store, an older schema (run a command that writes, which
/// upgrades it), or a newer one (upgrade holdfast).
pub fn check_schema_version(
    shown: &str,
    found: Option<i64>,
    latest: i64,
) -> Result<(), StoreError> {
    let context = format!("opening the store `{shown}` to read it");
    match found {
        None => Err(StoreError::new(
            StoreErrorKind::Schema,
            context,
            "it is not a holdfast store (it has no `_sqlx_migrations` table): check --store, \
             HOLDFAST_STORE or `store:`, or run `holdfast sync` to create a store there",
        )),
        Some(v) if v < latest => Err(StoreError::new(
            StoreErrorKind::Schema,
            context,
            format!(
                "its schema is version {v}, older than this holdfast's ({latest}), and a command \
                 that only reads does not upgrade it: run a command that writes to it once (e.g. \
                 `holdfast sync` or `holdfast serve`), which upgrades it, then read again"
            ),
        )),
        Some(v) if v > latest => Err(StoreError::new(
            StoreErrorKind::Schema,
            context,
            format!(
                "its schema is version {v}, written by a newer holdfast (this one knows up to \
                 {latest}): upgrade holdfast"
            ),
        )),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_compared_with_advice() {
        assert!(check_schema_version("s.db", Some(9), 9).is_ok());
        let old = check_schema_version("s.db", Some(8), 9).expect_err("older");
        assert!(old.to_string().contains("`holdfast sync`"), "{old}");
        let none = check_schema_version("s.db", None, 9).expect_err("none");
        assert!(none.to_string().contains("not a holdfast store"), "{none}");
        let newer = check_schema_version("s.db", Some(10), 9).expect_err("newer");
        assert!(newer.to_string().contains("upgrade holdfast"), "{newer}");
    }
}
