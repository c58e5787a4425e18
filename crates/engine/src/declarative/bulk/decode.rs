//! Reading a downloaded file's records one at a time (gzip recognised by
//! its first bytes): JSON Lines, CSV with a header row (every value a
//! string), or one JSON document whose top-level array holds the records.
//! Errors name the line.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use holdfast_spec::Format;
use serde_json::{Map, Value};

/// The records of a file, in order; after the first error it ends.
pub(super) type Records = Box<dyn Iterator<Item = Result<Value, String>> + Send>;

/// Opens `path` and reads it as `format`.
pub(super) fn open_file(path: &Path, format: &Format) -> Result<Records, String> {
    let mut file = File::open(path).map_err(|e| format!("cannot open the downloaded file: {e}"))?;
    let mut magic = [0u8; 2];
    let gzip = file.read(&mut magic).map_err(|e| e.to_string())? == 2 && magic == [0x1f, 0x8b];
    let file = File::open(path).map_err(|e| format!("cannot open the downloaded file: {e}"))?;
    let input: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(file)
    };
    let input = BufReader::with_capacity(256 * 1024, input);
    Ok(match format {
        Format::Jsonl => Box::new(jsonl(input)),
        Format::Csv => Box::new(csv_rows(input)?),
        Format::Json => {
            let doc: Value =
                serde_json::from_reader(input).map_err(|e| format!("not a JSON document: {e}"))?;
            let items = match doc {
                Value::Array(items) => items,
                other => vec![other],
            };
            Box::new(items.into_iter().map(Ok))
        }
    })
}

fn jsonl(
    input: impl BufRead + Send + 'static,
) -> impl Iterator<Item = Result<Value, String>> + Send {
    let mut lines = input.lines().enumerate();
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        loop {
            let (i, line) = lines.next()?;
            let item = match line {
                Err(e) => Err(format!(
                    "line {}: the file could not be read to its end: {e}",
                    i + 1
                )),
                Ok(line) if line.trim().is_empty() => continue,
                Ok(line) => serde_json::from_str::<Value>(&line)
                    .map_err(|e| format!("line {}: not a JSON value ({e})", i + 1)),
            };
            failed = item.is_err();
            return Some(item);
        }
    })
}

fn csv_rows(
    input: impl Read + Send + 'static,
) -> Result<impl Iterator<Item = Result<Value, String>> + Send, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(input);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("line 1: the header row cannot be read ({e})"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut records = reader.into_records();
    let mut failed = false;
    Ok(std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let item = match records.next()? {
            Ok(row) => {
                let mut map = Map::with_capacity(headers.len());
                for (name, value) in headers.iter().zip(row.iter()) {
                    map.insert(name.clone(), Value::String(value.to_owned()));
                }
                Ok(Value::Object(map))
            }
            Err(e) => Err(match e.position() {
                Some(p) => format!("line {}: {e}", p.line()),
                None => e.to_string(),
            }),
        };
        failed = item.is_err();
        Some(item)
    }))
}
