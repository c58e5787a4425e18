//! `format:` how a response body or a downloaded file turns into records.

/// How a stream's bodies are read (`format:`). Compression (gzip, deflate,
/// zip) is recognised by its bytes and needs no setting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Format {
    /// One JSON document per body (the default); `records:` selects in it.
    #[default]
    Json,
    /// JSON Lines: one JSON object per line, blank lines skipped.
    Jsonl,
    /// Comma-separated values (RFC 4180 and its common variants).
    Csv(CsvOptions),
    /// XML (SOAP envelopes included), turned into JSON by a fixed mapping.
    Xml(XmlOptions),
}

impl Format {
    /// `json`, `jsonl`, `csv` or `xml`.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Csv(_) => "csv",
            Format::Xml(_) => "xml",
        }
    }

    /// True when a body of this format is a list of records in itself
    /// (jsonl, csv, xml with an element path), so that `records:` defaults
    /// to `$[*]`.
    pub fn yields_rows(&self) -> bool {
        match self {
            Format::Json => false,
            Format::Jsonl | Format::Csv(_) => true,
            Format::Xml(xml) => xml.records.is_some(),
        }
    }
}

/// CSV settings: `{ type: csv, delimiter: ";", quote: "'", escape: "\\",
/// header: false, columns: [id, email] }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// The field separator byte (default `,`).
    pub delimiter: u8,
    /// The quote byte (default `"`).
    pub quote: u8,
    /// The byte escaping a quote inside a quoted field; `None` (the default):
    /// a quote is escaped by doubling it (`""`).
    pub escape: Option<u8>,
    /// The field names, in column order: from the header row, or these
    /// (`columns:`, with `header: false`).
    pub columns: Option<Vec<String>>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            quote: b'"',
            escape: None,
            columns: None,
        }
    }
}

/// XML settings: `{ type: xml, records: Envelope/Body/ListResponse/Item,
/// arrays: [Item, Phone] }`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XmlOptions {
    /// The element path of one record, local names from the root
    /// (`Envelope/Body/ListResponse/Item`): each matching element is one
    /// record, read without building the whole document. `None`: the
    /// whole document is one JSON value and `records:` selects in it.
    pub records: Option<Vec<String>>,
    /// Local element names that are always arrays, even when they occur
    /// once (so that a record's shape does not depend on its data).
    pub arrays: Vec<String>,
}

impl XmlOptions {
    /// The JSONPath selecting the records of the element path in the
    /// whole document converted to JSON (a page body):
    /// `Envelope/Body/List/Item` is `$['Envelope']['Body']['List']['Item'][*]`
    /// (the last element is always an array there).
    pub fn records_json_path(&self) -> Option<String> {
        let elements = self.records.as_ref()?;
        let mut path = String::from("$");
        for name in elements {
            path.push_str("['");
            for c in name.chars() {
                match c {
                    '\\' | '\'' => {
                        path.push('\\');
                        path.push(c);
                    }
                    c => path.push(c),
                }
            }
            path.push_str("']");
        }
        path.push_str("[*]");
        Some(path)
    }
}
