//! Pagination: where the next page is, for every strategy the spec offers.

mod link;
mod next;
mod signals;

pub use link::{Link, LinkError, parse_links};

use std::collections::HashSet;

use holdfast_spec::{Next, Paginate, Place, Strategy};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::RecordsError;

/// Where a request chain is: what the next request asks for. Saved with every
/// committed page, so it must be enough to resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Position {
    /// The first page: the stream's request as written.
    Start,
    /// A cursor token to send as the strategy's parameter.
    Cursor {
        /// The token.
        token: String,
    },
    /// A full URL to fetch (next_url and link_header).
    Url {
        /// The URL.
        url: String,
    },
    /// An offset to send.
    Offset {
        /// Records to skip.
        offset: u64,
    },
    /// A page number to send.
    Page {
        /// The page number.
        page: u64,
    },
}

/// What pagination needs to know about a response.
#[derive(Debug, Clone, Copy)]
pub struct ResponseView<'a> {
    /// The parsed body.
    pub body: &'a Value,
    /// The `Link` header values, joined with ", " (several headers are one list).
    pub link: Option<&'a str>,
    /// How many records the page held.
    pub records: usize,
    /// The URL that was requested (to resolve relative next links).
    pub url: &'a Url,
    /// The value of the response header a cursor's `next_header` names, if
    /// the strategy reads one and the response has it.
    pub next_header: Option<&'a str>,
    /// The page's last record (for `last_record`; `None` on an empty page).
    pub last_record: Option<&'a Value>,
}

/// Walks one request chain: the query parameters for a position, and the
/// position after a page. Create one per chain (per parent for child streams).
#[derive(Debug)]
pub struct Paginator<'s> {
    spec: &'s Paginate,
    pages: u64,
    seen: HashSet<String>,
    /// What the pages said about the chain's end (`expect_*`, Link `last`).
    signals: signals::Signals,
}

impl<'s> Paginator<'s> {
    /// A paginator for a new (or resumed) chain.
    pub fn new(spec: &'s Paginate) -> Self {
        Paginator {
            spec,
            pages: 0,
            seen: HashSet::new(),
            signals: signals::Signals::default(),
        }
    }

    /// The values the strategy sends at `position`, each with where it goes
    /// (a query parameter, a header or a place in the body): tokens as JSON
    /// strings, offsets, limits, page numbers and sizes as JSON numbers. A
    /// `Url` position replaces the whole request URL instead (see
    /// [`Position::Url`]).
    pub fn values(&self, position: &Position) -> Vec<(&'s Place, Value)> {
        let spec: &'s Paginate = self.spec;
        match (&spec.strategy, position) {
            (
                Strategy::Cursor { param, .. }
                | Strategy::LastRecord { param, .. }
                | Strategy::Relay { param, .. },
                Position::Cursor { token },
            ) => vec![(param, Value::String(token.clone()))],
            (
                Strategy::Offset {
                    param,
                    limit_param,
                    limit,
                },
                pos,
            ) => {
                let offset = match pos {
                    Position::Offset { offset } => *offset,
                    _ => 0,
                };
                vec![
                    (param, Value::from(offset)),
                    (limit_param, Value::from(*limit)),
                ]
            }
            (
                Strategy::Page {
                    param,
                    start,
                    size_param,
                    size,
                },
                pos,
            ) => {
                let page = match pos {
                    Position::Page { page } => *page,
                    _ => *start,
                };
                let mut values = vec![(param, Value::from(page))];
                if let (Some(p), Some(s)) = (size_param, size) {
                    values.push((p, Value::from(*s)));
                }
                values
            }
            _ => Vec::new(),
        }
    }

    /// The query parameters among [`Paginator::values`], as text.
    pub fn params(&self, position: &Position) -> Vec<(String, String)> {
        self.values(position)
            .into_iter()
            .filter_map(|(place, value)| {
                let name = place.query()?;
                Some((name.to_owned(), value_text(&value)))
            })
            .collect()
    }

