//! Compression recognised by its first bytes: gzip, zlib (deflate), zip.

use std::fs::File;
use std::io::{BufReader, Chain, Cursor, Read, Seek, Write};
use std::path::Path;
use std::sync::mpsc;

use flate2::read::{MultiGzDecoder, ZlibDecoder};
use holdfast_spec::Format;
use serde_json::Value;

use crate::error::{DecodeError, ErrorKind};
use crate::{Records, json};

/// What the first bytes say the input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Packing {
    Plain,
    Gzip,
    Zlib,
    Zip,
}

/// Records waiting in the channel between an archive's reading thread and
/// its consumer: few enough to keep memory bounded.
const ZIP_QUEUE: usize = 64;

fn sniff(prefix: &[u8]) -> Packing {
    match prefix {
        [0x1f, 0x8b, ..] => Packing::Gzip,
        // zlib: deflate with a 32K window, no preset dictionary, and one of
        // the four levels' check bytes (text rarely starts with these)
        [0x78, 0x01 | 0x5e | 0x9c | 0xda, ..] => Packing::Zlib,
        [b'P', b'K', 0x03, 0x04, ..] => Packing::Zip,
        _ => Packing::Plain,
    }
}

/// Up to 4 bytes read ahead (fewer at the end), and the rest.
fn peek<R: Read>(mut input: R) -> Result<(Vec<u8>, R), DecodeError> {
    let mut prefix = Vec::with_capacity(4);
    let mut buf = [0u8; 4];
    while prefix.len() < 4 {
        let n = match input.read(&mut buf[..4 - prefix.len()]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(DecodeError::io(None, &e)),
        };
        if n == 0 {
            break;
        }
        prefix.extend_from_slice(&buf[..n]);
    }
    Ok((prefix, input))
}

/// An input with its first bytes put back in front.
type Whole<R> = Chain<Cursor<Vec<u8>>, R>;

/// A byte stream with its compression (other than zip) undone.
pub(crate) enum Unpacked<R: Read> {
    Plain(Whole<R>),
    Gzip(Box<MultiGzDecoder<BufReader<Whole<R>>>>),
    Zlib(Box<ZlibDecoder<BufReader<Whole<R>>>>),
}

impl<R: Read> Read for Unpacked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Unpacked::Plain(r) => r.read(buf),
            Unpacked::Gzip(r) => r.read(buf),
            Unpacked::Zlib(r) => r.read(buf),
        }
    }
}

/// `input` as plain bytes when it is plain, gzip or zlib; `Err(input)` (with
/// its first bytes put back) when it is a zip archive.
fn unpack<R: Read>(input: R) -> Result<Result<Unpacked<R>, Unpacked<R>>, DecodeError> {
    let (prefix, rest) = peek(input)?;
    let packing = sniff(&prefix);
    let whole = Cursor::new(prefix).chain(rest);
    Ok(match packing {
        Packing::Plain => Ok(Unpacked::Plain(whole)),
        Packing::Gzip => Ok(Unpacked::Gzip(Box::new(MultiGzDecoder::new(
            BufReader::new(whole),
        )))),
        Packing::Zlib => Ok(Unpacked::Zlib(Box::new(ZlibDecoder::new(BufReader::new(
            whole,
        ))))),
        Packing::Zip => Err(Unpacked::Plain(whole)),
    })
}

/// The records of `input`, whatever its compression.
pub(crate) fn records(
    format: &Format,
    input: Box<dyn Read + Send>,
    entry: Option<&str>,
) -> Result<Records, DecodeError> {
    let located = |e: DecodeError| match entry {
        Some(name) => e.in_entry(name),
        None => e,
    };
    match unpack(input).map_err(located)? {
        Ok(plain) => Ok(Records::new(crate::decoder(format, plain))),
        Err(zip) => {
            // the directory of a zip archive is at its end: keep it aside
            let mut file = tempfile::tempfile().map_err(|e| {
                DecodeError::new(
                    ErrorKind::Io,
                    None,
                    format!("no room for a temporary copy of the zip archive: {e}"),
                )
            })?;
            spool(zip, &mut file)?;
            zip_records(format, file)
        }
    }
}

fn spool(mut from: impl Read, file: &mut File) -> Result<(), DecodeError> {
    std::io::copy(&mut from, file).map_err(|e| DecodeError::io(None, &e))?;
    file.flush()
        .and_then(|()| file.rewind())
        .map_err(|e| DecodeError::io(None, &e))
}

/// The records of the file at `path`, whatever its compression.
pub(crate) fn open_file(path: &Path, format: &Format) -> Result<Records, DecodeError> {
    let file = File::open(path).map_err(|e| {
        DecodeError::new(
            ErrorKind::Io,
            None,
            format!("cannot open {}: {e}", path.display()),
        )
    })?;
    let (prefix, mut file) = peek(file)?;
    if sniff(&prefix) == Packing::Zip {
        file.rewind().map_err(|e| DecodeError::io(None, &e))?;
        return zip_records(format, file);
    }
    records(format, Box::new(Cursor::new(prefix).chain(file)), None)
}

