//! JSON documents and JSON Lines.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use crate::error::{DecodeError, ErrorKind};
use crate::text::SkipBom;

/// A whole JSON document.
pub(crate) fn document<R: Read>(input: R) -> Result<Value, DecodeError> {
    let mut bytes = Vec::new();
    SkipBom::new(input)
        .read_to_end(&mut bytes)
        .map_err(|e| DecodeError::io(None, &e))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::new(
            ErrorKind::Malformed,
            None,
            "the body is empty, not a JSON document",
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        let kind = if e.is_eof() {
            ErrorKind::Truncated
        } else {
            ErrorKind::Malformed
        };
        let what = if e.is_eof() {
            "the JSON document ends in the middle (a cut-off body or file?)"
        } else {
            "not valid JSON"
        };
        DecodeError::new(kind, Some(e.line() as u64), format!("{what}: {e}"))
    })
}

/// The records of a JSON document: the elements of its top-level array
/// (each an object), or the document itself when it is an object.
pub(crate) struct Document<R> {
    input: Option<R>,
    items: std::vec::IntoIter<Value>,
    index: usize,
}

impl<R: Read> Document<R> {
    pub(crate) fn new(input: R) -> Self {
        Document {
            input: Some(input),
            items: Vec::new().into_iter(),
            index: 0,
        }
    }
}

impl<R: Read> Iterator for Document<R> {
    type Item = Result<Value, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(input) = self.input.take() {
            match document(input) {
                Ok(Value::Array(items)) => self.items = items.into_iter(),
                Ok(object @ Value::Object(_)) => self.items = vec![object].into_iter(),
                Ok(other) => {
                    return Some(Err(DecodeError::new(
                        ErrorKind::Shape,
                        None,
                        format!(
                            "the JSON document is {}, not a list of records or one record",
                            kind_of(&other)
                        ),
                    )));
                }
                Err(e) => return Some(Err(e)),
            }
        }
        let item = self.items.next()?;
        self.index += 1;
        if item.is_object() {
            Some(Ok(item))
        } else {
            Some(Err(DecodeError::new(
                ErrorKind::Shape,
                None,
                format!(
                    "item {} of the top-level list is {}, not an object (a record)",
                    self.index,
                    kind_of(&item)
                ),
            )))
        }
    }
}

/// JSON Lines: one object per line; blank lines are skipped.
pub(crate) struct Lines<R> {
    input: BufReader<SkipBom<R>>,
    line: u64,
    buf: Vec<u8>,
}

impl<R: Read> Lines<R> {
    pub(crate) fn new(input: R) -> Self {
        Lines {
            input: BufReader::with_capacity(64 * 1024, SkipBom::new(input)),
            line: 0,
            buf: Vec::new(),
        }
    }
}

impl<R: Read> Iterator for Lines<R> {
    type Item = Result<Value, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            let read = match self.input.read_until(b'\n', &mut self.buf) {
                Ok(n) => n,
                Err(e) => return Some(Err(DecodeError::io(Some(self.line + 1), &e))),
            };
            if read == 0 {
                return None;
            }
            self.line += 1;
            let ended = self.buf.last() == Some(&b'\n');
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(parse_line(&self.buf, self.line, ended));
        }
    }
}

/// serde_json's message without its position, and the column (the line is
/// the caller's).
fn column_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&position).unwrap_or(&full);
    format!("{message} (column {})", e.column())
}

fn parse_line(text: &[u8], line: u64, ended: bool) -> Result<Value, DecodeError> {
    match serde_json::from_slice::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(other) => Err(DecodeError::new(
            ErrorKind::Shape,
            Some(line),
            format!(
                "a JSON Lines record must be an object, this line is {}",
                kind_of(&other)
            ),
        )),
        Err(e) if e.is_eof() && !ended => Err(DecodeError::new(
            ErrorKind::Truncated,
            Some(line),
            format!(
                "the last line ends in the middle of a record (a cut-off download?): {}",
                column_message(&e)
            ),
        )),
        Err(e) => Err(DecodeError::new(
            ErrorKind::Malformed,
            Some(line),
            format!("not a JSON value: {}", column_message(&e)),
        )),
    }
}

/// "an array", "a string", … for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
