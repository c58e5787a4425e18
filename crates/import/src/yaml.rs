//! A YAML document with comments, written by hand because no YAML library
//! writes comments: the importers explain every guess next to it.
//!
//! Strings are written plain when YAML reads them back as the same string,
//! and as JSON strings (valid YAML double-quoted scalars) otherwise.

use std::fmt::Write as _;

use serde_json::Value;

/// A node of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A scalar: string, number, boolean or null.
    Scalar(Value),
    /// A mapping, in the order written.
    Map(Map),
    /// A sequence.
    Seq(Vec<Node>),
}

/// A mapping whose entries may carry comments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map {
    entries: Vec<Entry>,
}

/// One `key: value` of a [`Map`], with the comment lines written above it.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    key: String,
    value: Node,
    comments: Vec<String>,
}

impl Map {
    /// An empty mapping.
    pub fn new() -> Map {
        Map::default()
    }

    /// Adds `key: value`.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<Node>) -> &mut Map {
        self.entries.push(Entry {
            key: key.into(),
            value: value.into(),
            comments: Vec::new(),
        });
        self
    }

    /// Adds `key: value` with a comment above it (each line of `comment`
    /// becomes a `#` line; empty adds none).
    pub fn set_noted(
        &mut self,
        key: impl Into<String>,
        value: impl Into<Node>,
        comment: &str,
    ) -> &mut Map {
        self.set(key, value);
        if let Some(entry) = self.entries.last_mut() {
            entry.comments = comment_lines(comment);
        }
        self
    }

    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.value)
    }
}

impl From<Map> for Node {
    fn from(map: Map) -> Node {
        Node::Map(map)
    }
}

impl From<&str> for Node {
    fn from(s: &str) -> Node {
        Node::Scalar(Value::String(s.to_owned()))
    }
}

impl From<String> for Node {
    fn from(s: String) -> Node {
        Node::Scalar(Value::String(s))
    }
}

impl From<u64> for Node {
    fn from(n: u64) -> Node {
        Node::Scalar(Value::from(n))
    }
}

impl From<i64> for Node {
    fn from(n: i64) -> Node {
        Node::Scalar(Value::from(n))
    }
}

impl From<bool> for Node {
    fn from(b: bool) -> Node {
        Node::Scalar(Value::Bool(b))
    }
}

impl From<Vec<Node>> for Node {
    fn from(items: Vec<Node>) -> Node {
        Node::Seq(items)
    }
}

impl From<&Value> for Node {
    /// A JSON value as YAML: objects become mappings, arrays sequences.
    fn from(value: &Value) -> Node {
        match value {
            Value::Object(members) => {
                let mut map = Map::new();
                for (k, v) in members {
                    map.set(k.clone(), Node::from(v));
                }
                Node::Map(map)
            }
            Value::Array(items) => Node::Seq(items.iter().map(Node::from).collect()),
            scalar => Node::Scalar(scalar.clone()),
        }
    }
}

/// Writes `map` as a YAML document, preceded by `header` as comment lines.
pub fn render(header: &str, map: &Map) -> String {
    let mut out = String::new();
    for line in comment_lines(header) {
        out.push_str(&line);
        out.push('\n');
    }
    write_map(&mut out, map, 0);
    out
}

fn comment_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            if l.trim().is_empty() {
                "#".to_owned()
            } else {
                format!("# {}", l.trim_end())
            }
        })
        .collect()
}

fn write_map(out: &mut String, map: &Map, indent: usize) {
    let pad = " ".repeat(indent);
    for entry in &map.entries {
        for c in &entry.comments {
            let _ = writeln!(out, "{pad}{c}");
        }
        let key = scalar_text(&Value::String(entry.key.clone()));
        match &entry.value {
            Node::Scalar(v) => {
                let _ = writeln!(out, "{pad}{key}: {}", scalar_text(v));
            }
            Node::Map(m) if m.is_empty() => {
                let _ = writeln!(out, "{pad}{key}: {{}}");
            }
            Node::Seq(items) if items.is_empty() => {
                let _ = writeln!(out, "{pad}{key}: []");
            }
            Node::Seq(items) if items.iter().all(|i| matches!(i, Node::Scalar(_))) => {
                let list: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        Node::Scalar(v) => scalar_text(v),
                        _ => String::new(),
                    })
                    .collect();
                let _ = writeln!(out, "{pad}{key}: [{}]", list.join(", "));
            }
            Node::Map(m) => {
                let _ = writeln!(out, "{pad}{key}:");
                write_map(out, m, indent + 2);
            }
            Node::Seq(items) => {
                let _ = writeln!(out, "{pad}{key}:");
                write_seq(out, items, indent + 2);
            }
        }
    }
}

fn write_seq(out: &mut String, items: &[Node], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        match item {
            Node::Scalar(v) => {
                let _ = writeln!(out, "{pad}- {}", scalar_text(v));
            }
            Node::Map(m) if m.is_empty() => {
                let _ = writeln!(out, "{pad}- {{}}");
            }
            Node::Seq(s) if s.is_empty() => {
                let _ = writeln!(out, "{pad}- []");
            }
            Node::Map(m) => {
                // Written at indent + 2, then the first line's padding is
                // replaced by the dash. Comments of the first entry come
                // first, so the dash goes on its own line then.
                let mut inner = String::new();
                write_map(&mut inner, m, indent + 2);
                if inner.trim_start().starts_with('#') {
                    let _ = writeln!(out, "{pad}-");
                    out.push_str(&inner);
                } else {
                    out.push_str(&pad);
                    out.push_str("- ");
                    out.push_str(&inner[indent + 2..]);
                }
            }
            Node::Seq(s) => {
                let _ = writeln!(out, "{pad}-");
                write_seq(out, s, indent + 2);
            }
        }
    }
}

/// A scalar as YAML text: plain when YAML reads it back unchanged, a JSON
/// string otherwise.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) if plain_ok(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_else(|_| "null".to_owned()),
    }
}

fn plain_ok(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_' || first == '/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_it_writes_reads_back_as_the_same_value() {
        let doc = json!({
            "name": "contacts",
            "path": "/api/contacts/{{ contact.id }}",
            "odd": ["yes", "1", "", "a: b", "#x", "naïve", "multi\nline", " x"],
            "n": 10, "t": true, "z": null,
            "nested": {"empty": {}, "list": [], "items": [{"a": 1, "b": {"c": "d"}}, [1, 2]]}
        });
        let Node::Map(map) = Node::from(&doc) else {
            panic!("a map")
        };
        let text = render("header line\n\nsecond", &map);
        let back: Value = yaml_serde::from_str(&text).expect("valid YAML");
        assert_eq!(back, doc, "{text}");
        assert!(text.starts_with("# header line\n#\n# second\n"), "{text}");
    }

    #[test]
    fn comments_go_above_their_entry_also_in_lists() {
        let mut step = Map::new();
        step.set_noted("method", "GET", "guessed from one call");
        step.set("path", "/login");
        let mut map = Map::new();
        map.set("login", vec![Node::Map(step)]);
        let text = render("", &map);
        assert_eq!(
            text,
            "login:\n  -\n    # guessed from one call\n    method: GET\n    path: /login\n"
        );
        let back: Value = yaml_serde::from_str(&text).expect("valid YAML");
        assert_eq!(
            back,
            json!({"login": [{"method": "GET", "path": "/login"}]})
        );
    }
}
