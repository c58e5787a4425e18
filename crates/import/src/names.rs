//! Names for streams, connections, parameters and inputs: snake_case,
//! singular forms, and unique among their siblings.

/// `Contact-Details` / `contactDetails` → `contact_details`; only ASCII
/// letters, digits and `_`, never starting with a digit, never empty.
pub fn snake(text: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let out = out.trim_matches('_').to_owned();
    if out.is_empty() {
        "item".to_owned()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("n{out}")
    } else {
        out
    }
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

/// `name`, or `name_2`, `name_3`… whichever `taken` does not hold yet.
pub fn unique(name: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == name) {
        return name.to_owned();
    }
    (2..)
        .map(|n| format!("{name}_{n}"))
        .find(|n| !taken.contains(n))
        .unwrap_or_else(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_and_singular() {
        assert_eq!(snake("contactDetails"), "contact_details");
        assert_eq!(snake("Contact-Details"), "contact_details");
        assert_eq!(snake("/api/v2/"), "api_v2");
        assert_eq!(snake("2fa"), "n2fa");
        assert_eq!(singular("contacts"), "contact");
        assert_eq!(singular("companies"), "company");
        assert_eq!(singular("addresses"), "address");
        assert_eq!(singular("status"), "status");
        assert_eq!(unique("a", &["a".into(), "a_2".into()]), "a_3");
    }
}
