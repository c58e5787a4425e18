//! What a chain's pages say about its end, so a chain the strategy ends
//! while the API says there is more fails instead of passing:
//! `paginate.expect_more`, `paginate.expect_total` and a `Link` header's
//! `rel="last"`.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use holdfast_spec::{Paginate, Path, Place, Strategy};
use serde_json::Value;
use url::Url;

use super::{Position, ResponseView, parse_links};
use crate::RecordsError;

/// The signals seen so far in one chain.
#[derive(Debug, Default)]
pub(super) struct Signals {
    /// Records read in this chain.
    read: u64,
    /// The chain started at its first page (not resumed), so `read` is all of it.
    from_start: bool,
    /// With `offset`: the offset just past the latest page's records (how
    /// many records of the listing are behind the chain, resumed or not).
    offset_end: Option<u64>,
    /// `expect_more` matched on some page.
    more_seen: bool,
    /// `expect_more` on the latest page.
    more: Option<bool>,
    /// `expect_total` on the latest page that had it.
    total: Option<u64>,
    /// Every page URL read, normalised (see [`url_key`]).
    visited: HashSet<String>,
    /// A digest of the previous page's body (offset and page strategies).
    previous: Option<u64>,
    /// A note about the ended chain for the run's output.
    pub(super) warning: Option<String>,
}

impl Signals {
    /// Takes in page number `page` (1-based in this chain).
    pub(super) fn page(
        &mut self,
        spec: &Paginate,
        page: u64,
        current: &Position,
        response: &ResponseView<'_>,
    ) -> Result<(), RecordsError> {
        if page == 1 {
            self.from_start = *current == Position::Start;
        }
        self.read = self
            .read
            .saturating_add(u64::try_from(response.records).unwrap_or(u64::MAX));
        self.visited.insert(url_key(response.url));
        if let Strategy::Offset { .. } = spec.strategy {
            let offset = match current {
                Position::Offset { offset } => *offset,
                _ => 0,
            };
            let records = u64::try_from(response.records).unwrap_or(u64::MAX);
            self.offset_end = Some(offset.saturating_add(records));
        }
        self.more = match &spec.expect_more {
            Some(path) => more_at(response.body, path)?,
            None => None,
        };
        self.more_seen |= self.more.is_some();
        if let Some(path) = &spec.expect_total
            && let Some(total) = total_at(response.body, path)?
        {
            self.total = Some(total);
        }
        Ok(())
    }

    /// `expect_total` says every record is in: no page needs to be asked
    /// for to learn the chain is over. With `offset` that is the offset past
    /// the latest page reaching the total (Jira's `startAt + records >=
    /// total`), also in a resumed chain; otherwise the records read by a
    /// chain from its start.
    pub(super) fn total_reached(&self) -> bool {
        self.covered()
            .is_some_and(|covered| self.total.is_some_and(|total| covered >= total))
    }

    /// The record count `expect_total` gave on the latest page that had it.
    pub(super) fn total(&self) -> Option<u64> {
        self.total
    }

    /// How many records of the listing the chain has covered, when known.
    fn covered(&self) -> Option<u64> {
        self.offset_end
            .or_else(|| self.from_start.then_some(self.read))
    }

    /// Offset and page numbers are the engine's own guess of the next page:
    /// an API ignoring the parameter (a wrong `param:`) answers every page
    /// with the first, forever. A non-empty page whose body equals the one
    /// before is that loop. Called for pages the strategy would go on from.
    pub(super) fn same_as_previous(
        &mut self,
        spec: &Paginate,
        page: u64,
        response: &ResponseView<'_>,
    ) -> Result<(), RecordsError> {
        let param = match &spec.strategy {
            Strategy::Offset { param, .. } | Strategy::Page { param, .. } => match param {
                Place::Query(name) | Place::Header(name) => name,
                Place::Body(pointer) => &pointer.source,
            },
            _ => return Ok(()),
        };
        if response.records == 0 {
            self.previous = None;
            return Ok(());
        }
        // The body is written straight into the hasher: no copy of a page
        // as text on every offset/page request.
        let mut hasher = HashWriter(std::hash::DefaultHasher::new());
        if serde_json::to_writer(&mut hasher, response.body).is_err() {
            return Ok(());
        }
        let mut hasher = hasher.0;
        response.records.hash(&mut hasher);
        let digest = hasher.finish();
        if self.previous.replace(digest) == Some(digest) {
            return Err(RecordsError::RepeatedPage {
                page,
                param: param.clone(),
            });
        }
        Ok(())
    }

