//! XML to JSON: records by element path, read as a stream, or the whole
//! document; SOAP Faults are errors.

mod soap;
mod tree;

use std::io::{BufReader, Read};

use holdfast_spec::XmlOptions;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value};

use crate::error::{DecodeError, ErrorKind};
use crate::text::{CountLines, SkipBom};
use tree::Frame;

/// The whole document as one value, `{ ROOT: … }` (for a page body). The
/// element named last in `options.records` is always an array, and an empty
/// one when its parent element is there without it (XML has no empty list:
/// `<Result/>` is how a service says "no records"); a missing parent stays
/// missing, so the records path still finds no list there.
pub(crate) fn document<R: Read>(options: &XmlOptions, input: R) -> Result<Value, DecodeError> {
    let mut document = whole_document(options, input)?;
    if let Some(path) = &options.records {
        empty_records_under_their_parent(&mut document, path);
    }
    Ok(document)
}

fn whole_document<R: Read>(options: &XmlOptions, input: R) -> Result<Value, DecodeError> {
    let mut arrays = options.arrays.clone();
    arrays.extend(options.records.as_ref().and_then(|p| p.last()).cloned());
    let whole = XmlOptions {
        records: None,
        arrays,
    };
    let mut elements = Elements::new(&whole, input);
    let document = match elements.next() {
        Some(result) => result?,
        None => {
            return Err(DecodeError::new(
                ErrorKind::Malformed,
                None,
                "the body holds no XML element",
            ));
        }
    };
    // what follows the root: nothing but comments and whitespace
    match elements.next() {
        Some(Err(e)) => Err(e),
        _ => Ok(document),
    }
}

/// Puts `[]` at the records element (`path`'s last name) when its parent
/// element is in `document` (an object, an empty element or `xsi:nil`)
/// and the records element is not.
fn empty_records_under_their_parent(document: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    if parents.is_empty() {
        return;
    }
    let mut at = document;
    for name in parents {
        match at {
            Value::Object(map) => match map.get_mut(name) {
                Some(next) => at = next,
                None => return,
            },
            _ => return,
        }
    }
    match at {
        Value::Object(map) => {
            map.entry(last.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
        }
        Value::Null => *at = serde_json::json!({ last.clone(): [] }),
        Value::String(text) if text.trim().is_empty() => {
            *at = serde_json::json!({ last.clone(): [] });
        }
        _ => {}
    }
}

/// What the elements being built will be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    /// One record (an element at the records path).
    Record,
    /// A SOAP Fault: an error once read.
    Fault,
    /// The whole document (no records path).
    Document,
}

/// The records of an XML input: each element at the records path, or
/// (without one) the whole document as one value.
pub(crate) struct Elements<R: Read> {
    reader: quick_xml::Reader<CountLines<BufReader<SkipBom<R>>>>,
    buf: Vec<u8>,
    path: Option<Vec<String>>,
    arrays: Vec<String>,
    /// Local names of the open elements around what is being built.
    outer: Vec<String>,
    /// The open elements being built, innermost last.
    frames: Vec<Frame>,
    capture: Capture,
    /// The records path's parent element was seen.
    parent_seen: bool,
    /// The root element's local name, once seen.
    root: Option<String>,
    root_closed: bool,
    done: bool,
}

impl<R: Read> Elements<R> {
    pub(crate) fn new(options: &XmlOptions, input: R) -> Self {
        let buffered = BufReader::with_capacity(64 * 1024, SkipBom::new(input));
        let mut reader = quick_xml::Reader::from_reader(CountLines::new(buffered));
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        Elements {
            reader,
            buf: Vec::new(),
            path: options.records.clone(),
            arrays: options.arrays.clone(),
            outer: Vec::new(),
            frames: Vec::new(),
            capture: Capture::Document,
            parent_seen: options.records.as_ref().is_none_or(|p| p.len() <= 1),
            root: None,
            root_closed: false,
            done: false,
        }
    }

    fn line(&self) -> u64 {
        self.reader.get_ref().line()
    }

    fn error(&self, kind: ErrorKind, message: impl Into<String>) -> DecodeError {
        DecodeError::new(kind, Some(self.line()), message)
    }

