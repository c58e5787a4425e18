//! A downloaded file on disk and its records, read one at a time: memory
//! holds one page of records, whatever the file's size.

use std::iter::Peekable;

use holdfast_spec::Format;
use serde_json::Value;
use tempfile::TempPath;

use super::decode::{self, Records};

/// Why a file's records could not be read.
type DecodeError = String;

/// A new, empty spool file in the temporary folder, removed when dropped.
pub(super) fn spool() -> std::io::Result<TempPath> {
    Ok(tempfile::Builder::new()
        .prefix("holdfast-bulk-")
        .suffix(".part")
        .tempfile()?
        .into_temp_path())
}

/// One downloaded file being read.
pub(super) struct OpenFile {
    index: usize,
    records: Peekable<Records>,
    /// Keeps the file until it is read (removed on drop).
    _spool: TempPath,
}

impl OpenFile {
    /// Opens file number `index` (downloaded to `spool`) as `format`.
    pub(super) fn open(
        index: usize,
        spool: TempPath,
        format: &Format,
    ) -> Result<Self, DecodeError> {
        let records = decode::open_file(&spool, format)?.peekable();
        Ok(OpenFile {
            index,
            records,
            _spool: spool,
        })
    }

    /// Which file of the job this is (0-based).
    pub(super) fn index(&self) -> usize {
        self.index
    }

    /// Reads past the first `n` records (committed by an earlier run).
    pub(super) fn skip(&mut self, n: usize) -> Result<(), String> {
        for i in 0..n {
            match self.records.next() {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.to_string()),
                None => {
                    return Err(format!(
                        "the file downloaded again holds {i} records, fewer than the {n} \
                         committed from it before; the export changed, so run with \
                         --full-refresh to start a new one"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Up to `n` records, and whether the file ended after them.
    pub(super) fn take(&mut self, n: usize) -> Result<(Vec<Value>, bool), DecodeError> {
        let mut out = Vec::with_capacity(n.min(16_384));
        while out.len() < n {
            match self.records.next() {
                Some(record) => out.push(record?),
                None => return Ok((out, true)),
            }
        }
        Ok((out, self.records.peek().is_none()))
    }
}
