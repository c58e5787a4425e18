//! RFC 8288 `Link` headers.

/// The target of the first link whose `rel` includes `next`, from one or more
/// `Link` header values joined with commas.
///
/// ```
/// let h = r#"<https://api.test/x?page=1>; rel="first", <https://api.test/x?page=3>; rel="next""#;
/// assert_eq!(holdfast_records::link_next(h).as_deref(), Some("https://api.test/x?page=3"));
/// ```
pub fn link_next(header: &str) -> Option<String> {
    let mut rest = header;
    loop {
        let open = rest.find('<')?;
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        // Parameters run to the next link (a comma followed by `<`), outside quotes.
        let end = next_link_start(after);
        let params = &after[..end];
        if params.split(';').any(|p| is_next_rel(p.trim())) {
            return Some(target.trim().to_owned());
        }
        rest = &after[end..];
    }
}

fn next_link_start(s: &str) -> usize {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => return i,
            _ => {}
        }
    }
    s.len()
}

fn is_next_rel(param: &str) -> bool {
    let Some((name, value)) = param.split_once('=') else {
        return false;
    };
    name.trim().eq_ignore_ascii_case("rel")
        && value
            .trim()
            // the last parameter of a link that another link follows ends with its comma
            .trim_end_matches(',')
            .trim()
            .trim_matches('"')
            .split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case("next"))
}

#[cfg(test)]
mod tests {
    use super::link_next;

    #[test]
    fn picks_next_among_many() {
        assert_eq!(
            link_next(r#"<a>; rel="prev", <b>; rel="next""#).as_deref(),
            Some("b")
        );
        assert_eq!(link_next(r#"<b>; rel=next"#).as_deref(), Some("b"));
        assert_eq!(
            link_next(r#"<b>; title="x, <y>"; rel="next last""#).as_deref(),
            Some("b")
        );
        assert_eq!(link_next(r#"<a>; rel="first""#), None);
        // GitHub and json-server: `next` followed by other links.
        assert_eq!(
            link_next(r#"<a>; rel="first", <b>; rel="next", <c>; rel="last""#).as_deref(),
            Some("b")
        );
        assert_eq!(link_next(""), None);
    }
}
