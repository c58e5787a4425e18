//! CSV: each row an object of strings named by the header row (or `columns:`).

use std::io::Read;

use holdfast_spec::CsvOptions;
use serde_json::{Map, Value};

use crate::error::{DecodeError, ErrorKind};
use crate::text::SkipBom;

/// The rows of a CSV input, one record each.
pub(crate) struct Rows<R: Read> {
    reader: csv::Reader<SkipBom<R>>,
    /// The field names; `None` until the header row is read.
    names: Option<Vec<String>>,
    row: csv::ByteRecord,
}

impl<R: Read> Rows<R> {
    pub(crate) fn new(options: &CsvOptions, input: R) -> Self {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(options.delimiter)
            .quote(options.quote)
            .escape(options.escape)
            .double_quote(options.escape.is_none())
            .buffer_capacity(64 * 1024)
            .from_reader(SkipBom::new(input));
        Rows {
            reader,
            names: options.columns.clone(),
            row: csv::ByteRecord::new(),
        }
    }

    /// The next row as text fields; `None` at the end.
    fn read(&mut self) -> Result<Option<(u64, Vec<String>)>, DecodeError> {
        let more = self.reader.read_byte_record(&mut self.row).map_err(|e| {
            let line = e.position().map(|p| p.line());
            match e.into_kind() {
                csv::ErrorKind::Io(io) => DecodeError::io(line, &io),
                other => DecodeError::new(ErrorKind::Malformed, line, format!("{other:?}")),
            }
        })?;
        if !more {
            return Ok(None);
        }
        let line = self.row.position().map_or(0, csv::Position::line);
        let mut fields = Vec::with_capacity(self.row.len());
        for (i, bytes) in self.row.iter().enumerate() {
            match std::str::from_utf8(bytes) {
                Ok(text) => fields.push(text.to_owned()),
                Err(e) => {
                    return Err(DecodeError::new(
                        ErrorKind::Malformed,
                        Some(line),
                        format!(
                            "field {} is not UTF-8 text (invalid byte after {} valid bytes); \
                             export the file as UTF-8",
                            i + 1,
                            e.valid_up_to()
                        ),
                    ));
                }
            }
        }
        Ok(Some((line, fields)))
    }

    fn header(&mut self) -> Result<bool, DecodeError> {
        let Some((line, names)) = self.read()? else {
            return Ok(false);
        };
        for (i, name) in names.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(DecodeError::new(
                    ErrorKind::Shape,
                    Some(line),
                    format!(
                        "the header row's column {} has no name; name every column, or give \
                         `header: false` with `columns: [...]`",
                        i + 1
                    ),
                ));
            }
            if names[..i].contains(name) {
                return Err(DecodeError::new(
                    ErrorKind::Shape,
                    Some(line),
                    format!(
                        "the header row names column `{name}` twice (columns {} and {}); \
                         give `header: false` with `columns: [...]` to name them yourself",
                        names[..i]
                            .iter()
                            .position(|n| n == name)
                            .map_or(0, |p| p + 1),
                        i + 1
                    ),
                ));
            }
        }
        self.names = Some(names);
        Ok(true)
    }
}

impl<R: Read> Iterator for Rows<R> {
    type Item = Result<Value, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.names.is_none() {
            match self.header() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
        let (line, fields) = match self.read() {
            Ok(Some(row)) => row,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let names = self.names.as_deref().unwrap_or_default();
        if fields.len() != names.len() {
            return Some(Err(DecodeError::new(
                ErrorKind::Malformed,
                Some(line),
                format!(
                    "the row has {} field{} where there are {} columns; a row is never \
                     padded or cut: fix the file, or the `delimiter`/`quote` settings",
                    fields.len(),
                    if fields.len() == 1 { "" } else { "s" },
                    names.len(),
                ),
            )));
        }
        let record: Map<String, Value> = names
            .iter()
            .cloned()
            .zip(fields.into_iter().map(Value::String))
            .collect();
        Some(Ok(Value::Object(record)))
    }
}

#[cfg(test)]
mod tests;
