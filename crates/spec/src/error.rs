//! Problems found in a connector file, located and rendered like rustc's.

use std::fmt;
use std::path::PathBuf;

/// Every problem found in one connector file. Nothing should run when this
/// is returned.
///
/// `Display` renders each diagnostic sorted by position, then a summary:
///
/// ```text
/// error: unknown connection `crm2`
///   --> holdfast.yaml:14:17 (streams.deals.connection)
///    = help: use a name under `connections:`; did you mean `crm`?
///
/// error: holdfast.yaml has 1 problem; nothing was run
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecErrors {
    /// The file the problems are in.
    pub origin: PathBuf,
    /// The problems, sorted by position (unlocated ones last).
    pub diagnostics: Vec<Diagnostic>,
}

/// One problem at one place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, lowercase, keys in backticks (`unknown connection `crm2``).
    pub message: String,
    /// Where, as dotted keys (`streams.deals.connection`); empty for the whole file.
    pub key_path: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with no position and no help.
    pub fn new(message: impl Into<String>, key_path: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            key_path: key_path.into(),
            line: None,
            column: None,
            help: None,
        }
    }

    /// Sets the 1-based line and column.
    #[must_use]
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Sets the help text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sort key: position, unlocated last.
    fn position(&self) -> (bool, usize, usize) {
        (
            self.line.is_none(),
            self.line.unwrap_or(0),
            self.column.unwrap_or(0),
        )
    }
}

impl SpecErrors {
    /// Collects `diagnostics` for `origin`, sorted by position.
    pub fn new(origin: impl Into<PathBuf>, mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by_key(Diagnostic::position);
        SpecErrors {
            origin: origin.into(),
            diagnostics,
        }
    }
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = self.origin.display();
        let mut sorted: Vec<&Diagnostic> = self.diagnostics.iter().collect();
        sorted.sort_by_key(|d| d.position());
        for d in sorted {
            writeln!(f, "error: {}", d.message)?;
            write!(f, "  --> {origin}")?;
            if let Some(line) = d.line {
                write!(f, ":{line}")?;
                if let Some(column) = d.column {
                    write!(f, ":{column}")?;
                }
            }
            if !d.key_path.is_empty() {
                // a huge name in the path is not repeated in full
                match d.key_path.char_indices().nth(200) {
                    Some((end, _)) => write!(f, " ({}…)", &d.key_path[..end])?,
                    None => write!(f, " ({})", d.key_path)?,
                }
            }
            writeln!(f)?;
            if let Some(help) = &d.help {
                writeln!(f, "   = help: {help}")?;
            }
            writeln!(f)?;
        }
        let n = self.diagnostics.len();
        let noun = if n == 1 { "problem" } else { "problems" };
        write!(f, "error: {origin} has {n} {noun}; nothing was run")
    }
}

impl std::error::Error for SpecErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_sorted_with_summary() {
        let errors = SpecErrors::new(
            "holdfast.yaml",
            vec![
                Diagnostic::new("second", "b").at(9, 1),
                Diagnostic::new("unlocated", ""),
                Diagnostic::new("unknown connection `crm2`", "streams.deals.connection")
                    .at(3, 17)
                    .with_help("did you mean `crm`?"),
            ],
        );
        let text = errors.to_string();
        assert_eq!(
            text,
            "error: unknown connection `crm2`\n  --> holdfast.yaml:3:17 (streams.deals.connection)\n   = help: did you mean `crm`?\n\n\
             error: second\n  --> holdfast.yaml:9:1 (b)\n\n\
             error: unlocated\n  --> holdfast.yaml\n\n\
             error: holdfast.yaml has 3 problems; nothing was run"
        );
    }
}
