//! Byte-level helpers every text format shares: a UTF-8 byte order mark
//! is skipped, and lines are counted as a parser consumes its input.

use std::io::{BufRead, Read};

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `R` without a leading UTF-8 byte order mark.
pub(crate) struct SkipBom<R> {
    inner: R,
    /// The first bytes, once looked at (the mark removed), still to hand out.
    head: Option<std::io::Cursor<Vec<u8>>>,
}

impl<R: Read> SkipBom<R> {
    pub(crate) fn new(inner: R) -> Self {
        SkipBom { inner, head: None }
    }
}

impl<R: Read> Read for SkipBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.head.is_none() {
            let mut first = Vec::with_capacity(BOM.len());
            let mut byte = [0u8; 3];
            while first.len() < BOM.len() {
                let n = match self.inner.read(&mut byte[..BOM.len() - first.len()]) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if n == 0 {
                    break;
                }
                first.extend_from_slice(&byte[..n]);
            }
            if first == BOM {
                first.clear();
            }
            self.head = Some(std::io::Cursor::new(first));
        }
        if let Some(head) = &mut self.head {
            let n = head.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
        }
        self.inner.read(buf)
    }
}

/// A buffered reader that counts the lines its user consumed.
pub(crate) struct CountLines<R> {
    inner: R,
    /// Newlines consumed so far.
    newlines: u64,
}

impl<R: BufRead> CountLines<R> {
    pub(crate) fn new(inner: R) -> Self {
        CountLines { inner, newlines: 0 }
    }

    /// The 1-based line the next unconsumed byte is on.
    pub(crate) fn line(&self) -> u64 {
        self.newlines + 1
    }
}

impl<R: BufRead> Read for CountLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.newlines += count(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountLines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        // a buffered reader hands out the same buffer again until consumed
        if let Ok(buf) = self.inner.fill_buf() {
            self.newlines += count(&buf[..amount.min(buf.len())]);
        }
        self.inner.consume(amount);
    }
}

fn count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read};

    use super::{CountLines, SkipBom};

    #[test]
    fn a_byte_order_mark_is_skipped_and_nothing_else() {
        let mut out = String::new();
        SkipBom::new(&b"\xEF\xBB\xBFid\n1"[..])
            .read_to_string(&mut out)
            .expect("read");
        assert_eq!(out, "id\n1");
        out.clear();
        SkipBom::new(&b"id"[..])
            .read_to_string(&mut out)
            .expect("read");
        assert_eq!(out, "id");
        out.clear();
        SkipBom::new(&b""[..])
            .read_to_string(&mut out)
            .expect("read");
        assert_eq!(out, "");
    }

    #[test]
    fn lines_are_counted_as_consumed() {
        let mut r = CountLines::new(BufReader::with_capacity(4, &b"a\nb\nc\n"[..]));
        assert_eq!(r.line(), 1);
        let mut line = String::new();
        r.read_line(&mut line).expect("read");
        assert_eq!(r.line(), 2);
        r.read_line(&mut line).expect("read");
        r.read_line(&mut line).expect("read");
        assert_eq!(r.line(), 4);
    }
}
