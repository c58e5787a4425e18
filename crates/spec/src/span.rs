//! Where each key path is in the file: a path→position index built from YAML
//! events, so checks after deserializing can point at the right line.
//!
//! Paths are dotted keys with `[i]` for list items, as yaml_serde writes
//! them: `streams.deals.connection`, `streams.deals.primary_key[1]`.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, Span};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// Key and value positions of every node in the first document.
#[derive(Debug, Default)]
pub(crate) struct SpanIndex {
    nodes: HashMap<String, Node>,
    /// A key repeated in its mapping: its path, the key, where the repeat is.
    duplicates: Vec<(String, String, Pos)>,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// The key (or, for list items and the root, the value itself).
    key: Pos,
    value: Pos,
}

impl SpanIndex {
    /// Indexes `text`. A YAML syntax error ends the index where it occurs
    /// (the deserializer reports the error itself).
    pub(crate) fn build(text: &str) -> SpanIndex {
        let mut builder = Builder::default();
        for event in Parser::new_from_str(text) {
            let Ok((event, span)) = event else { break };
            if !builder.on_event(event, span) {
                break;
            }
        }
        SpanIndex {
            nodes: builder.nodes,
            duplicates: builder.duplicates,
        }
    }

    /// Keys written twice in one mapping, in file order: the path, the key
    /// and the key position of each repeat (the first one is indexed).
    pub(crate) fn duplicates(&self) -> &[(String, String, Pos)] {
        &self.duplicates
    }

    /// Where `path`'s value is; for a missing key, where its nearest
    /// existing ancestor's key is.
    pub(crate) fn locate(&self, path: &str) -> Option<Pos> {
        if let Some(node) = self.nodes.get(path) {
            return Some(node.value);
        }
        let mut rest = path;
        while let Some(cut) = rest.rfind(['.', '[']) {
            rest = &rest[..cut];
            if let Some(node) = self.nodes.get(rest) {
                return Some(node.key);
            }
        }
        self.nodes.get("").map(|n| n.value)
    }
}

impl SpanIndex {
    /// Where `path`'s key is (for problems with a name itself), else as `locate`.
    pub(crate) fn locate_key(&self, path: &str) -> Option<Pos> {
        self.nodes
            .get(path)
            .map(|n| n.key)
            .or_else(|| self.locate(path))
    }
}

enum Frame {
    Map {
        path: String,
        /// The key read and waiting for its value.
        key: Option<(String, Pos)>,
        /// The keys read so far, to spot a repeat.
        seen: Vec<String>,
        /// This collection is itself a (complex) mapping key.
        is_key: bool,
    },
    Seq {
        path: String,
        next: usize,
        is_key: bool,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    nodes: HashMap<String, Node>,
    duplicates: Vec<(String, String, Pos)>,
}

impl Builder {
    /// Handles one event; false once the first document is done.
    fn on_event(&mut self, event: Event<'_>, span: Span) -> bool {
        let pos = Pos {
            line: span.start.line(),
            column: span.start.col() + 1,
        };
        match event {
            Event::Scalar(text, ..) => {
                if self.expects_key() {
                    self.set_key(text.into_owned(), pos);
                } else {
                    self.value(pos);
                }
            }
            Event::Alias(_) => {
                if self.expects_key() {
                    self.set_key("*".into(), pos);
                } else {
                    self.value(pos);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_key = self.expects_key();
                let path = if is_key {
                    "?".to_owned()
                } else {
                    let path = self.child_path();
                    self.record(&path, pos);
                    path
                };
                self.stack.push(match event {
                    Event::MappingStart(..) => Frame::Map {
                        path,
                        key: None,
                        seen: Vec::new(),
                        is_key,
                    },
                    _ => Frame::Seq {
                        path,
                        next: 0,
                        is_key,
                    },
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let was_key = match self.stack.pop() {
                    Some(Frame::Map { is_key, .. } | Frame::Seq { is_key, .. }) => is_key,
                    None => false,
                };
                if was_key {
                    self.set_key("?".into(), pos);
                } else {
                    self.advance();
                }
            }
            Event::DocumentEnd | Event::StreamEnd => return false,
            _ => {}
        }
        true
    }

    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn set_key(&mut self, text: String, pos: Pos) {
        if let Some(Frame::Map {
            key, seen, path, ..
        }) = self.stack.last_mut()
        {
            if text != "?" && text != "*" {
                if seen.contains(&text) {
                    let full = if path.is_empty() {
                        text.clone()
                    } else {
                        format!("{path}.{text}")
                    };
                    self.duplicates.push((full, text.clone(), pos));
                } else {
                    seen.push(text.clone());
                }
            }
            *key = Some((text, pos));
        }
    }

    /// The path of the value about to be read.
    fn child_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Map { path, key, .. }) => {
                let key = key.as_ref().map_or("?", |(k, _)| k.as_str());
                if path.is_empty() {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                }
            }
            Some(Frame::Seq { path, next, .. }) => format!("{path}[{next}]"),
        }
    }

    /// Records a scalar or alias value and moves past it.
    fn value(&mut self, pos: Pos) {
        let path = self.child_path();
        self.record(&path, pos);
        self.advance();
    }

    fn record(&mut self, path: &str, value: Pos) {
        let key = match self.stack.last() {
            Some(Frame::Map {
                key: Some((_, k)), ..
            }) => *k,
            _ => value,
        };
        self.nodes
            .entry(path.to_owned())
            .or_insert(Node { key, value });
    }

    fn advance(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key, .. }) => *key = None,
            Some(Frame::Seq { next, .. }) => *next += 1,
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
connections:
  crm:
    base_url: https://x.test
streams:
  deals:
    connection: crm2
    primary_key: [a, b]
    request: { path: /deals }
";

    fn at(line: usize, column: usize) -> Option<Pos> {
        Some(Pos { line, column })
    }

    #[test]
    fn locates_values() {
        let index = SpanIndex::build(TEXT);
        assert_eq!(index.locate("connections.crm.base_url"), at(3, 15));
        assert_eq!(index.locate("streams.deals.connection"), at(6, 17));
        assert_eq!(index.locate("streams.deals.primary_key[1]"), at(7, 22));
        assert_eq!(index.locate("streams.deals.request.path"), at(8, 22));
    }

    #[test]
    fn missing_key_falls_back_to_parent_key() {
        let index = SpanIndex::build(TEXT);
        assert_eq!(index.locate("streams.deals.records"), at(5, 3));
        assert_eq!(index.locate("streams.deals.request.method"), at(8, 5));
        assert_eq!(index.locate("nowhere.at.all"), at(1, 1));
    }

    #[test]
    fn records_repeated_keys() {
        let index = SpanIndex::build("a: 1\nb: { x: 1, x: 2 }\na: 3\n");
        let found: Vec<(&str, Pos)> = index
            .duplicates()
            .iter()
            .map(|(p, _, pos)| (p.as_str(), *pos))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "b.x",
                    Pos {
                        line: 2,
                        column: 12
                    }
                ),
                ("a", Pos { line: 3, column: 1 })
            ]
        );
        assert_eq!(index.locate("a"), at(1, 4), "the first one is indexed");
    }

    #[test]
    fn syntax_error_keeps_what_was_read() {
        let index = SpanIndex::build("a: 1\nb: [\n");
        assert_eq!(index.locate("a"), at(1, 4));
    }
}
