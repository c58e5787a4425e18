//! The request dependency graph: which endpoint's answer feeds which
//! request (login → CSRF token → list → detail), printed as text, Mermaid
//! or Graphviz DOT. Labels name values and where they were found, never the
//! values themselves.

use std::fmt::Write as _;

/// A dependency graph between endpoints and the user's inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graph {
    /// Node labels (`GET /login`, `input: secret.app_password`), in order.
    pub nodes: Vec<String>,
    /// Edges: from, to (node indexes), label.
    pub edges: Vec<(usize, usize, String)>,
}

/// How to print a graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// One line per edge.
    Text,
    /// A Mermaid `flowchart`.
    Mermaid,
    /// A Graphviz `digraph`.
    Dot,
}

impl Graph {
    /// The index of the node `label`, added if new.
    pub fn node(&mut self, label: &str) -> usize {
        if let Some(i) = self.nodes.iter().position(|n| n == label) {
            return i;
        }
        self.nodes.push(label.to_owned());
        self.nodes.len() - 1
    }

    /// Adds an edge once.
    pub fn edge(&mut self, from: usize, to: usize, label: String) {
        let edge = (from, to, label);
        if !self.edges.contains(&edge) {
            self.edges.push(edge);
        }
    }

    /// The graph in `format`.
    pub fn render(&self, format: GraphFormat) -> String {
        let mut out = String::new();
        match format {
            GraphFormat::Text => {
                for (i, node) in self.nodes.iter().enumerate() {
                    let _ = writeln!(out, "{node}");
                    for (from, _, label) in self.edges.iter().filter(|e| e.1 == i) {
                        let _ = writeln!(out, "  <- {label}  (from {})", self.nodes[*from]);
                    }
                }
            }
            GraphFormat::Mermaid => {
                out.push_str("flowchart LR\n");
                for (i, node) in self.nodes.iter().enumerate() {
                    let _ = writeln!(out, "  n{i}[\"{}\"]", mermaid(node));
                }
                for (from, to, label) in &self.edges {
                    let _ = writeln!(out, "  n{from} -->|\"{}\"| n{to}", mermaid(label));
                }
            }
            GraphFormat::Dot => {
                out.push_str("digraph requests {\n  rankdir=LR;\n  node [shape=box];\n");
                for (i, node) in self.nodes.iter().enumerate() {
                    let _ = writeln!(out, "  n{i} [label=\"{}\"];", dot(node));
                }
                for (from, to, label) in &self.edges {
                    let _ = writeln!(out, "  n{from} -> n{to} [label=\"{}\"];", dot(label));
                }
                out.push_str("}\n");
            }
        }
        out
    }
}

fn mermaid(text: &str) -> String {
    text.replace('"', "#quot;").replace('|', "#124;")
}

fn dot(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_format() {
        let mut g = Graph::default();
        let a = g.node("GET /login");
        let b = g.node("POST /login");
        g.edge(
            a,
            b,
            "csrf_token: html input[name=\"csrf_token\"] @value".into(),
        );
        g.edge(
            a,
            b,
            "csrf_token: html input[name=\"csrf_token\"] @value".into(),
        );
        assert_eq!(g.edges.len(), 1);
        assert!(
            g.render(GraphFormat::Text)
                .contains("POST /login\n  <- csrf_token")
        );
        let m = g.render(GraphFormat::Mermaid);
        assert!(
            m.contains("n0 -->|\"csrf_token: html input[name=#quot;csrf_token#quot;] @value\"| n1"),
            "{m}"
        );
        let d = g.render(GraphFormat::Dot);
        assert!(
            d.contains(
                "n0 -> n1 [label=\"csrf_token: html input[name=\\\"csrf_token\\\"] @value\"];"
            ),
            "{d}"
        );
    }
}
