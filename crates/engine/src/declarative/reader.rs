//! One request chain of a declarative stream: build the request for a
//! position, send it, check the body is JSON, select records, find the next page.

use async_trait::async_trait;
use holdfast_http::{HttpError, HttpRequest, HttpResponse};
use holdfast_records::{
    Paginator, Position, RecordsError, ResponseView, count_records, path_is_true, select_records,
};
use holdfast_spec::{StopWhen, Stream};
use serde_json::Value;
use url::Url;

use super::connection::Connection;
use super::request::ChainRequest;
use crate::SourceError;
use crate::source::{Page, PageReader, ReadScope};
use crate::template::{Renderer, Vars};

pub(crate) struct DeclarativeReader<'a> {
    stream: &'a Stream,
    conn: &'a Connection,
    renderer: &'a Renderer,
    paginator: Paginator<'a>,
    /// The stream's request rendered for this chain's scope.
    request: ChainRequest,
    /// The page size asked for, when known (to notice an API capping it).
    asked: Option<u64>,
    /// The previous page was shorter than asked yet not the last:
    /// `(asked, got)`. It shows a cap only once the page after it holds
    /// records (a short last page is followed by an empty one).
    short: Option<(u64, u64)>,
    /// Pages fetched ahead (offset and page strategies), in position order.
    ahead: std::collections::VecDeque<(Position, Result<HttpResponse, HttpError>)>,
}

impl<'a> DeclarativeReader<'a> {
    pub(crate) fn new(
        stream: &'a Stream,
        conn: &'a Connection,
        renderer: &'a Renderer,
        scope: ReadScope,
    ) -> Result<Self, SourceError> {
        let request = ChainRequest::new(stream, conn, renderer, &scope)?;
        let asked = asked_page_size(stream, &request.base);
        Ok(DeclarativeReader {
            stream,
            conn,
            renderer,
            paginator: Paginator::new(&stream.paginate),
            request,
            asked,
            short: None,
            ahead: std::collections::VecDeque::new(),
        })
    }

    /// The response for `position`. Offset and page strategies know the
    /// following positions without the response, so up to the connection's
    /// `max_concurrency` pages are fetched at once and handed out in order;
    /// the in-flight bound and rate limit still apply to each request.
    async fn fetch(&mut self, position: &Position) -> Result<HttpResponse, HttpError> {
        if let Some((p, _)) = self.ahead.front()
            && p == position
            && let Some((_, result)) = self.ahead.pop_front()
        {
            return result;
        }
        self.ahead.clear();
        // After a short page the next one is most likely empty (the end):
        // ask for it alone rather than for a window of pages past the end.
        let positions = if self.short.is_some() {
            vec![position.clone()]
        } else {
            self.positions_from(position)
        };
        let mut requests = Vec::with_capacity(positions.len());
        for p in &positions {
            requests.push(self.request(p).map_err(|e| {
                HttpError::from_message(self.conn.client.connection(), e.to_string())
            })?);
        }
        let client = &self.conn.client;
        let mut results =
            futures::future::join_all(requests.into_iter().map(|r| client.send(r))).await;
        let first = results.remove(0);
        self.ahead = positions.into_iter().skip(1).zip(results).collect();
        first
    }

    /// `position` and, for offset/page strategies, the ones after it to fetch
    /// at once. With `expect_total`, the first page is asked for alone (it
    /// says the total), and no page past the total is asked for.
    fn positions_from(&self, position: &Position) -> Vec<Position> {
        use holdfast_spec::Strategy;
        let depth = self.conn.parallel_chains.clamp(1, 8) as u64;
        let total = self.paginator.total();
        if self.stream.paginate.expect_total.is_some() && total.is_none() {
            return vec![position.clone()];
        }
        let mut out = vec![position.clone()];
        for i in 1..depth {
            let (next, first_record) = match (&self.stream.paginate.strategy, position) {
                (Strategy::Offset { limit, .. }, Position::Start) => {
                    let offset = i * limit;
                    (Position::Offset { offset }, Some(offset))
                }
                (Strategy::Offset { limit, .. }, Position::Offset { offset }) => {
                    let offset = offset + i * limit;
                    (Position::Offset { offset }, Some(offset))
                }
                (Strategy::Page { start, size, .. }, Position::Start) => {
                    (Position::Page { page: start + i }, size.map(|s| i * s))
                }
                (Strategy::Page { start, size, .. }, Position::Page { page }) => (
                    Position::Page { page: page + i },
                    size.map(|s| (page + i).saturating_sub(*start) * s),
                ),
                _ => break,
            };
            if let (Some(total), Some(first)) = (total, first_record)
                && first >= total
            {
                break;
            }
            out.push(next);
        }
        out
    }

