//! Where a benchmark writes its report: the binary's own line writer.

use std::fmt;

/// Writes one line of a benchmark's report (the binary's stdout writer,
/// which never panics on a closed pipe).
macro_rules! say {
    ($report:expr) => {
        $report.line(format_args!(""))
    };
    ($report:expr, $($arg:tt)*) => {
        $report.line(format_args!($($arg)*))
    };
}

/// The writer a benchmark's report lines go to: a function that writes
/// already formatted text (the binary passes its stdout writer).
#[derive(Clone, Copy)]
pub struct Report {
    write: fn(fmt::Arguments<'_>),
}

impl Report {
    /// Lines go to `write`, each followed by a newline.
    pub fn new(write: fn(fmt::Arguments<'_>)) -> Report {
        Report { write }
    }

    /// Writes `args` and a newline.
    pub fn line(&self, args: fmt::Arguments<'_>) {
        (self.write)(format_args!("{args}\n"));
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Report")
    }
}
