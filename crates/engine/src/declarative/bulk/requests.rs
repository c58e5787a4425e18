//! The requests of a bulk job: templates compiled once, rendered per request.

use bytes::Bytes;
use holdfast_http::HttpRequest;
use holdfast_spec::{BulkRequest, Download, Stream};

use super::BulkReader;
use crate::SourceError;
use crate::declarative::action::render_json;
use crate::declarative::reader::join_url;
use crate::template::{Renderer, Vars};

/// Adds a bulk stream's templates and conditions to the renderer (nothing
/// for other streams).
pub(crate) fn compile(renderer: &mut Renderer, stream: &Stream) -> Result<(), SourceError> {
    let Some(bulk) = &stream.bulk else {
        return Ok(());
    };
    let base = format!("streams.{}.bulk", stream.name);
    let mut requests = vec![
        ("create", &bulk.create),
        ("poll.request", &bulk.poll.request),
    ];
    if let Download::Request(download) = &bulk.download {
        requests.push(("download.request", &download.request));
    }
    for (at, request) in requests {
        let prefix = format!("{base}.{at}");
        renderer.add_path(&format!("{prefix}.path"), &request.path)?;
        for (k, t) in &request.params {
            renderer.add(&format!("{prefix}.params.{k}"), t)?;
        }
        for (k, t) in &request.headers {
            renderer.add(&format!("{prefix}.headers.{k}"), t)?;
        }
    }
    renderer.add_condition(&format!("{base}.poll.until"), &bulk.poll.until)?;
    if let Some(failed) = &bulk.poll.failed_when {
        renderer.add_condition(&format!("{base}.poll.failed_when"), failed)?;
    }
    Ok(())
}

impl BulkReader<'_> {
    /// The request `at` (`create`, `poll.request` or `download.request`)
    /// rendered with `vars`.
    pub(super) fn request(
        &self,
        at: &str,
        request: &BulkRequest,
        vars: &Vars,
    ) -> Result<HttpRequest, SourceError> {
        let prefix = format!("streams.{}.bulk.{at}", self.stream.name);
        let path = self.renderer.render_path(&format!("{prefix}.path"), vars)?;
        let mut url =
            join_url(&self.conn.base_url, &path).map_err(|message| SourceError::Config {
                field: format!("{prefix}.path"),
                message,
            })?;
        {
            let mut query = url.query_pairs_mut();
            for (k, _) in &request.params {
                let value = self
                    .renderer
                    .render(&format!("{prefix}.params.{k}"), vars)?;
                if !value.is_empty() {
                    query.append_pair(k, &value);
                }
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let mut headers = Vec::new();
        for (k, _) in &request.headers {
            let value = self
                .renderer
                .render(&format!("{prefix}.headers.{k}"), vars)?;
            headers.push((k.clone(), value));
        }
        let body = match &request.json {
            None => None,
            Some(json) => {
                headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
                let value = render_json(self.renderer, &format!("{prefix}.json"), json, vars)?;
                Some(Bytes::from(serde_json::to_vec(&value).map_err(|e| {
                    SourceError::Config {
                        field: format!("{prefix}.json"),
                        message: e.to_string(),
                    }
                })?))
            }
        };
        Ok(HttpRequest {
            method: crate::http_method(request.method),
            headers,
            body,
            tags: self.tags.clone(),
            ..HttpRequest::get_json(url)
        })
    }
}
