//! From bytes to records: the "decode" step between paginate and select.
//!
//! A stream's `format:` says how its bodies are written: JSON (the
//! default), JSON Lines, CSV or XML. Compression needs no setting: gzip
//! (`1f 8b`), zlib-wrapped deflate (`78 01|5e|9c|da`) and zip archives
//! (`PK\x03\x04`; every entry in name order) are recognised by their first
//! bytes.
//!
//! Two ways in:
//! - [`records`] and [`open_file`] read a large input as a stream and yield
//!   one record at a time: memory stays bounded by one record plus buffers,
//!   whatever the file's size. `records:` JSONPaths do not apply to them:
//!   each item is a record.
//! - [`page_body`] turns one (size-limited) page into ONE JSON value, so that
//!   a stream's `records:` and pagination JSONPaths apply to it unchanged.
//!
//! Every error names the line (and the archive entry) it is at, and nothing
//! is ever skipped or padded silently: a ragged CSV row, a JSON line cut off
//! by a truncated download, a gzip stream that stops early are errors.
//!
//! # The XML mapping
//!
//! XML becomes JSON by fixed rules, so that shapes do not drift:
//! - an element is an object of its attributes and children; attributes are
//!   `"@name"` keys, child elements are keys by their name;
//! - names are local names: namespace prefixes are dropped
//!   (`soap:Envelope` is `Envelope`), and namespace declarations
//!   (`xmlns`, `xmlns:p`) are not attributes;
//! - an element with neither attributes nor children is its text, as a
//!   string (`<Name>Ann</Name>` is `"Name": "Ann"`); an empty one is `""`;
//!   one marked `xsi:nil="true"` is `null`;
//! - the text of an element that has attributes or children is `"#text"`
//!   (whitespace around child elements is not text), left out when empty;
//! - a child element that occurs more than once is an array in document
//!   order; names listed in `arrays:` are always arrays, even when they
//!   occur once or not at all inside a parent that has other content;
//! - every value is a string: types come from `map:`;
//! - CDATA is text; comments and processing instructions are dropped; the
//!   five predefined entities and character references are resolved.
//!
//! A SOAP answer whose `Body` holds a `Fault` is an error quoting its
//! `faultstring` (SOAP 1.1) or `Reason/Text` (SOAP 1.2).

mod compression;
mod csv_rows;
mod error;
mod json;
mod text;
mod xml;

use std::path::Path;

use holdfast_spec::Format;
use serde_json::Value;

pub use error::{DecodeError, ErrorKind};

/// The records of one input, one at a time, in order.
///
/// Each item is one record (a JSON object for JSON Lines, CSV and XML
/// element paths). After the first error the iterator ends.
pub struct Records {
    inner: Box<dyn Iterator<Item = Result<Value, DecodeError>> + Send>,
    failed: bool,
}

impl Records {
    pub(crate) fn new(
        inner: impl Iterator<Item = Result<Value, DecodeError>> + Send + 'static,
    ) -> Self {
        Records {
            inner: Box::new(inner),
            failed: false,
        }
    }
}

impl Iterator for Records {
    type Item = Result<Value, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.inner.next();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records").finish_non_exhaustive()
    }
}

/// Reads `input` as a stream of records written in `format`, gzip, deflate
/// or zip compressed or not (recognised by the first bytes).
///
/// JSON Lines, CSV, and XML with an element path (`records:` in the
/// format) yield one record at a time; a JSON document is read whole and
/// yields the elements of its top-level array (or the document itself when
/// it is an object). XML without an element path yields the whole document
/// as one value. A zip archive is spooled to a temporary file first (its
/// directory is at the end).
pub fn records<R: std::io::Read + Send + 'static>(
    format: &Format,
    input: R,
) -> Result<Records, DecodeError> {
    compression::records(format, Box::new(input), None)
}

/// [`records`] of a downloaded file: compression recognised by its first
/// bytes; a zip archive yields the records of every entry (directories
/// left out) in name order, and errors name the entry.
pub fn open_file(path: &Path, format: &Format) -> Result<Records, DecodeError> {
    compression::open_file(path, format)
}

/// One page's body as ONE JSON value, for `records:` and the pagination
/// JSONPaths: JSON as it is; JSON Lines and CSV as an array of records; XML
/// as the whole document converted (see the crate docs), with the element
/// named last in an element path always an array. Compressed bodies are
/// decompressed first.
pub fn page_body(format: &Format, body: &[u8]) -> Result<Value, DecodeError> {
    compression::page_body(format, body)
}

/// The records of plain (uncompressed) `input` in `format`.
pub(crate) enum Decoder<R: std::io::Read> {
    Json(json::Document<R>),
    Lines(json::Lines<R>),
    Csv(csv_rows::Rows<R>),
    Xml(Box<xml::Elements<R>>),
}

pub(crate) fn decoder<R: std::io::Read>(format: &Format, input: R) -> Decoder<R> {
    match format {
        Format::Json => Decoder::Json(json::Document::new(input)),
        Format::Jsonl => Decoder::Lines(json::Lines::new(input)),
        Format::Csv(options) => Decoder::Csv(csv_rows::Rows::new(options, input)),
        Format::Xml(options) => Decoder::Xml(Box::new(xml::Elements::new(options, input))),
    }
}

impl<R: std::io::Read> Iterator for Decoder<R> {
    type Item = Result<Value, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Decoder::Json(d) => d.next(),
            Decoder::Lines(d) => d.next(),
            Decoder::Csv(d) => d.next(),
            Decoder::Xml(d) => d.next(),
        }
    }
}

/// Plain `input` in `format` as one value (see [`page_body`]).
pub(crate) fn document<R: std::io::Read>(format: &Format, input: R) -> Result<Value, DecodeError> {
    match format {
        Format::Json => json::document(input),
        Format::Xml(options) => xml::document(options, input),
        Format::Jsonl | Format::Csv(_) => decoder(format, input)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
    }
}
