//! Streams read by a custom source: a `Source` written in Rust and compiled
//! into a `holdfast` binary built around the library, named in the
//! connector file by `source:`.
//!
//! ```yaml
//! streams:
//!   contact_tags:
//!     source: legacy_erp           # registered with Holdfast::new().source("legacy_erp", …)
//!     schedule: { every: 15m }
//! ```
//!
//! The file cannot know which sources a binary has: the binary checks the
//! names when it loads the file, and reports an unknown one at the stream's
//! `source:` with [`CustomStream::problem`].

use super::{Schedule, Spec, Stream};
use crate::error::Diagnostic;

/// A stream whose records a custom source reads. Its table and primary key
/// come from that source's description of the stream, not from the file.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomStream {
    /// The name under `streams:` (the source's stream of the same name).
    pub name: String,
    /// The custom source's name, as registered in the binary.
    pub source: String,
    /// When `holdfast serve` syncs it; `None`: only on demand.
    pub schedule: Option<Schedule>,
    /// Its place among all entries under `streams:` (0 is the first), so
    /// that declarative and custom streams keep the file's order.
    pub position: usize,
    /// Where its `source:` value is: 1-based line and column, when known.
    pub at: Option<(usize, usize)>,
}

impl CustomStream {
    /// A problem with this stream's `source:` (an unknown source name, a
    /// source without this stream), located at that key for
    /// [`SpecErrors`](crate::SpecErrors).
    pub fn problem(&self, message: impl Into<String>, help: impl Into<String>) -> Diagnostic {
        let d = Diagnostic::new(message, format!("streams.{}.source", self.name)).with_help(help);
        match self.at {
            Some((line, column)) => d.at(line, column),
            None => d,
        }
    }
}

impl Spec {
    /// The stream read by a custom source called `name`, if any.
    pub fn custom_stream(&self, name: &str) -> Option<&CustomStream> {
        self.custom_streams.iter().find(|s| s.name == name)
    }

    /// Every stream's name, declarative and custom, in file order.
    pub fn stream_names(&self) -> Vec<&str> {
        self.in_file_order(|s| s.name.as_str(), |c| c.name.as_str())
    }

    /// Every stream with a `schedule:`, declarative and custom, in file order.
    pub fn schedules(&self) -> Vec<(&str, &Schedule)> {
        self.in_file_order(
            |s| s.schedule.as_ref().map(|sch| (s.name.as_str(), sch)),
            |c| c.schedule.as_ref().map(|sch| (c.name.as_str(), sch)),
        )
        .into_iter()
        .flatten()
        .collect()
    }

    /// `declarative` of each declarative stream and `custom` of each
    /// custom one, merged in file order.
    fn in_file_order<'s, T>(
        &'s self,
        declarative: impl Fn(&'s Stream) -> T,
        custom: impl Fn(&'s CustomStream) -> T,
    ) -> Vec<T> {
        let total = self.streams.len() + self.custom_streams.len();
        let mut plain = self.streams.iter();
        let mut out = Vec::with_capacity(total);
        for position in 0..total {
            match self.custom_streams.iter().find(|c| c.position == position) {
                Some(c) => out.push(custom(c)),
                None => out.extend(plain.next().map(&declarative)),
            }
        }
        out
    }
}
