//! The file as a YAML value tree, and the edits that leave a bad part out
//! so the rest can still be read.

use std::fmt;

use serde::de::value::EnumAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, EnumAccess, IgnoredAny, MapAccess, SeqAccess};
use yaml_serde::{Mapping, Value};

/// A YAML value read like [`Value`], except that a repeated key keeps its
/// first value instead of failing (the span index reports the repeat).
pub(super) struct Tree(pub(super) Value);

/// One step of a key path.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Seg {
    /// A mapping key, as in the tree.
    Key(Value),
    /// A list position.
    Index(usize),
}

/// Resolves a key path as yaml_serde writes it (`streams.a.primary_key[1]`,
/// empty or `.` for the root) against `tree`. A key may itself contain `.`:
/// the longest key that fits is taken.
pub(super) fn resolve(tree: &Value, path: &str) -> Option<Vec<Seg>> {
    let mut segs = Vec::new();
    let mut node = tree;
    let mut rest = if path == "." { "" } else { path };
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let (digits, tail) = after.split_once(']')?;
            let i: usize = digits.parse().ok()?;
            node = node.as_sequence()?.get(i)?;
            segs.push(Seg::Index(i));
            rest = tail;
        } else {
            let (key, value, len) = node
                .as_mapping()?
                .iter()
                .filter_map(|(k, v)| Some((k, v, key_text(k)?)))
                .filter(|(_, _, text)| {
                    rest.strip_prefix(text.as_str())
                        .is_some_and(|tail| tail.is_empty() || tail.starts_with(['.', '[']))
                })
                .map(|(k, v, text)| (k, v, text.len()))
                .max_by_key(|(.., len)| *len)?;
            node = value;
            segs.push(Seg::Key(key.clone()));
            rest = &rest[len..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    Some(segs)
}

/// The key of the mapping at `segs` whose text is `name`, as a path to it.
pub(super) fn child(tree: &Value, segs: &[Seg], name: &str) -> Option<Vec<Seg>> {
    let key = get(tree, segs)?
        .as_mapping()?
        .keys()
        .find(|k| key_text(k).as_deref() == Some(name))?;
    let mut out = segs.to_vec();
    out.push(Seg::Key(key.clone()));
    Some(out)
}

/// `segs` written back as a key path (`streams.a.primary_key[1]`).
pub(super) fn path_text(segs: &[Seg]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&key_text(k).unwrap_or_else(|| "?".to_owned()));
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Takes the node at `segs` out of the tree: a mapping entry is removed, a
/// list item becomes `{}` (so the positions of the items after it hold).
/// False for the root, which cannot be left out.
pub(super) fn leave_out(tree: &mut Value, segs: &[Seg]) -> bool {
    let Some((last, parent)) = segs.split_last() else {
        return false;
    };
    match (get_mut(tree, parent), last) {
        (Some(Value::Mapping(m)), Seg::Key(k)) => m.remove(k).is_some(),
        (Some(Value::Sequence(s)), Seg::Index(i)) => match s.get_mut(*i) {
            Some(item) => {
                *item = Value::Mapping(Mapping::new());
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// Replaces the node at `segs` with `{}`.
pub(super) fn empty(tree: &mut Value, segs: &[Seg]) -> bool {
    match get_mut(tree, segs) {
        Some(node) => {
            *node = Value::Mapping(Mapping::new());
            true
        }
        None => false,
    }
}

fn get<'t>(tree: &'t Value, segs: &[Seg]) -> Option<&'t Value> {
    segs.iter().try_fold(tree, |node, seg| match seg {
        Seg::Key(k) => node.as_mapping()?.get(k),
        Seg::Index(i) => node.as_sequence()?.get(*i),
    })
}

fn get_mut<'t>(tree: &'t mut Value, segs: &[Seg]) -> Option<&'t mut Value> {
    segs.iter().try_fold(tree, |node, seg| match seg {
        Seg::Key(k) => node.as_mapping_mut()?.get_mut(k),
        Seg::Index(i) => node.as_sequence_mut()?.get_mut(*i),
    })
}

/// How a key reads in a key path; `None` for a key that is a collection.
fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".to_owned()),
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => None,
    }
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> de::Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree(Value::Number(v.into())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree(Value::Number(v.into())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Tree, E> {
        Ok(Tree(Value::Number(v.into())))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree(Value::String(v.to_owned())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tree, D::Error> {
        Tree::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(Tree(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree(Value::Sequence(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut out = Mapping::new();
        while let Some(Tree(key)) = map.next_key()? {
            if out.contains_key(&key) {
                map.next_value::<IgnoredAny>()?;
            } else {
                let Tree(value) = map.next_value()?;
                out.insert(key, value);
            }
        }
        Ok(Tree(Value::Mapping(out)))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Tree, A::Error> {
        Value::deserialize(EnumAccessDeserializer::new(data)).map(Tree)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Value {
        match Tree::deserialize(yaml_serde::Deserializer::from_str(text)) {
            Ok(Tree(v)) => v,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_repeated_key_keeps_the_first_value() {
        let t = tree("a: 1\nb: [x, !T y]\na: { c: 2 }\n");
        assert_eq!(t["a"], Value::from(1));
        assert_eq!(t["b"][0], Value::from("x"));
        assert!(matches!(t["b"][1], Value::Tagged(_)));
    }

    #[test]
    fn resolves_and_leaves_out() {
        let mut t = tree("s:\n  a.b: { k: [1, 2] }\n  a: { k: 3 }\n");
        let segs = resolve(&t, "s.a.b.k[1]").expect("resolves");
        assert_eq!(path_text(&segs), "s.a.b.k[1]");
        assert!(leave_out(&mut t, &segs));
        assert_eq!(t["s"]["a.b"]["k"][1], Value::Mapping(Mapping::new()));
        let k = child(&t, &segs[..2], "k").expect("child");
        assert!(leave_out(&mut t, &k));
        assert_eq!(t["s"]["a.b"], Value::Mapping(Mapping::new()));
        assert_eq!(resolve(&t, "s.a.k").map(|s| s.len()), Some(3));
        assert_eq!(resolve(&t, "."), Some(vec![]));
        assert_eq!(resolve(&t, "s.zz"), None);
        assert!(!leave_out(&mut t, &[]));
        assert!(empty(&mut t, &segs[..1]));
        assert_eq!(t["s"], Value::Mapping(Mapping::new()));
    }
}
