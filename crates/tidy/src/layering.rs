//! Which crate may depend on which: the binary on top, the server below it,
//! the libraries below both.

use crate::{Member, Violation, Workspace, WorkspaceError};

/// One dependency rule: crates in `from` must not depend on `to`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The crates the rule applies to.
    pub from: Scope,
    /// The package they must not depend on.
    pub to: &'static str,
    /// Why, for the message.
    pub why: &'static str,
}

/// The crates a [`Rule`] applies to.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// This one crate.
    Crate(&'static str),
    /// Every crate but these.
    AllBut(&'static [&'static str]),
}

impl Scope {
    fn contains(self, name: &str) -> bool {
        match self {
            Scope::Crate(c) => c == name,
            Scope::AllBut(except) => !except.contains(&name),
        }
    }
}

/// The rules of issue 15's layering.
pub const RULES: &[Rule] = &[
    Rule {
        from: Scope::Crate("holdfast-webhook"),
        to: "holdfast-engine",
        why: "`holdfast-webhook` keeps signature verification only; receiving and \
              queueing events belongs to `holdfast-server`",
    },
    Rule {
        from: Scope::AllBut(&["holdfast"]),
        to: "holdfast-server",
        why: "only the binary wires the server; libraries below it must not reach up",
    },
    Rule {
        from: Scope::AllBut(&[]),
        to: "holdfast",
        why: "the binary is the top of the house: no crate depends on it",
    },
];

/// Every dependency (normal or build, any target) of a workspace crate that
/// a rule of [`RULES`] forbids. Dev-dependencies (tests only) are not checked.
///
/// # Errors
/// None today; the signature matches the other checks.
pub fn layering(workspace: &Workspace) -> Result<Vec<Violation>, WorkspaceError> {
    let mut found = Vec::new();
    for member in &workspace.members {
        let deps = dependencies(member);
        for rule in RULES {
            if rule.from.contains(&member.name) && deps.iter().any(|d| d == rule.to) {
                found.push(Violation {
                    check: "crate layering",
                    message: format!(
                        "`{}` ({}) depends on `{}`: {}",
                        member.name,
                        workspace.relative(&member.dir.join("Cargo.toml")),
                        rule.to,
                        rule.why
                    ),
                });
            }
        }
    }
    Ok(found)
}

/// The package names `member` depends on (normal and build dependencies,
/// target-specific ones included; renamed ones by their package name).
fn dependencies(member: &Member) -> Vec<String> {
    let mut tables = Vec::new();
    for key in ["dependencies", "build-dependencies"] {
        if let Some(t) = member.manifest.get(key).and_then(|t| t.as_table()) {
            tables.push(t);
        }
    }
    if let Some(targets) = member.manifest.get("target").and_then(|t| t.as_table()) {
        for target in targets.values().filter_map(|t| t.as_table()) {
            for key in ["dependencies", "build-dependencies"] {
                if let Some(t) = target.get(key).and_then(|t| t.as_table()) {
                    tables.push(t);
                }
            }
        }
    }
    let mut names: Vec<String> = tables
        .into_iter()
        .flat_map(|t| t.iter())
        .map(|(key, spec)| {
            spec.get("package")
                .and_then(|p| p.as_str())
                .unwrap_or(key)
                .to_owned()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}
