//! `holdfast describe`: a runbook in Markdown for the people on call, written
//! from the connector file (endpoints and their pagination, auth and how its
//! credentials are renewed, rate limits, schedules, alerts, the dependencies
//! between streams) and, when there is one, the store (recent health, the
//! failure modes of the request log and drift, each with what to do).
//!
//! Values are shown as the file writes them (templates are not rendered);
//! credentials never: only the secret or variable names they come from.
//!
//! ```no_run
//! # async fn example(spec: &holdfast_spec::Spec) -> Result<(), Box<dyn std::error::Error>> {
//! use holdfast_engine::describe::{History, Options, Subject, runbook};
//! let subject = Subject::find(spec, "contacts")?;
//! let history = History::Missing("store holdfast.db not found".into());
//! let text = runbook(spec, &subject, history, &Options::default()).await?;
//! assert!(text.starts_with("# Runbook"));
//! # Ok(()) }
//! ```

mod advice;
mod alerts;
mod auth;
mod connection;
mod graph;
mod observed;
mod stream;
mod text;

use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_spec::Spec;
use holdfast_store::{Store, StoreError};

use text::{Doc, code};

/// What a runbook covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Every connection and stream of the file.
    All,
    /// One connection and the streams that read through it.
    Connection(String),
    /// One stream (with its connection's section).
    Stream(String),
}

impl Subject {
    /// The stream or connection called `name` (a stream when both are).
    ///
    /// # Errors
    /// "no stream or connection `contcts`; did you mean `contacts`?" (or the
    /// names there are) when `name` is neither.
    pub fn find(spec: &Spec, name: &str) -> Result<Subject, String> {
        if spec.stream_names().contains(&name) {
            return Ok(Subject::Stream(name.to_owned()));
        }
        if spec.connections.contains_key(name) {
            return Ok(Subject::Connection(name.to_owned()));
        }
        let mut names = spec.stream_names();
        names.extend(spec.connections.keys().map(String::as_str));
        Err(
            match holdfast_spec::nearest_name(name, names.iter().copied()) {
                Some(near) => format!("no stream or connection `{name}`; did you mean `{near}`?"),
                None if names.is_empty() => {
                    format!("no stream or connection `{name}`: the connector file has none")
                }
                None => format!(
                    "no stream or connection `{name}`; the connector file has: {}",
                    names.join(", ")
                ),
            },
        )
    }
}

/// Where the runbook's history comes from.
pub enum History<'a> {
    /// A store, open to read; `shown` names it in the text (no password).
    Store {
        /// The store.
        store: &'a dyn Store,
        /// How it is named in the runbook.
        shown: String,
    },
    /// No store to read, and why (e.g. "store /srv/holdfast.db not found"):
    /// the runbook has its static part only and says so.
    Missing(String),
}

/// How much history a runbook shows.
#[derive(Debug, Clone)]
pub struct Options {
    /// The time the history is read at.
    pub now: DateTime<Utc>,
    /// The window of endpoint statistics and failure modes.
    pub window: Duration,
    /// How many recent runs per stream.
    pub runs: u32,
}

impl Default for Options {
    /// Now, a 7-day window, 5 runs per stream.
    fn default() -> Self {
        Options {
            now: Utc::now(),
            window: Duration::from_secs(7 * 24 * 3600),
            runs: 5,
        }
    }
}

/// The runbook of `subject` in Markdown: the static part from `spec`, then
/// what the store in `history` recorded (or a line saying there is none).
///
/// # Errors
/// A store query failed.
pub async fn runbook(
    spec: &Spec,
    subject: &Subject,
    history: History<'_>,
    options: &Options,
) -> Result<String, StoreError> {
    let selection = graph::Selection::of(spec, subject);
    let observed = match history {
        History::Store { store, shown } => {
            Ok(observed::gather(store, shown, &selection.streams, options).await?)
        }
        History::Missing(why) => Err(why),
    };
    let mut doc = Doc::default();
    let title = match subject {
        Subject::All => "all connections and streams".to_owned(),
        Subject::Connection(name) => format!("connection {}", code(name)),
        Subject::Stream(name) => format!("stream {}", code(name)),
    };
    doc.heading(1, format!("Runbook: {title}"));
    doc.line(format!(
        "Written by `holdfast describe` from the connector file {}.",
        code(&spec.origin.display().to_string())
    ));
    match &observed {
        Ok(seen) => doc.line(format!(
            "History from the store {} as of {} (failure modes and endpoint health over the last {}).",
            code(&seen.store),
            text::when(seen.at),
            text::dur(seen.window)
        )),
        Err(why) => doc.line(format!(
            "No runs recorded yet ({why}): the sections below come from the connector file only."
        )),
    }
    let observed = observed.as_ref().ok();
    graph::overview(&mut doc, spec, &selection);
    graph::dependencies(&mut doc, spec, &selection);
    for conn in &selection.connections {
        connection::section(&mut doc, spec, conn, observed);
    }
    for name in &selection.streams {
        stream::section(&mut doc, spec, name, observed);
    }
    if matches!(subject, Subject::All) {
        graph::spec_wide(&mut doc, spec);
    }
    Ok(doc.finish())
}
