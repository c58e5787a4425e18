//! Stage one: YAML text to `RawFile`, reading past mistakes.
//!
//! The text becomes a value tree first (a YAML syntax error stops here:
//! there is nothing to check). The tree is then read into the raw types;
//! each key serde refuses (unknown, wrong type, unknown `type:`) is
//! reported, left out of the tree, and the tree read again, so one mistake
//! does not hide the others from `check`. A repeated key is reported and
//! its first value kept.

mod friendly;
mod syntax;
mod tree;

use std::collections::BTreeSet;

use serde::Deserialize;
use yaml_serde::{Mapping, Value};

use self::tree::{Seg, Tree};
use crate::error::Diagnostic;
use crate::raw::RawFile;
use crate::span::SpanIndex;

/// What stage one read, and what it found wrong on the way.
pub(crate) struct Parsed {
    /// The file without its bad parts; `None` when nothing can be checked.
    pub(crate) raw: Option<RawFile>,
    /// The problems found so far.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Keys left out (or misspelt) because of a reported problem.
    pub(crate) explained: Explained,
}

/// Key paths whose absence is already explained by a reported problem: a
/// value left out, or a required key typed under a misspelt name. `check`
/// does not report them (or anything below them) as missing.
#[derive(Debug, Default)]
pub(crate) struct Explained(BTreeSet<String>);

impl Explained {
    /// Nothing explained.
    pub(crate) const fn new() -> Self {
        Explained(BTreeSet::new())
    }

    /// True when `path` or one of its parents is explained.
    pub(crate) fn covers(&self, path: &str) -> bool {
        let mut rest = path;
        loop {
            if self.0.contains(rest) {
                return true;
            }
            match rest.rfind(['.', '[']) {
                Some(cut) => rest = &rest[..cut],
                None => return false,
            }
        }
    }
}

/// At most this many read-and-leave-out rounds (one per problem).
const MAX_ROUNDS: usize = 1000;

/// Reads `text` into a `RawFile`, leaving out (and reporting) what serde
/// refuses; positions come from `index`.
pub(crate) fn parse(text: &str, index: &SpanIndex) -> Parsed {
    let mut found = Parsed {
        raw: None,
        diagnostics: Vec::new(),
        explained: Explained::new(),
    };
    if text.trim().is_empty() {
        found.diagnostics.push(
            Diagnostic::new("the file is empty", "")
                .with_help("declare `connections:` and `streams:`; see the README for an example"),
        );
        return found;
    }
    let mut tree = match Tree::deserialize(yaml_serde::Deserializer::from_str(text)) {
        Ok(Tree(Value::Null)) => Value::Mapping(Mapping::new()),
        Ok(Tree(tree)) => tree,
        Err(e) => {
            found.diagnostics.push(friendly::diagnose(&e, text));
            return found;
        }
    };
    for (path, key, pos) in index.duplicates() {
        found.diagnostics.push(
            Diagnostic::new(format!("duplicate key `{key}`"), path.clone())
                .at(pos.line, pos.column)
                .with_help("keep one of them; only the first is read"),
        );
    }
    for _ in 0..MAX_ROUNDS {
        let Ok(text) = yaml_serde::to_string(&tree) else {
            // cannot happen for a tree read from YAML; read the original
            // instead, stopping at its first problem as serde does
            match yaml_serde::from_str(text) {
                Ok(raw) => found.raw = Some(raw),
                Err(e) => found.diagnostics.push(friendly::diagnose(&e, text)),
            }
            return found;
        };
        match yaml_serde::from_str(&text) {
            Ok(raw) => {
                found.raw = Some(raw);
                return found;
            }
            Err(e) if found.leave_out(&mut tree, &e, index) => {}
            Err(_) => return found,
        }
    }
    found.diagnostics.push(
        Diagnostic::new("internal error: too many problems to read past", "")
            .with_help("fix the problems above and run again; please report this"),
    );
    found
}

impl Parsed {
    /// Reports `error` (unless it follows from an earlier edit) and leaves
    /// the node it is about out of `tree`; false when that is impossible
    /// (the problem is the whole file) and reading must stop.
    fn leave_out(
        &mut self,
        tree: &mut Value,
        error: &yaml_serde::Error,
        index: &SpanIndex,
    ) -> bool {
        let full = friendly::strip_locations(&error.to_string());
        let (path, message) = friendly::split_path(&full);
        let Some(segs) = tree::resolve(tree, path) else {
            self.diagnostics
                .push(friendly::located(path, message, index));
            return false;
        };
        if let Some((key, near)) = friendly::unknown_field(message)
            && let Some(at) = tree::child(tree, &segs, &key)
        {
            let d = friendly::located(path, message, index);
            self.explained.0.insert(d.key_path.clone());
            if let Some(near) = near.filter(|n| tree::child(tree, &segs, n).is_none()) {
                self.explained.0.insert(friendly::join(path, &near));
            }
            self.diagnostics.push(d);
            return tree::leave_out(tree, &at);
        }
        // an unknown or missing `type:` is about the tagged mapping itself
        let about_tag =
            message.starts_with("unknown variant ") || message.starts_with("missing field ");
        let node = match segs.split_last() {
            Some((Seg::Key(k), parent)) if about_tag && k.as_str() == Some("type") => parent,
            _ => &segs[..],
        };
        let node_path = tree::path_text(node);
        if self.explained.covers(&node_path) {
            return self.leave_out_owner(tree, node);
        }
        self.diagnostics
            .push(friendly::located(path, message, index));
        if node.is_empty() {
            return false;
        }
        self.explained.0.insert(node_path);
        if is_named_entry(node) {
            // keep the name known, so references to it still resolve
            tree::empty(tree, node)
        } else {
            tree::leave_out(tree, node)
        }
    }

    /// An earlier edit (a list item made `{}`) did not suffice: leave out
    /// the whole entry holding the node, silently.
    fn leave_out_owner(&mut self, tree: &mut Value, node: &[Seg]) -> bool {
        let end = node
            .iter()
            .rposition(|s| matches!(s, Seg::Key(_)))
            .map_or(0, |i| i + 1);
        let owner = &node[..end];
        if owner.is_empty() {
            return false;
        }
        self.explained.0.insert(tree::path_text(owner));
        tree::leave_out(tree, owner)
    }
}

/// A named entry (connection, stream, webhook, action): kept (as `{}`) when its value is refused.
fn is_named_entry(segs: &[Seg]) -> bool {
    matches!(segs, [Seg::Key(group), Seg::Key(_)]
        if matches!(group.as_str(), Some("connections" | "streams" | "webhooks" | "actions")))
}

#[cfg(test)]
mod tests;