    fn request(&self, position: &Position) -> Result<HttpRequest, SourceError> {
        self.request.for_position(&self.paginator, position)
    }

    /// A next-page URL the API handed over, without query credentials, once
    /// it is known to stay where the connection's credentials may go: a URL
    /// leaving the origin (and not under `allowed_hosts:`) fails this page,
    /// so neither it nor the position pointing away is committed.
    fn next_url(&self, raw: &str, page: &str) -> Result<String, SourceError> {
        let mut url = Url::parse(raw).map_err(|e| SourceError::Paginate {
            url: page.to_owned(),
            source: holdfast_records::RecordsError::BadUrl {
                url: raw.to_owned(),
                reason: e.to_string(),
            },
        })?;
        let client = &self.conn.client;
        client.strip_credentials(&mut url);
        if client.scope().reach(&url) == holdfast_http::Reach::Refused {
            return Err(SourceError::Other(format!(
                "{page}: the next page's URL {} (from the {}) leaves connection `{}`'s origin \
                 {}; it was not requested, so no credentials went there and nothing it would \
                 answer was stored. If the API really hands out links to that host, list it \
                 under the connection's `allowed_hosts:` (it is then fetched without credentials)",
                client.redactor().url(&url),
                match self.stream.paginate.strategy {
                    holdfast_spec::Strategy::LinkHeader { .. } => "Link header",
                    _ => "response body",
                },
                client.connection(),
                client.scope().origin(),
            )));
        }
        Ok(url.into())
    }

    /// `error` with the URLs and header text it quotes from the API redacted.
    fn redact(&self, mut error: RecordsError) -> RecordsError {
        let redactor = self.conn.client.redactor();
        match &mut error {
            RecordsError::BadLinkHeader { header, .. } => *header = redactor.text(header),
            RecordsError::LastNotReached { last, .. } => {
                *last = match Url::parse(last) {
                    Ok(url) => redactor.url(&url),
                    Err(_) => redactor.text(last),
                }
            }
            _ => {}
        }
        error
    }

    fn stop(
        &self,
        stop: &StopWhen,
        body: &Value,
        records: usize,
        page: &Position,
    ) -> Result<bool, SourceError> {
        match stop {
            StopWhen::Path(path) => Ok(path_is_true(body, path)),
            StopWhen::Condition(_) => {
                let vars = Vars::default()
                    .with("body", Some(body))
                    .with_value("records", records.into())
                    .with("page", serde_json::to_value(page).ok().as_ref());
                self.renderer.holds(
                    &format!("streams.{}.paginate.stop_when", self.stream.name),
                    &vars,
                )
            }
        }
    }
}

