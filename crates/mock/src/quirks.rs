//! Deliberately bad records ([`bad_kind`](crate::bad_kind)), for testing schema validation
//! and quarantine.

/// The kinds of bad record, in rotation order: contact `id` (a multiple of
/// [`MockConfig::bad_every`](crate::MockConfig::bad_every) `N`) is served as kind `BAD_KINDS[(id / N) % 5]`.
///
/// - `null_email`: `"email": null`.
/// - `string_number`: `"version": "lots"` (a string where a number is due).
/// - `missing_key`: no `"id"` field at all.
/// - `renamed_field`: `"e_mail"` instead of `"email"` (same value).
/// - `bad_date`: `"created": "31/31/2024"` (not a valid dd/mm/yyyy date).
pub const BAD_KINDS: [&str; 5] = [
    "null_email",
    "string_number",
    "missing_key",
    "renamed_field",
    "bad_date",
];

/// How a bad record is broken; see [`BAD_KINDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadKind {
    NullEmail,
    StringNumber,
    MissingKey,
    RenamedField,
    BadDate,
}

impl BadKind {
    const ALL: [BadKind; 5] = [
        BadKind::NullEmail,
        BadKind::StringNumber,
        BadKind::MissingKey,
        BadKind::RenamedField,
        BadKind::BadDate,
    ];

    /// The kind of contact `id` under `bad_every` (0 = off); `id` is assumed to exist.
    pub(crate) fn of(bad_every: u64, id: u64) -> Option<BadKind> {
        if bad_every == 0 || id == 0 || !id.is_multiple_of(bad_every) {
            return None;
        }
        Some(Self::ALL[((id / bad_every) % 5) as usize])
    }

    pub(crate) fn name(self) -> &'static str {
        BAD_KINDS[self as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MockConfig, bad_kind};

    #[test]
    fn bad_kinds_rotate_over_multiples() {
        let config = MockConfig {
            records: 100,
            bad_every: 10,
            ..MockConfig::default()
        };
        let bad: Vec<_> = (0..=120)
            .filter_map(|id| bad_kind(&config, id).map(|k| (id, k)))
            .collect();
        let want: Vec<_> = (1..=10u64)
            .map(|n| (n * 10, BAD_KINDS[(n % 5) as usize]))
            .collect();
        assert_eq!(bad, want);
        let off = MockConfig::default();
        assert!((0..=2000).all(|id| bad_kind(&off, id).is_none()));
        for (i, bad) in BadKind::ALL.iter().enumerate() {
            assert_eq!(bad.name(), BAD_KINDS[i]);
        }
    }
}
