//! Elements to JSON values, by the crate's documented mapping.

use serde_json::{Map, Value};

/// One element being read: its name, attributes, children and text.
#[derive(Debug, Default)]
pub(crate) struct Frame {
    /// The element's local name.
    pub(crate) name: String,
    /// The line its start tag is on.
    pub(crate) line: u64,
    attributes: Vec<(String, String)>,
    children: Vec<(String, Value)>,
    text: String,
    /// `xsi:nil="true"`.
    nil: bool,
}

impl Frame {
    /// A new element `name` starting at `line`.
    pub(crate) fn new(name: String, line: u64) -> Self {
        Frame {
            name,
            line,
            ..Frame::default()
        }
    }

    /// Adds attribute `name` (a local name): `nil` from the XML Schema
    /// instance namespace marks the element null.
    pub(crate) fn attribute(&mut self, prefix: Option<&str>, name: &str, value: String) {
        if name == "nil" && prefix == Some("xsi") {
            self.nil = matches!(value.trim(), "true" | "1");
            return;
        }
        self.attributes.push((name.to_owned(), value));
    }

    /// Adds text (character data, CDATA, a resolved reference).
    pub(crate) fn text(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Adds a finished child element.
    pub(crate) fn child(&mut self, name: String, value: Value) {
        self.children.push((name, value));
    }

    /// The element's value. `arrays`: names that are always arrays.
    pub(crate) fn finish(self, arrays: &[String]) -> Value {
        if self.nil {
            return Value::Null;
        }
        if self.attributes.is_empty() && self.children.is_empty() {
            return Value::String(self.text);
        }
        let mut object = Map::new();
        for (name, value) in self.attributes {
            object.insert(format!("@{name}"), Value::String(value));
        }
        let text = if self.children.is_empty() {
            self.text.as_str()
        } else {
            self.text.trim()
        };
        if !text.trim().is_empty() {
            object.insert("#text".to_owned(), Value::String(text.to_owned()));
        }
        for (name, value) in self.children {
            // element values are never arrays: an array here is a group
            match object.get_mut(&name) {
                Some(Value::Array(items)) => items.push(value),
                Some(first) => *first = Value::Array(vec![first.take(), value]),
                None if arrays.contains(&name) => {
                    object.insert(name, Value::Array(vec![value]));
                }
                None => {
                    object.insert(name, value);
                }
            }
        }
        object.into()
    }
}
