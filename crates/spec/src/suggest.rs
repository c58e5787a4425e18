//! "Did you mean": the nearest of the names a key or reference could be.

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
}