    /// The position after the page at `current`, or `None` when the chain is
    /// done. `stop` is the stream's `stop_when`, already evaluated on this page.
    ///
    /// A chain the strategy ends while the response says there is more is an
    /// error, not an end: `expect_more` true, fewer records than
    /// `expect_total`, or a `Link` `rel="last"` not reached. An explicit
    /// `stop_when` is taken at its word.
    ///
    /// # Errors
    /// A loop (a token seen twice), `max_pages` exceeded, a malformed next
    /// token/URL/`Link` header, or a chain that ended early (see above).
    pub fn next(
        &mut self,
        current: &Position,
        response: &ResponseView<'_>,
        stop: bool,
    ) -> Result<Option<Position>, RecordsError> {
        self.pages += 1;
        // The position just read counts as seen: an API handing the same
        // token (or URL) back loops at once, also in a resumed chain.
        match current {
            Position::Cursor { token } => {
                self.seen.insert(token.clone());
            }
            Position::Url { url } => {
                self.seen.insert(url.clone());
            }
            _ => {}
        }
        self.signals
            .page(self.spec, self.pages, current, response)?;
        if stop {
            return Ok(None);
        }
        let next = match &self.spec.strategy {
            Strategy::Cursor { next, .. } => {
                let token = match next {
                    Next::Body(path) => token_at(response.body, path)?,
                    Next::Header(_) => response
                        .next_header
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned),
                };
                self.cursor(token)?
            }
            Strategy::LastRecord { field, more, .. } => {
                let token = next::last_record(
                    self.pages,
                    response.body,
                    response.last_record,
                    field,
                    more,
                )?;
                self.cursor(token)?
            }
            Strategy::Relay { page_info, .. } => {
                let token = next::relay(self.pages, response.body, page_info)?;
                self.cursor(token)?
            }
            Strategy::NextUrl { next, .. } => match token_at(response.body, next)? {
                Some(raw) => Some(self.url_position(&raw, response.url)?),
                None => None,
            },
            Strategy::LinkHeader { .. } => match link_next(response.link)? {
                Some(raw) => Some(self.url_position(&raw, response.url)?),
                None => None,
            },
            Strategy::Offset { .. } => {
                let offset = match current {
                    Position::Offset { offset } => *offset,
                    _ => 0,
                };
                let records = u64::try_from(response.records).unwrap_or(u64::MAX);
                // A short page is not the end: an API that caps its page
                // size below `limit` answers short pages that are not the
                // last. Only an empty page (or `expect_total` reached, or
                // `stop_when`) ends the chain.
                if records > 0 && !self.signals.total_reached() {
                    let offset = offset.checked_add(records).ok_or(RecordsError::Overflow {
                        what: "offset",
                        at: offset,
                    })?;
                    Some(Position::Offset { offset })
                } else {
                    None
                }
            }
            Strategy::Page { start, .. } => {
                let page = match current {
                    Position::Page { page } => *page,
                    _ => *start,
                };
                // As for offsets: a short page may be a capped one.
                if response.records > 0 && !self.signals.total_reached() {
                    let page = page.checked_add(1).ok_or(RecordsError::Overflow {
                        what: "page number",
                        at: page,
                    })?;
                    Some(Position::Page { page })
                } else {
                    None
                }
            }
            _ => None,
        };
        if next.is_none() {
            self.signals.end(self.spec, self.pages, response)?;
        }
        if next.is_some()
            && let Some(max) = self.spec.max_pages
            && self.pages >= max
        {
            return Err(RecordsError::TooManyPages { max });
        }
        if next.is_some() {
            self.signals
                .same_as_previous(self.spec, self.pages, response)?;
        }
        Ok(next)
    }

    /// The record count `paginate.expect_total` gave on the latest page
    /// that had it (to ask for no page past it).
    pub fn total(&self) -> Option<u64> {
        self.signals.total()
    }

    /// A note for the run's output about the chain that just ended (more
    /// records read than `expect_total` said), once.
    pub fn take_warning(&mut self) -> Option<String> {
        self.signals.warning.take()
    }

    /// A cursor position for `token`, unless the chain saw it already.
    fn cursor(&mut self, token: Option<String>) -> Result<Option<Position>, RecordsError> {
        token
            .map(|token| {
                self.unseen("cursor", token)
                    .map(|token| Position::Cursor { token })
            })
            .transpose()
    }

    fn unseen(&mut self, what: &'static str, token: String) -> Result<String, RecordsError> {
        if self.seen.insert(token.clone()) {
            Ok(token)
        } else {
            Err(RecordsError::Loop { what, token })
        }
    }

    fn url_position(&mut self, raw: &str, base: &Url) -> Result<Position, RecordsError> {
        let url = base.join(raw).map_err(|e| RecordsError::BadUrl {
            url: raw.to_owned(),
            reason: e.to_string(),
        })?;
        let url = self.unseen("next URL", url.to_string())?;
        Ok(Position::Url { url })
    }
}

/// A value sent in a query parameter or header, as text (a string as
/// itself, not quoted).
fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The target of the first `rel="next"` link about this response (no
/// `anchor`), from the joined `Link` header values.
fn link_next(header: Option<&str>) -> Result<Option<String>, RecordsError> {
    let Some(header) = header else {
        return Ok(None);
    };
    let links = parse_links(header).map_err(|e| RecordsError::BadLinkHeader {
        header: header.chars().take(300).collect(),
        reason: e.to_string(),
    })?;
    Ok(links
        .into_iter()
        .find(|l| l.anchor.is_none() && l.has_rel("next"))
        .map(|l| l.target))
}

/// The next-page token at `path`: a non-empty string or a number; `None` for
/// missing, null, false or "".
fn token_at(body: &Value, path: &holdfast_spec::Path) -> Result<Option<String>, RecordsError> {
    match path.path.query(body).first() {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(RecordsError::BadToken {
            path: path.source.clone(),
            found: other.to_string().chars().take(80).collect(),
        }),
    }
}

#[cfg(test)]
mod forms_tests;
#[cfg(test)]
mod tests;