    /// The next record, error, or end.
    fn step(&mut self) -> Result<Option<Value>, DecodeError> {
        loop {
            self.buf.clear();
            let line = self.line();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event.into_owned(),
                Err(quick_xml::Error::Io(e)) => return Err(DecodeError::io(Some(line), &e)),
                Err(e) => {
                    return Err(
                        self.error(ErrorKind::Malformed, format!("not well-formed XML: {e}"))
                    );
                }
            };
            match event {
                Event::Start(start) => self.start(&start, line)?,
                Event::End(end) => {
                    let name = end.local_name().into_inner().to_owned();
                    if let Some(value) = self.end(name)? {
                        return Ok(Some(value));
                    }
                }
                Event::Text(text) => {
                    if let Some(frame) = self.frames.last_mut() {
                        frame.text(&text.xml10_content());
                    }
                }
                Event::CData(data) => {
                    if let Some(frame) = self.frames.last_mut() {
                        frame.text(&data.xml10_content());
                    }
                }
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => {
                            let name: &str = &reference;
                            match quick_xml::escape::resolve_predefined_entity(name) {
                                Some(text) => text.to_owned(),
                                None => {
                                    return Err(self.error(
                                        ErrorKind::Malformed,
                                        format!(
                                            "unknown entity `&{name};`: XML defines only \
                                             &amp; &lt; &gt; &quot; &apos; and character \
                                             references like &#233;"
                                        ),
                                    ));
                                }
                            }
                        }
                        Err(e) => {
                            return Err(self.error(ErrorKind::Malformed, format!("{e}")));
                        }
                    };
                    if let Some(frame) = self.frames.last_mut() {
                        frame.text(&resolved);
                    }
                }
                Event::Eof => return self.eof(),
                Event::Empty(_)
                | Event::Decl(_)
                | Event::PI(_)
                | Event::Comment(_)
                | Event::DocType(_) => {}
            }
        }
    }

    fn start(&mut self, start: &BytesStart<'_>, line: u64) -> Result<(), DecodeError> {
        let name = start.local_name().into_inner().to_owned();
        if self.frames.is_empty() {
            if self.root_closed {
                return Err(self.error(
                    ErrorKind::Malformed,
                    format!("a second root element `<{name}>` after the document's end"),
                ));
            }
            if self.outer.is_empty() {
                self.root = Some(name.clone());
                if let Some(first) = self.path.as_ref().and_then(|p| p.first())
                    && *first != name
                {
                    return Err(self.error(
                        ErrorKind::Shape,
                        format!(
                            "the document's root element is `{name}`, but the records path \
                             `{}` starts at `{first}`",
                            self.path.as_deref().unwrap_or_default().join("/")
                        ),
                    ));
                }
            }
            let at_path = self.path.as_ref().is_some_and(|p| {
                p.len() == self.outer.len() + 1
                    && p[..self.outer.len()] == self.outer[..]
                    && p[self.outer.len()] == name
            });
            let capture = if at_path {
                Some(Capture::Record)
            } else if soap::is_fault(&self.outer, &name) {
                Some(Capture::Fault)
            } else if self.path.is_none() && self.outer.is_empty() {
                Some(Capture::Document)
            } else {
                None
            };
            let Some(capture) = capture else {
                self.outer.push(name);
                if let Some(path) = &self.path
                    && path[..path.len() - 1] == self.outer[..]
                {
                    self.parent_seen = true;
                }
                return Ok(());
            };
            self.capture = capture;
        }
        let mut frame = Frame::new(name, line);
        for attribute in start.attributes() {
            let attribute = attribute
                .map_err(|e| self.error(ErrorKind::Malformed, format!("a bad attribute: {e}")))?;
            if attribute.key.as_namespace_binding().is_some() {
                continue;
            }
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| {
                    self.error(ErrorKind::Malformed, format!("a bad attribute value: {e}"))
                })?;
            frame.attribute(
                attribute.key.prefix().map(|p| p.into_inner()),
                attribute.key.local_name().into_inner(),
                value.into_owned(),
            );
        }
        self.frames.push(frame);
        Ok(())
    }

    fn end(&mut self, name: String) -> Result<Option<Value>, DecodeError> {
        let Some(frame) = self.frames.pop() else {
            self.outer.pop();
            self.root_closed = self.outer.is_empty();
            return Ok(None);
        };
        let line = frame.line;
        let value = frame.finish(&self.arrays);
        if let Some(parent) = self.frames.last_mut() {
            parent.child(name, value);
            return Ok(None);
        }
        match self.capture {
            Capture::Record if value.is_object() => Ok(Some(value)),
            Capture::Record => Err(DecodeError::new(
                ErrorKind::Shape,
                Some(line),
                format!(
                    "the record element `<{name}>` holds only text ({}); a record needs child \
                     elements or attributes: point `records:` at the element around it",
                    crate::json::kind_of(&value)
                ),
            )),
            Capture::Fault => Err(DecodeError::new(
                ErrorKind::SoapFault,
                Some(line),
                soap::fault_message(&value),
            )),
            Capture::Document => {
                self.root_closed = true;
                let mut document = Map::new();
                document.insert(name, value);
                let document = Value::Object(document);
                if let Some(fault) = soap::find_fault(&document) {
                    return Err(DecodeError::new(
                        ErrorKind::SoapFault,
                        None,
                        soap::fault_message(fault),
                    ));
                }
                Ok(Some(document))
            }
        }
    }

    fn eof(&mut self) -> Result<Option<Value>, DecodeError> {
        self.done = true;
        if let Some(open) = self
            .frames
            .last()
            .map(|f| f.name.clone())
            .or_else(|| self.outer.last().cloned())
        {
            return Err(self.error(
                ErrorKind::Truncated,
                format!("the XML ends inside `<{open}>`: the body or file was cut off; nothing of it is used"),
            ));
        }
        let Some(root) = &self.root else {
            return Err(self.error(ErrorKind::Malformed, "the body holds no XML element"));
        };
        if !self.parent_seen {
            let path = self.path.as_deref().unwrap_or_default();
            return Err(self.error(
                ErrorKind::Shape,
                format!(
                    "no element `{}` in the document (its root is `{root}`): the records path \
                     `{}` matches nothing; check its spelling (local names, no prefixes)",
                    path[..path.len().saturating_sub(1)].join("/"),
                    path.join("/")
                ),
            ));
        }
        Ok(None)
    }
}

impl<R: Read> Iterator for Elements<R> {
    type Item = Result<Value, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(value)) => Some(Ok(value)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests;
