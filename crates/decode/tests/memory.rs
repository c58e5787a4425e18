//! A large gzipped CSV is read as a stream: the most memory held at once
//! stays small whatever the file's size. Counted by a global allocator
//! (bytes, not time); the only test in this binary, so nothing else counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

use holdfast_decode::records;
use holdfast_spec::{CsvOptions, Format, XmlOptions};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only
// the counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// CSV rows made up as they are read: `rows` rows of about 100 bytes.
struct Rows {
    next: u64,
    rows: u64,
    pending: Vec<u8>,
    at: usize,
}

impl Read for Rows {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            self.pending.clear();
            self.at = 0;
            if self.next == 0 {
                self.pending
                    .extend_from_slice(b"id,email,name,note,updated_at\n");
            } else if self.next > self.rows {
                return Ok(0);
            } else {
                let n = self.next;
                let line = format!(
                    "{n},person{n}@example.com,\"Doe, Jane {n}\",\"said \"\"hi\"\"\",2024-01-01T00:00:{:02}Z\n",
                    n % 60
                );
                self.pending.extend_from_slice(line.as_bytes());
            }
            self.next += 1;
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn large_csv_through_gzip_and_large_xml_are_read_in_little_memory() {
    const ROWS: u64 = 600_000;
    // compressed while it is read: neither the CSV nor the gzip is ever whole
    let source = Rows {
        next: 0,
        rows: ROWS,
        pending: Vec::new(),
        at: 0,
    };
    let gzipped = flate2::read::GzEncoder::new(source, flate2::Compression::fast());
    let before = NOW.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let mut count = 0u64;
    let mut bytes = 0u64;
    for record in records(&Format::Csv(CsvOptions::default()), gzipped).expect("decoder") {
        let record = record.expect("a row");
        bytes += record["email"].as_str().map_or(0, str::len) as u64;
        count += 1;
    }
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert_eq!(count, ROWS);
    assert!(bytes > 10_000_000, "{bytes}");
    // buffers (64 KiB reads, the csv and gzip states) and one row: far
    // below the ~55 MB of CSV that went through
    assert!(peak < 1024 * 1024, "peak {peak} bytes");
    println!("600000 rows (~55 MB of CSV) through gzip: peak {peak} bytes allocated");

    // the same for XML read by an element path: the document is never built
    let elements = Elements {
        next: 0,
        count: 200_000,
        pending: Vec::new(),
        at: 0,
    };
    let format = Format::Xml(XmlOptions {
        records: Some(
            ["Envelope", "Body", "List", "Item"]
                .map(String::from)
                .to_vec(),
        ),
        arrays: vec!["Tag".into()],
    });
    let before = NOW.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let mut count = 0u64;
    for record in records(&format, elements).expect("decoder") {
        let record = record.expect("an element");
        assert_eq!(record["Tag"].as_array().map(Vec::len), Some(2));
        count += 1;
    }
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert_eq!(count, 200_000);
    assert!(peak < 1024 * 1024, "peak {peak} bytes");
    println!("200000 XML elements (~20 MB): peak {peak} bytes allocated");
}

/// A SOAP envelope of `count` items made up as it is read.
struct Elements {
    next: u64,
    count: u64,
    pending: Vec<u8>,
    at: usize,
}

impl Read for Elements {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            self.pending.clear();
            self.at = 0;
            let n = self.next;
            let text = if n == 0 {
                "<s:Envelope xmlns:s=\"urn:s\"><s:Body><List>\n".to_owned()
            } else if n <= self.count {
                format!(
                    "<Item id=\"{n}\"><Name>Jane &amp; Co {n}</Name><Tag>a</Tag><Tag>b</Tag>\
                     <Note><![CDATA[<b>{n}</b>]]></Note></Item>\n"
                )
            } else if n == self.count + 1 {
                "</List></s:Body></s:Envelope>\n".to_owned()
            } else {
                return Ok(0);
            };
            self.pending.extend_from_slice(text.as_bytes());
            self.next += 1;
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