#[async_trait]
impl PageReader for DeclarativeReader<'_> {
    async fn read_page(&mut self, position: &Value) -> Result<Page, SourceError> {
        let position: Position = if position.is_null() {
            Position::Start
        } else {
            serde_json::from_value(position.clone()).map_err(|e| {
                SourceError::Other(format!(
                    "the saved position {position} does not fit stream `{}` ({e}); \
                     run with --full-refresh to start over",
                    self.stream.name
                ))
            })?
        };
        let mut response = self.fetch(&position).await?;
        if response.skipped {
            // An `errors:` rule said this answer carries no data: the chain
            // ends here, and the run's summary counts it.
            tracing::info!(stream = %self.stream.name, url = %self.conn.client.redactor().url(&response.url), "an `errors:` rule skipped this answer; its chain ends here");
            return Ok(Page {
                skipped: true,
                ..Page::default()
            });
        }
        let shown_url = self.conn.client.redactor().url(&response.url);
        let body = response.json.take().unwrap_or(Value::Null);
        let records =
            count_records(&body, &self.stream.records).map_err(|source| SourceError::Records {
                url: shown_url.clone(),
                source,
            })?;
        let stop = match &self.stream.paginate.stop_when {
            Some(stop) => self.stop(stop, &body, records, &position)?,
            None => false,
        };
        let link = link_header(&response);
        let next_header = match &self.stream.paginate.strategy {
            holdfast_spec::Strategy::Cursor {
                next: holdfast_spec::Next::Header(name),
                ..
            } => response
                .headers
                .get(name.as_str())
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            _ => None,
        };
        let last_record = match &self.stream.paginate.strategy {
            holdfast_spec::Strategy::LastRecord { .. } => self
                .stream
                .records
                .path
                .query(&body)
                .all()
                .last()
                .map(|v| (*v).clone()),
            _ => None,
        };
        let view = ResponseView {
            body: &body,
            link: link.as_deref(),
            records,
            url: &response.url,
            next_header: next_header.as_deref(),
            last_record: last_record.as_ref(),
        };
        let next = self
            .paginator
            .next(&position, &view, stop)
            .map_err(|source| SourceError::Paginate {
                url: shown_url.clone(),
                source: self.redact(source),
            })?;
        if let Some(warning) = self.paginator.take_warning() {
            tracing::warn!(stream = %self.stream.name, "{shown_url}: {warning}");
        }
        let next = next
            .map(|p| {
                let p = match p {
                    Position::Url { url } => Position::Url {
                        url: self.next_url(&url, &shown_url)?,
                    },
                    other => other,
                };
                serde_json::to_value(p).map_err(|e| SourceError::Other(e.to_string()))
            })
            .transpose()?;
        if next.is_none() {
            // Pages fetched past the end are not needed.
            self.ahead.clear();
        }
        let short = self
            .asked
            .filter(|asked| {
                records > 0 && holdfast_records::page_capped(*asked, records as u64, next.is_some())
            })
            .map(|asked| (asked, records as u64));
        let capped = std::mem::replace(&mut self.short, short).filter(|_| records > 0);
        Ok(Page {
            records: select_records(body, &self.stream.records),
            next,
            capped,
            skipped: false,
        })
    }
}

/// Every `Link` header of `response`, joined with ", " (one list, as HTTP
/// says). Bytes that are not UTF-8 are replaced rather than the header
/// dropped: a dropped header would read as "no next page".
fn link_header(response: &HttpResponse) -> Option<String> {
    let values: Vec<String> = response
        .headers
        .get_all("link")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// The page size a stream asks for: the strategy's own (`offset.limit`,
/// `page.size`) or a numeric `limit`/`per_page`/`page_size`/`pageSize`/`count` parameter.
fn asked_page_size(stream: &Stream, base: &Url) -> Option<u64> {
    match &stream.paginate.strategy {
        holdfast_spec::Strategy::Offset { limit, .. } => return Some(*limit),
        holdfast_spec::Strategy::Page {
            size: Some(size), ..
        } => return Some(*size),
        _ => {}
    }
    base.query_pairs()
        .find(|(k, _)| {
            matches!(
                k.as_ref(),
                "limit" | "per_page" | "page_size" | "pageSize" | "count"
            )
        })
        .and_then(|(_, v)| v.parse().ok())
}

/// `base` + `path` as users expect: `https://h/api` + `/v2/x` is
/// `https://h/api/v2/x`; a full URL in `path` stands alone.
pub(crate) fn join_url(base: &Url, path: &str) -> Result<Url, String> {
    if path.starts_with("http://") || path.starts_with("https://") {
        return Url::parse(path).map_err(|e| format!("`{path}` is not a valid URL ({e})"));
    }
    let joined = format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    Url::parse(&joined).map_err(|e| format!("`{joined}` is not a valid URL ({e})"))
}

#[cfg(test)]
mod tests {
    use super::join_url;
    use url::Url;

    #[test]
    fn joins_like_a_user_expects() {
        let base = Url::parse("http://h:1/api/").expect("url");
        assert_eq!(
            join_url(&base, "/v2/x").expect("ok").as_str(),
            "http://h:1/api/v2/x"
        );
        assert_eq!(
            join_url(&base, "v2/x?a=1").expect("ok").as_str(),
            "http://h:1/api/v2/x?a=1"
        );
        assert_eq!(
            join_url(&base, "https://o/p").expect("ok").as_str(),
            "https://o/p"
        );
    }
}
