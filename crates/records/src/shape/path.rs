//! Field paths: how a position in a record is written (`name.first`, `items[].sku`) and read back.
//!
//! A key is escaped with `\` before `.`, `[`, `]`, `\` and `"` so every path splits back
//! unambiguously; an empty key is written `""`. The root record is the empty path.

/// The last step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A member of an object, unescaped.
    Key(String),
    /// The items of an array (`[]`).
    Item,
}

/// Appends the object member `key` to `path`.
pub(crate) fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    if key.is_empty() {
        path.push_str("\"\"");
    } else if key.bytes().any(needs_escape) {
        for c in key.chars() {
            if c.is_ascii() && needs_escape(c as u8) {
                path.push('\\');
            }
            path.push(c);
        }
    } else {
        path.push_str(key);
    }
}

/// Appends the array items step `[]` to `path`.
pub(crate) fn push_item(path: &mut String) {
    path.push_str("[]");
}

/// Splits `path` into its parent path and last step; `None` for the root (`""`).
pub(crate) fn split_path(path: &str) -> Option<(&str, Seg)> {
    if path.is_empty() {
        return None;
    }
    let bytes = path.as_bytes();
    let (mut last_dot, mut last_open) = (None, None);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                i += 2;
                continue;
            }
            b'.' => last_dot = Some(i),
            b'[' => last_open = Some(i),
            _ => {}
        }
        i += 1;
    }
    let len = bytes.len();
    if path.ends_with("[]") && last_open == Some(len - 2) {
        return Some((&path[..len - 2], Seg::Item));
    }
    let (parent, key) = match last_dot {
        Some(d) => (&path[..d], &path[d + 1..]),
        None => ("", path),
    };
    Some((parent, Seg::Key(unescape(key))))
}

fn needs_escape(b: u8) -> bool {
    matches!(b, b'.' | b'[' | b']' | b'\\' | b'"')
}

fn unescape(key: &str) -> String {
    if key == "\"\"" {
        return String::new();
    }
    let mut out = String::with_capacity(key.len());
    let mut chars = key.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(parent: &str, k: &str) -> String {
        let mut p = parent.to_owned();
        push_key(&mut p, k);
        p
    }

    #[test]
    fn paths_split_back_into_their_steps() {
        let cases = [
            ("name.first", Some(("name", Seg::Key("first".into())))),
            ("tags[]", Some(("tags", Seg::Item))),
            ("items[].sku", Some(("items[]", Seg::Key("sku".into())))),
            ("m[][]", Some(("m[]", Seg::Item))),
            ("[]", Some(("", Seg::Item))),
            ("id", Some(("", Seg::Key("id".into())))),
            ("", None),
        ];
        for (path, want) in cases {
            assert_eq!(split_path(path), want, "{path}");
        }
    }

    #[test]
    fn odd_keys_are_escaped_and_round_trip() {
        for k in ["a.b", "x[]", "back\\slash", "\"q\"", "", "ünï.cödé"] {
            let path = key("root", k);
            assert_eq!(
                split_path(&path),
                Some(("root", Seg::Key(k.into()))),
                "{path}"
            );
        }
        assert_eq!(key("", "a.b"), "a\\.b");
        assert_eq!(key("", ""), "\"\"");
        assert_eq!(split_path("x\\[]"), Some(("", Seg::Key("x[]".into()))));
    }
}
