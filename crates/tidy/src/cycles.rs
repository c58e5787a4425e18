//! No import circles between a crate's top-level modules.
//!
//! Each crate root (`src/lib.rs`, `src/main.rs`) declares top-level modules;
//! a module *uses* another when any of its files (followed through `mod`
//! declarations) names a path into it: `use crate::b::X`, `crate::b::f()`,
//! `super::b` from a file of `a`, or `crate::X` where the root re-exports `X`
//! from `b`. Code under `#[cfg(test)]` is left out, and so are paths inside
//! macro invocations (they are tokens, not paths). A circle among these
//! edges is reported with the files and lines that make it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

use crate::workspace::read;
use crate::{Violation, Workspace, WorkspaceError};

/// Every import cycle between the top-level modules of each crate root of
/// the workspace, one violation per strongly connected set of modules.
///
/// # Errors
/// A source file that cannot be read or parsed.
pub fn module_cycles(workspace: &Workspace) -> Result<Vec<Violation>, WorkspaceError> {
    let mut found = Vec::new();
    for member in &workspace.members {
        for root in ["src/lib.rs", "src/main.rs"] {
            let root = member.dir.join(root);
            if !root.is_file() {
                continue;
            }
            let graph = module_graph(&root)?;
            for (component, cycle) in cycles(&graph) {
                found.push(Violation {
                    check: "import cycle",
                    message: describe(workspace, &member.name, &root, &graph, &component, &cycle),
                });
            }
        }
    }
    Ok(found)
}

/// Where an edge was first seen: a file, a line and the path written there.
#[derive(Debug, Clone)]
struct Evidence {
    file: PathBuf,
    line: usize,
    path: String,
}

/// Top-level module → the modules it uses, with where.
type Graph = BTreeMap<String, BTreeMap<String, Evidence>>;

/// The module graph of the crate whose root file is `root`.
fn module_graph(root: &Path) -> Result<Graph, WorkspaceError> {
    let file = parse(root)?;
    let dir = root.parent().unwrap_or(Path::new("."));
    let mut modules = BTreeMap::new();
    let mut exports = BTreeMap::new();
    for item in &file.items {
        match item {
            syn::Item::Mod(m) if !is_test(&m.attrs) => {
                modules.insert(m.ident.to_string(), m);
            }
            syn::Item::Use(u) => root_exports(&u.tree, &mut Vec::new(), &mut exports),
            _ => {}
        }
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    exports.retain(|_, module: &mut String| names.contains(module));
    let mut graph = Graph::new();
    for (name, item) in &modules {
        let mut collector = Collector {
            names: &names,
            exports: &exports,
            module: vec![name.clone()],
            file: root.to_path_buf(),
            edges: BTreeMap::new(),
        };
        match &item.content {
            Some((_, items)) => {
                for i in items {
                    collector.visit_item(i);
                }
            }
            None => {
                let path = module_file(dir, dir, item);
                walk_file(&path, vec![name.clone()], &mut collector)?;
            }
        }
        graph.insert(name.clone(), collector.edges);
    }
    Ok(graph)
}

/// Visits the file of module `module` at `path`, then the files of the
/// modules it declares.
fn walk_file(
    path: &Path,
    module: Vec<String>,
    c: &mut Collector<'_>,
) -> Result<(), WorkspaceError> {
    let file = parse(path)?;
    c.file = path.to_path_buf();
    c.module = module.clone();
    for item in &file.items {
        c.visit_item(item);
    }
    // `a.rs` and `a/mod.rs` both declare their children in `a/`.
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let parent = path.parent().unwrap_or(Path::new("."));
    let children = if stem == "mod" {
        parent.to_path_buf()
    } else {
        parent.join(stem)
    };
    for item in &file.items {
        if let syn::Item::Mod(m) = item
            && m.content.is_none()
            && !is_test(&m.attrs)
        {
            let child = module_file(parent, &children, m);
            let mut inner = module.clone();
            inner.push(m.ident.to_string());
            if child.is_file() {
                walk_file(&child, inner, c)?;
            }
        }
    }
    Ok(())
}

/// The file of the module `m` declared in a file of folder `dir`, whose
/// children live in `children`: `#[path]`, `children/NAME.rs` or
/// `children/NAME/mod.rs`.
fn module_file(dir: &Path, children: &Path, m: &syn::ItemMod) -> PathBuf {
    for attr in &m.attrs {
        if attr.path().is_ident("path")
            && let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            return dir.join(s.value());
        }
    }
    let name = m.ident.to_string();
    let flat = children.join(format!("{name}.rs"));
    if flat.is_file() {
        flat
    } else {
        children.join(name).join("mod.rs")
    }
}

