//! The closed sandbox, as a check: walks a template's syntax tree and
//! collects the variables it reads, refusing functions, filters and tests
//! outside [`crate::sandbox`], blocks other than `{% if %}`, and `env` or
//! `secret` read other than as `env.NAME`.

use std::collections::BTreeSet;

use minijinja::machinery::ast::{CallArg, Expr, Stmt};

use super::names::suggestion;
use crate::sandbox::{FILTERS, NAMED_ONLY, TESTS};

/// What a template reads, and what it uses that the sandbox refuses.
#[derive(Debug, Default)]
pub(crate) struct Walk<'a> {
    /// Each variable read, with the attribute read from it, if any
    /// (`env.CRM_URL` is `("env", Some("CRM_URL"))`).
    pub(crate) reads: BTreeSet<(&'a str, Option<&'a str>)>,
    /// `env` or `secret` read whole (printed, indexed with `[…]`, passed
    /// to a filter): they answer one name at a time.
    pub(crate) whole: BTreeSet<&'a str>,
    /// What else is refused: (message, help), in the order found.
    pub(crate) refused: Vec<(String, String)>,
    /// Names a refused block assigns (`{% set t = … %}`): not reported again
    /// as unknown variables.
    pub(crate) assigned: BTreeSet<&'a str>,
}

impl<'a> Walk<'a> {
    /// Walks a whole template.
    pub(crate) fn template(stmt: &Stmt<'a>) -> Self {
        let mut walk = Walk::default();
        walk.stmt(stmt);
        walk
    }

    /// Walks a bare expression.
    pub(crate) fn expression(expr: &Expr<'a>) -> Self {
        let mut walk = Walk::default();
        walk.expr(expr);
        walk
    }

    fn refuse(&mut self, message: String, help: String) {
        if !self.refused.iter().any(|(m, _)| *m == message) {
            self.refused.push((message, help));
        }
    }

    fn stmt(&mut self, stmt: &Stmt<'a>) {
        match stmt {
            Stmt::Template(t) => t.children.iter().for_each(|s| self.stmt(s)),
            Stmt::EmitExpr(e) => self.expr(&e.expr),
            Stmt::EmitRaw(_) => {}
            Stmt::IfCond(c) => {
                self.expr(&c.expr);
                c.true_body.iter().for_each(|s| self.stmt(s));
                c.false_body.iter().for_each(|s| self.stmt(s));
            }
            other => {
                if let Stmt::Set(s) = other
                    && let Expr::Var(v) = &s.target
                {
                    self.assigned.insert(v.id);
                }
                let block = block_name(other);
                self.refuse(
                    format!("`{{% {block} %}}` blocks are not available"),
                    "templates are text with `{{ expressions }}` and `{% if %}` conditions; \
                     write the value directly, e.g. `{{ contact.id }}`"
                        .to_owned(),
                );
            }
        }
    }

    fn args(&mut self, args: &[CallArg<'a>]) {
        for arg in args {
            match arg {
                CallArg::Pos(e)
                | CallArg::Kwarg(_, e)
                | CallArg::PosSplat(e)
                | CallArg::KwargSplat(e) => self.expr(e),
            }
        }
    }

    fn expr(&mut self, expr: &Expr<'a>) {
        match expr {
            Expr::Var(v) => {
                if NAMED_ONLY.contains(&v.id) {
                    self.whole.insert(v.id);
                }
                self.reads.insert((v.id, None));
            }
            Expr::GetAttr(a) => match &a.expr {
                Expr::Var(v) => {
                    self.reads.insert((v.id, Some(a.name)));
                }
                inner => self.expr(inner),
            },
            Expr::GetItem(i) => {
                match &i.expr {
                    Expr::Var(v) if NAMED_ONLY.contains(&v.id) => {
                        self.whole.insert(v.id);
                        self.reads.insert((v.id, None));
                    }
                    inner => self.expr(inner),
                }
                self.expr(&i.subscript_expr);
            }
            Expr::Const(_) => {}
            Expr::Slice(s) => {
                self.expr(&s.expr);
                for e in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(e);
                }
            }
            Expr::UnaryOp(u) => self.expr(&u.expr),
            Expr::BinOp(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
            }
            Expr::Compare(c) => {
                self.expr(&c.expr);
                c.ops.iter().for_each(|op| self.expr(&op.expr));
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr);
                self.expr(&i.true_expr);
                if let Some(e) = &i.false_expr {
                    self.expr(e);
                }
            }
            Expr::Filter(f) => {
                if !FILTERS.contains(&f.name) {
                    self.refuse(
                        format!("unknown filter `{}`", f.name),
                        format!(
                            "the filters are {}{}",
                            listed(FILTERS),
                            suggestion(f.name, FILTERS.iter().copied())
                        ),
                    );
                }
                if let Some(e) = &f.expr {
                    self.expr(e);
                }
                self.args(&f.args);
            }
            Expr::Test(t) => {
                if !TESTS.contains(&t.name) {
                    self.refuse(
                        format!("unknown test `is {}`", t.name),
                        format!(
                            "the tests are {}{}",
                            listed(TESTS),
                            suggestion(t.name, TESTS.iter().copied())
                        ),
                    );
                }
                self.expr(&t.expr);
                self.args(&t.args);
            }
            Expr::Call(c) => {
                let (what, near) = match &c.expr {
                    Expr::Var(v) if FILTERS.contains(&v.id) => (
                        format!("function `{}()`", v.id),
                        format!("; write it as a filter: `value | {}`", v.id),
                    ),
                    Expr::Var(v) => (format!("function `{}()`", v.id), String::new()),
                    Expr::GetAttr(a) => {
                        self.expr(&a.expr);
                        (format!("method `.{}()`", a.name), String::new())
                    }
                    other => {
                        self.expr(other);
                        ("calling a value".to_owned(), String::new())
                    }
                };
                self.refuse(
                    format!("{what} is not available"),
                    format!(
                        "templates have no functions: they read the values documented for \
                         their setting and apply filters ({}){near}",
                        listed(FILTERS)
                    ),
                );
                self.args(&c.args);
            }
            Expr::List(l) => l.items.iter().for_each(|e| self.expr(e)),
            Expr::Tuple(t) => t.items.iter().for_each(|e| self.expr(e)),
            Expr::Map(m) => {
                m.keys.iter().for_each(|e| self.expr(e));
                m.values.iter().for_each(|e| self.expr(e));
            }
        }
    }
}

/// `` `a`, `b` `` for messages.
fn listed(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn block_name(stmt: &Stmt<'_>) -> &'static str {
    match stmt {
        Stmt::ForLoop(_) => "for",
        Stmt::WithBlock(_) => "with",
        Stmt::Set(_) | Stmt::SetBlock(_) => "set",
        Stmt::AutoEscape(_) => "autoescape",
        Stmt::FilterBlock(_) => "filter",
        Stmt::Block(_) => "block",
        Stmt::Import(_) => "import",
        Stmt::FromImport(_) => "from … import",
        Stmt::Extends(_) => "extends",
        Stmt::Include(_) => "include",
        Stmt::Macro(_) => "macro",
        Stmt::CallBlock(_) => "call",
        Stmt::Do(_) => "do",
        _ => "…",
    }
}
