//! Writing to stdout and stderr without ever panicking.
//!
//! `println!` and `eprintln!` panic when the write fails, e.g. when the
//! reader of a pipe has gone (`holdfast sync 2>&1 | head -4`). The command's
//! output is then lost to nobody, but its exit code must stay the one it
//! meant, so every line the binary writes goes through `outln!` and
//! `errln!` instead: a failed write is dropped, and once a stream reports a
//! closed pipe nothing more is written to it. `clippy.toml` forbids the
//! standard print macros in this crate.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Writes a line to stdout like `println!`; a failed write is ignored.
macro_rules! outln {
    () => {
        $crate::out::stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes a line to stderr like `eprintln!`; a failed write is ignored.
macro_rules! errln {
    () => {
        $crate::out::stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes `args` to stdout; after a closed pipe, writes nothing more.
pub(crate) fn stdout(args: fmt::Arguments<'_>) {
    write_to(&STDOUT_CLOSED, &mut io::stdout().lock(), args);
}

/// Writes `args` to stderr; after a closed pipe, writes nothing more.
pub(crate) fn stderr(args: fmt::Arguments<'_>) {
    write_to(&STDERR_CLOSED, &mut io::stderr().lock(), args);
}

/// A `tracing` writer for stderr that never fails the caller.
pub(crate) fn log_writer() -> LogWriter {
    LogWriter
}

/// stderr for log lines: writes that fail are reported as done, so nothing
/// upstream retries, logs the failure or panics.
pub(crate) struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !STDERR_CLOSED.load(Ordering::Relaxed)
            && let Err(e) = io::stderr().lock().write_all(buf)
        {
            note(&STDERR_CLOSED, &e);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

fn write_to(closed: &AtomicBool, out: &mut impl Write, args: fmt::Arguments<'_>) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = out.write_fmt(args) {
        note(closed, &e);
    }
}

/// Remembers a closed pipe; other errors (a full disk) are dropped per write.
fn note(closed: &AtomicBool, error: &io::Error) {
    if error.kind() == io::ErrorKind::BrokenPipe {
        closed.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader has gone.
    struct Closed(usize);

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            self.0 += 1;
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_written_once_then_left_alone() {
        let closed = AtomicBool::new(false);
        let mut w = Closed(0);
        write_to(&closed, &mut w, format_args!("a\n"));
        write_to(&closed, &mut w, format_args!("b\n"));
        assert_eq!(w.0, 1);
        assert!(closed.load(Ordering::Relaxed));
    }
}