fn parse(path: &Path) -> Result<syn::File, WorkspaceError> {
    syn::parse_file(&read(path)?).map_err(|e| WorkspaceError::Parse {
        path: path.to_path_buf(),
        message: format!("line {}: {e}", e.span().start().line),
    })
}

/// Whether `attrs` hold `#[cfg(test)]`.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test")
    })
}

/// The names a root `use` brings in from a top-level module: name → module.
fn root_exports(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut BTreeMap<String, String>) {
    let module = |prefix: &[String]| {
        let start = usize::from(prefix.first().is_some_and(|s| s == "crate" || s == "self"));
        prefix.get(start).cloned()
    };
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            root_exports(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            if let Some(m) = module(prefix) {
                out.insert(n.ident.to_string(), m);
            }
        }
        syn::UseTree::Rename(r) => {
            if let Some(m) = module(prefix) {
                out.insert(r.rename.to_string(), m);
            }
        }
        syn::UseTree::Glob(_) => {}
        syn::UseTree::Group(g) => {
            for t in &g.items {
                root_exports(t, prefix, out);
            }
        }
    }
}

/// Collects the edges of one top-level module.
struct Collector<'a> {
    /// The crate root's top-level modules.
    names: &'a BTreeSet<String>,
    /// Names the root re-exports, by the module they come from.
    exports: &'a BTreeMap<String, String>,
    /// The module being visited, from the top-level one down.
    module: Vec<String>,
    /// The file being visited.
    file: PathBuf,
    edges: BTreeMap<String, Evidence>,
}