    /// Checks the signals when the strategy found no next page after page
    /// number `page`.
    pub(super) fn end(
        &mut self,
        spec: &Paginate,
        page: u64,
        response: &ResponseView<'_>,
    ) -> Result<(), RecordsError> {
        if let Some(path) = &spec.expect_more {
            if self.more == Some(true) {
                return Err(RecordsError::EndedEarly {
                    page,
                    signal: format!("`paginate.expect_more` ({}) is true on it", path.source),
                });
            }
            if !self.more_seen {
                return Err(missing("expect_more", path, page));
            }
        }
        if let Some(path) = &spec.expect_total {
            let Some(total) = self.total else {
                return Err(missing("expect_total", path, page));
            };
            if let Some(covered) = self.covered()
                && covered < total
            {
                let read = if self.offset_end.is_some() && !self.from_start {
                    format!("it ended at offset {covered}")
                } else {
                    format!("the chain read {covered}")
                };
                return Err(RecordsError::EndedEarly {
                    page,
                    signal: format!(
                        "`paginate.expect_total` ({}) says {total} records and {read}",
                        path.source
                    ),
                });
            }
            if self.from_start && self.read > total {
                self.warning = Some(format!(
                    "the chain read {} records, more than the {total} that \
                     `paginate.expect_total` ({}) says; records may have been added \
                     while paging, or the path is not the total",
                    self.read, path.source
                ));
            }
        }
        if let Some(last) = self.last_unreached(response) {
            return Err(RecordsError::LastNotReached { page, last });
        }
        Ok(())
    }

    /// The `rel="last"` target of this page's `Link` header, when no page of
    /// the chain was read from it. A header that cannot be read says nothing
    /// here (the `link_header` strategy already failed on it).
    fn last_unreached(&self, response: &ResponseView<'_>) -> Option<String> {
        let links = parse_links(response.link?).ok()?;
        let last = links
            .into_iter()
            .find(|l| l.anchor.is_none() && l.has_rel("last"))?;
        let url = response.url.join(&last.target).ok()?;
        (!self.visited.contains(&url_key(&url))).then(|| url.to_string())
    }
}

fn missing(key: &'static str, path: &Path, pages: u64) -> RecordsError {
    RecordsError::SignalMissing {
        key,
        path: path.source.clone(),
        pages,
    }
}

/// `expect_more` on a page: `None` when the path matches nothing or null.
fn more_at(body: &Value, path: &Path) -> Result<Option<bool>, RecordsError> {
    match path.path.query(body).first() {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(Some(n.as_u64() != Some(0))),
        Some(other) => Err(bad("expect_more", path, "true or false", other)),
    }
}

/// `expect_total` on a page: `None` when the path matches nothing or null.
fn total_at(body: &Value, path: &Path) -> Result<Option<u64>, RecordsError> {
    match path.path.query(body).first() {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
        Some(Value::String(s)) if s.trim().parse::<u64>().is_ok() => Ok(s.trim().parse().ok()),
        Some(other) => Err(bad("expect_total", path, "a whole number", other)),
    }
}

fn bad(key: &'static str, path: &Path, want: &'static str, found: &Value) -> RecordsError {
    RecordsError::BadSignal {
        key,
        path: path.source.clone(),
        want,
        found: found.to_string().chars().take(80).collect(),
    }
}

/// A page URL as a comparable key: query parameters in sorted, decoded
/// form, so `?b=2&a=1` and `?a=1&b=2` are one page.
fn url_key(url: &Url) -> String {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    format!(
        "{}://{}:{}{}?{pairs:?}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0),
        url.path()
    )
}

/// An [`std::io::Write`] that feeds every byte to a hasher.
struct HashWriter(std::hash::DefaultHasher);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