/// The archive's file entries (not directories) in name order, by index.
fn entries<R: Read + Seek>(
    archive: &zip::ZipArchive<R>,
) -> Result<Vec<(String, usize)>, DecodeError> {
    let mut names = Vec::with_capacity(archive.len());
    for (index, name) in archive.file_names().enumerate() {
        let name = name.map_err(|e| zip_error(None, &e))?;
        if !name.ends_with('/') {
            names.push((name.into_owned(), index));
        }
    }
    names.sort();
    Ok(names)
}

fn zip_error(entry: Option<&str>, error: &zip::result::ZipError) -> DecodeError {
    let kind = match error {
        zip::result::ZipError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ErrorKind::Truncated
        }
        zip::result::ZipError::Io(_) => ErrorKind::Io,
        _ => ErrorKind::Malformed,
    };
    let e = DecodeError::new(kind, None, format!("not a readable zip archive: {error}"));
    match entry {
        Some(name) => e.in_entry(name),
        None => e,
    }
}

/// Every entry's records, read on a thread of its own (an entry borrows
/// the archive) and handed over through a short queue.
fn zip_records(format: &Format, file: File) -> Result<Records, DecodeError> {
    let mut archive = zip::ZipArchive::new(file).map_err(|e| zip_error(None, &e))?;
    let names = entries(&archive)?;
    let format = format.clone();
    let (tx, rx) = mpsc::sync_channel::<Result<Value, DecodeError>>(ZIP_QUEUE);
    std::thread::Builder::new()
        .name("holdfast-unzip".into())
        .spawn(move || {
            for (name, index) in names {
                let sent = match archive.by_index(index) {
                    Ok(entry) => each_record(&format, entry, &name, |r| tx.send(r).is_ok()),
                    Err(e) => {
                        // the consumer stops at an error: nothing more to send
                        let _ = tx.send(Err(zip_error(Some(&name), &e)));
                        false
                    }
                };
                if !sent {
                    return;
                }
            }
        })
        .map_err(|e| {
            DecodeError::new(
                ErrorKind::Io,
                None,
                format!("cannot start reading the zip archive: {e}"),
            )
        })?;
    Ok(Records::new(rx.into_iter()))
}

/// Hands each record of one archive entry to `sink` until it or the entry
/// ends; false when it stopped early (an error, or `sink` said stop).
fn each_record<R: Read>(
    format: &Format,
    entry: R,
    name: &str,
    mut sink: impl FnMut(Result<Value, DecodeError>) -> bool,
) -> bool {
    let plain = match unpack(entry) {
        Ok(Ok(plain)) => plain,
        Ok(Err(_)) => {
            let e = DecodeError::new(
                ErrorKind::Shape,
                None,
                "a zip archive inside a zip archive is not read; unpack the outer one",
            );
            sink(Err(e.in_entry(name)));
            return false;
        }
        Err(e) => {
            sink(Err(e.in_entry(name)));
            return false;
        }
    };
    for record in crate::decoder(format, plain) {
        let failed = record.is_err();
        if !sink(record.map_err(|e| e.in_entry(name))) || failed {
            return false;
        }
    }
    true
}

/// One page body as one JSON value (see [`crate::page_body`]).
pub(crate) fn page_body(format: &Format, body: &[u8]) -> Result<Value, DecodeError> {
    match unpack(body)? {
        Ok(plain) => crate::document(format, plain),
        Err(_) => {
            let mut archive =
                zip::ZipArchive::new(Cursor::new(body)).map_err(|e| zip_error(None, &e))?;
            let names = entries(&archive)?;
            if !format.yields_rows() || matches!(format, Format::Xml(_)) {
                let [(name, index)] = &names[..] else {
                    return Err(DecodeError::new(
                        ErrorKind::Shape,
                        None,
                        format!(
                            "a zip archive of {} entries cannot be one {} document; \
                             expected exactly one entry",
                            names.len(),
                            format.name()
                        ),
                    ));
                };
                let entry = archive
                    .by_index(*index)
                    .map_err(|e| zip_error(Some(name), &e))?;
                return match unpack(entry).map_err(|e| e.in_entry(name))? {
                    Ok(plain) => crate::document(format, plain).map_err(|e| e.in_entry(name)),
                    Err(_) => Err(DecodeError::new(
                        ErrorKind::Shape,
                        None,
                        "a zip archive inside a zip archive is not read",
                    )
                    .in_entry(name)),
                };
            }
            let mut rows = Vec::new();
            let mut failure = None;
            for (name, index) in names {
                let entry = archive
                    .by_index(index)
                    .map_err(|e| zip_error(Some(&name), &e))?;
                each_record(format, entry, &name, |r| match r {
                    Ok(v) => {
                        rows.push(v);
                        true
                    }
                    Err(e) => {
                        failure = Some(e);
                        false
                    }
                });
                if let Some(e) = failure {
                    return Err(e);
                }
            }
            Ok(Value::Array(rows))
        }
    }
}

#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<Records>();
    is_send::<json::Lines<Unpacked<Box<dyn Read + Send>>>>();
}