impl Collector<'_> {
    /// Records the edge `segments` (as written, at `line`) makes, if any.
    fn note(&mut self, segments: &[String], line: usize) {
        let target: Vec<String> = match segments.first().map(String::as_str) {
            Some("crate") => segments[1..].to_vec(),
            Some("super") => {
                let ups = segments.iter().take_while(|s| *s == "super").count();
                if ups > self.module.len() {
                    return;
                }
                let mut t = self.module[..self.module.len() - ups].to_vec();
                t.extend_from_slice(&segments[ups..]);
                t
            }
            _ => return,
        };
        let Some(first) = target.first() else {
            return;
        };
        let to = if self.names.contains(first) {
            first.clone()
        } else if let Some(m) = self.exports.get(first) {
            m.clone()
        } else {
            return;
        };
        if to != self.module[0] && !self.edges.contains_key(&to) {
            self.edges.insert(
                to,
                Evidence {
                    file: self.file.clone(),
                    line,
                    path: segments
                        .iter()
                        .filter(|s| *s != "self")
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("::"),
                },
            );
        }
    }

    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>, line: usize) {
        match tree {
            syn::UseTree::Path(p) => {
                let line = if prefix.is_empty() {
                    p.ident.span().start().line
                } else {
                    line
                };
                prefix.push(p.ident.to_string());
                self.use_tree(&p.tree, prefix, line);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.note(prefix, line);
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.note(prefix, line);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.note(prefix, line),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(t, prefix, line);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Type(t) => &t.attrs,
            _ => &[],
        };
        if !is_test(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        // Only inline modules have content here; file modules are walked by
        // `walk_file` with their own module path.
        if m.content.is_some() {
            self.module.push(m.ident.to_string());
            syn::visit::visit_item_mod(self, m);
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if u.leading_colon.is_none() {
            self.use_tree(&u.tree, &mut Vec::new(), 0);
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.leading_colon.is_none()
            && let Some(first) = p.segments.first()
        {
            let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
            self.note(&segments, first.ident.span().start().line);
        }
        syn::visit::visit_path(self, p);
    }
}

/// Each strongly connected set of two or more modules, with the shortest
/// circle through its first module (the first repeated at the end).
fn cycles(graph: &Graph) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    for component in components(graph) {
        if component.len() < 2 {
            continue;
        }
        let start = &component[0];
        // Breadth-first from `start` inside the component, back to `start`.
        let mut previous: BTreeMap<&String, &String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut closing = None;
        'search: while let Some(at) = queue.pop_front() {
            for next in graph[at].keys().filter(|n| component.contains(n)) {
                if next == start {
                    closing = Some(at);
                    break 'search;
                }
                if !previous.contains_key(next) {
                    previous.insert(next, at);
                    queue.push_back(next);
                }
            }
        }
        let Some(mut at) = closing else { continue };
        let mut path = vec![start.clone(), at.clone()];
        while at != start {
            at = previous[at];
            path.push(at.clone());
        }
        path.reverse();
        out.push((component, path));
    }
    out
}

/// Tarjan's strongly connected components, each sorted, in a stable order.
fn components(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g String, usize>,
        low: BTreeMap<&'g String, usize>,
        stack: Vec<&'g String>,
        on_stack: BTreeSet<&'g String>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g String) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flat_map(|e| e.keys()) {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

/// The message for one set of modules in a circle: one circle through
/// them, then every import among them with its file and line (breaking
/// enough of these breaks the circle).
fn describe(
    workspace: &Workspace,
    krate: &str,
    root: &Path,
    graph: &Graph,
    component: &[String],
    cycle: &[String],
) -> String {
    let mut text = format!(
        "crate `{krate}` ({}): modules {}",
        workspace.relative(root),
        cycle.join(" → ")
    );
    if component.len() > cycle.len() - 1 {
        text.push_str(&format!(
            " (and through them {} in all: {})",
            component.len(),
            component.join(", ")
        ));
    }
    for from in component {
        for (to, e) in graph[from].iter().filter(|(to, _)| component.contains(to)) {
            text.push_str(&format!(
                "\n    {from} → {to}: {}:{} uses `{}`",
                workspace.relative(&e.file),
                e.line,
                e.path
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> Graph {
        let mut g = Graph::new();
        for (a, b) in edges {
            g.entry(b.to_string()).or_default();
            g.entry(a.to_string()).or_default().insert(
                b.to_string(),
                Evidence {
                    file: PathBuf::from("x.rs"),
                    line: 1,
                    path: format!("crate::{b}"),
                },
            );
        }
        g
    }

    #[test]
    fn a_circle_is_found_with_its_path() {
        let g = graph(&[
            ("admin", "cmd"),
            ("cmd", "context"),
            ("context", "admin"),
            ("out", "cmd"),
        ]);
        let found = cycles(&g);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, vec!["admin", "cmd", "context"]);
        assert_eq!(found[0].1, vec!["admin", "cmd", "context", "admin"]);
    }

    #[test]
    fn a_tree_has_no_cycle() {
        let g = graph(&[("a", "b"), ("a", "c"), ("b", "c")]);
        assert!(cycles(&g).is_empty());
    }

    #[test]
    fn every_separate_circle_is_reported() {
        let g = graph(&[("a", "b"), ("b", "a"), ("c", "d"), ("d", "c")]);
        assert_eq!(cycles(&g).len(), 2);
    }
}
