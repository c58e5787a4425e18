//! What every check needs: the position index, the environment, and the
//! list problems are added to.

use std::collections::BTreeSet;

use crate::env::Env;
use crate::error::Diagnostic;
use crate::parse::Explained;
use crate::span::SpanIndex;

/// Nothing explained yet.
static NOTHING: Explained = Explained::new();

/// The state shared by all checks of one file.
pub(crate) struct Ctx<'a> {
    index: &'a SpanIndex,
    /// Environment variables, to check `env.NAME` references.
    pub(crate) env: &'a Env,
    /// Keys the parse stage left out (or found misspelt): not reported
    /// again as missing.
    explained: &'a Explained,
    diagnostics: Vec<Diagnostic>,
    /// The secret names templates read (`secret.NAME`).
    secrets: BTreeSet<String>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(index: &'a SpanIndex, env: &'a Env) -> Self {
        Ctx {
            index,
            env,
            explained: &NOTHING,
            diagnostics: Vec::new(),
            secrets: BTreeSet::new(),
        }
    }

    /// Continues after the parse stage: its problems come first, and keys
    /// it left out are not reported again as missing.
    pub(crate) fn after(mut self, earlier: Vec<Diagnostic>, explained: &'a Explained) -> Self {
        self.diagnostics = earlier;
        self.explained = explained;
        self
    }

    /// Reports a problem at `path` with a help line.
    pub(crate) fn error(
        &mut self,
        path: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let d = self.located(path, message.into()).with_help(help);
        self.diagnostics.push(d);
    }

    /// Reports a problem with the key at `path` itself (a bad name).
    pub(crate) fn error_at_key(
        &mut self,
        path: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let mut d = Diagnostic::new(message, path).with_help(help);
        if let Some(pos) = self.index.locate_key(path) {
            d = d.at(pos.line, pos.column);
        }
        self.diagnostics.push(d);
    }

    /// Reports that `parent.key` is required but absent, unless the parse
    /// stage already reported why (a misspelt key, a value of the wrong type).
    pub(crate) fn missing(&mut self, parent: &str, key: &str, example: &str) {
        let path = format!("{parent}.{key}");
        if self.is_explained(&path) {
            return;
        }
        self.error(
            &path,
            format!("missing key `{key}`"),
            format!("add it, e.g. `{key}: {example}`"),
        );
    }

    /// True when the parse stage already reported why `path` is absent
    /// (a misspelt key, a value of the wrong type).
    pub(crate) fn is_explained(&self, path: &str) -> bool {
        self.explained.covers(path)
    }

    /// Returns `value`, or reports `parent.key` as missing.
    pub(crate) fn require<'v, T>(
        &mut self,
        value: Option<&'v T>,
        parent: &str,
        key: &str,
        example: &str,
    ) -> Option<&'v T> {
        if value.is_none() {
            self.missing(parent, key, example);
        }
        value
    }

    /// Notes that a template reads secret `name`.
    pub(crate) fn secret_used(&mut self, name: &str) {
        self.secrets.insert(name.to_owned());
    }

    /// The secret names templates read so far.
    pub(crate) fn secrets_used(&self) -> &BTreeSet<String> {
        &self.secrets
    }

    /// How many problems were reported so far.
    pub(crate) fn error_count(&self) -> usize {
        self.diagnostics.len()
    }

    /// The problems reported.
    pub(crate) fn finish(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    /// Where `path`'s value is (1-based line and column), when known.
    pub(crate) fn position(&self, path: &str) -> Option<(usize, usize)> {
        self.index.locate(path).map(|pos| (pos.line, pos.column))
    }

    fn located(&self, path: &str, message: String) -> Diagnostic {
        let d = Diagnostic::new(message, path);
        match self.index.locate(path) {
            Some(pos) => d.at(pos.line, pos.column),
            None => d,
        }
    }
}
