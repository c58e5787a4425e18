//! Names in OpenAPI imports: the shared rules ([`crate::names`]) and JSONPaths
//! to response members.

pub(crate) use crate::names::{Unique, env_name, identifier, singular, snake};

/// A JSONPath (RFC 9535) to the member at `segments` from the root:
/// `$.meta.next_cursor`, or `$['@odata.nextLink']` for names that are not
/// plain identifiers.
pub(crate) fn json_path(segments: &[String]) -> String {
    let mut out = String::from("$");
    for s in segments {
        out.push_str(&crate::path::member(s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_to_members() {
        let segs = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            json_path(&segs(&["meta", "next_cursor"])),
            "$.meta.next_cursor"
        );
        assert_eq!(
            json_path(&segs(&["@odata.nextLink"])),
            "$['@odata.nextLink']"
        );
    }
}
