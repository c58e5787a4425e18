//! What went wrong, and where: the archive entry, the line.

use std::fmt;

/// A body or file that could not be decoded, with where it went wrong.
///
/// Displayed as `[ENTRY, ]line N: MESSAGE` (or without the line when the
/// problem has none, e.g. a truncated gzip stream), so that callers can put
/// the URL or file name in front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What kind of problem it is.
    pub kind: ErrorKind,
    /// The archive entry it is in (`.zip` files), if any.
    pub entry: Option<String>,
    /// The 1-based line it starts on, when known.
    pub line: Option<u64>,
    /// What is wrong and, where it helps, how to fix it.
    pub message: String,
}

/// The kinds of [`DecodeError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not valid for the format (bad JSON, a ragged CSV row,
    /// ill-formed XML, bytes that are not UTF-8).
    Malformed,
    /// The data ends in the middle: a cut-off last line, an unclosed XML
    /// element, a gzip or zip stream that stops early.
    Truncated,
    /// Reading the input failed.
    Io,
    /// A SOAP answer that is a Fault.
    SoapFault,
    /// The shape is not what the settings say (no such XML element path,
    /// a JSON file that holds neither a list nor an object).
    Shape,
}

impl DecodeError {
    /// A problem of `kind` at `line` (when known).
    pub fn new(kind: ErrorKind, line: Option<u64>, message: impl Into<String>) -> Self {
        DecodeError {
            kind,
            entry: None,
            line,
            message: message.into(),
        }
    }

    /// The same problem, said to be in archive entry `entry`.
    pub fn in_entry(mut self, entry: &str) -> Self {
        self.entry.get_or_insert_with(|| entry.to_owned());
        self
    }

    /// A failed read: a truncated compressed stream is [`ErrorKind::Truncated`].
    pub(crate) fn io(line: Option<u64>, error: &std::io::Error) -> Self {
        let kind = match error.kind() {
            std::io::ErrorKind::UnexpectedEof => ErrorKind::Truncated,
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput => {
                ErrorKind::Malformed
            }
            _ => ErrorKind::Io,
        };
        let message = match kind {
            ErrorKind::Truncated => format!(
                "the data ends early ({error}): the body or file was cut off; \
                 nothing of it is used"
            ),
            _ => format!("reading failed: {error}"),
        };
        DecodeError::new(kind, line, message)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.entry, self.line) {
            (Some(entry), Some(line)) => write!(f, "{entry}, line {line}: ")?,
            (Some(entry), None) => write!(f, "{entry}: ")?,
            (None, Some(line)) => write!(f, "line {line}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}
