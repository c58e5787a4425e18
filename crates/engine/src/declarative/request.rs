//! The requests of one chain: the stream's request rendered once for the
//! chain's scope (path, params, headers, body), and the request for each
//! position, with the pagination values put where the strategy says (a query
//! parameter, a header, a place in the JSON body) or the next URL.

use std::sync::Arc;

use bytes::Bytes;
use holdfast_http::{HttpRequest, RequestClassifier, RequestTags};
use holdfast_records::{Paginator, Position};
use holdfast_spec::{Body, NextParams, Place, Strategy, Stream};
use serde_json::Value;
use url::Url;

use super::action::render_json;
use super::classifier::GraphqlClassifier;
use super::connection::Connection;
use crate::SourceError;
use crate::source::ReadScope;
use crate::template::{Renderer, Vars};

/// The stream's request, rendered for one chain.
pub(crate) struct ChainRequest {
    stream: String,
    method: holdfast_http::Method,
    /// The first page's URL: path and params rendered for this chain's scope.
    pub(crate) base: Url,
    /// The stream's own params as rendered (those that rendered empty left out).
    params: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    /// The rendered JSON body, when the request has one.
    body: Option<Value>,
    /// The rendered text body (`body:`), when the request has one.
    text: Option<Bytes>,
    /// Whether the next URL of `next_url`/`link_header` gets the stream's params.
    keep_params: bool,
    classifier: Option<RequestClassifier>,
    /// Whether the stack parses the body as JSON (the stream's `format:` is `json`).
    expect_json: bool,
    pub(crate) tags: Arc<RequestTags>,
}

impl ChainRequest {
    /// Renders `stream`'s request for `scope` (its cursor and parent record).
    pub(crate) fn new(
        stream: &Stream,
        conn: &Connection,
        renderer: &Renderer,
        scope: &ReadScope,
    ) -> Result<Self, SourceError> {
        let mut vars = Vars::default().with("cursor", scope.cursor.as_ref());
        if let Some(f) = &stream.for_each {
            vars = vars.with(&f.alias, scope.parent.as_ref());
        }
        let prefix = format!("streams.{}.request", stream.name);
        let path = match &scope.path {
            Some(path) => path.clone(),
            None => renderer.render_path(&format!("{prefix}.path"), &vars)?,
        };
        let mut base = super::reader::join_url(&conn.base_url, &path).map_err(|message| {
            SourceError::Config {
                field: format!("{prefix}.path"),
                message,
            }
        })?;
        let mut params = Vec::new();
        for (k, _) in &stream.request.params {
            let value = renderer.render(&format!("{prefix}.params.{k}"), &vars)?;
            if !value.is_empty() {
                params.push((k.clone(), value));
            }
        }
        for (k, v) in &scope.extra_params {
            params.retain(|(name, _)| name != k);
            params.push((k.clone(), v.clone()));
        }
        base.query_pairs_mut().extend_pairs(&params);
        if base.query() == Some("") {
            base.set_query(None);
        }
        let mut headers = Vec::new();
        for (k, _) in &stream.request.headers {
            headers.push((
                k.clone(),
                renderer.render(&format!("{prefix}.headers.{k}"), &vars)?,
            ));
        }
        let mut text = None;
        let body = match &stream.request.body {
            None => None,
            Some(Body::Text(t)) => {
                let name = format!("{prefix}.body.text");
                let rendered = if t.is_xml() {
                    renderer.render_xml(&name, &vars)?
                } else {
                    renderer.render(&name, &vars)?
                };
                text = Some(Bytes::from(rendered));
                headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
                headers.push(("Content-Type".to_owned(), t.content_type.clone()));
                None
            }
            Some(Body::Json(json)) => Some(render_json(
                renderer,
                &format!("{prefix}.json"),
                json,
                &vars,
            )?),
            Some(Body::Graphql(g)) => {
                let variables = render_json(
                    renderer,
                    &format!("{prefix}.graphql.variables"),
                    &g.variables,
                    &vars,
                )?;
                let mut body = serde_json::Map::new();
                body.insert("query".into(), Value::String(g.query.clone()));
                if let Some(op) = &g.operation_name {
                    body.insert("operationName".into(), Value::String(op.clone()));
                }
                body.insert("variables".into(), variables);
                Some(Value::Object(body))
            }
        };
        if body.is_some() {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        let classifier = stream
            .request
            .body
            .as_ref()
            .is_some_and(Body::is_graphql)
            .then(|| RequestClassifier(Arc::new(GraphqlClassifier)));
        let keep_params = matches!(
            stream.paginate.strategy,
            Strategy::NextUrl {
                params: NextParams::Keep,
                ..
            } | Strategy::LinkHeader {
                params: NextParams::Keep
            }
        );
        let method = crate::http_method(stream.request.method);
        let tags = Arc::new(RequestTags {
            run: scope.run,
            stream: Some(stream.name.clone()),
            endpoint: Some(format!(
                "{} {}",
                method.as_str(),
                stream.request.path.source
            )),
        });
        Ok(ChainRequest {
            stream: stream.name.clone(),
            method,
            base,
            params,
            headers,
            body,
            text,
            keep_params,
            classifier,
            expect_json: super::decode::expects_json(stream),
            tags,
        })
    }

    /// The request for `position`: the first request with the strategy's
    /// values in place, or a next URL (sent with the same method, headers
    /// and body as the first request).
    pub(crate) fn for_position(
        &self,
        paginator: &Paginator<'_>,
        position: &Position,
    ) -> Result<HttpRequest, SourceError> {
        let mut headers = self.headers.clone();
        let mut body = self.body.clone();
        let url = match position {
            Position::Url { url } => self.next_url(url)?,
            _ => {
                let mut query = Vec::new();
                for (place, value) in paginator.values(position) {
                    match place {
                        Place::Query(name) => query.push((name.clone(), text(&value))),
                        Place::Header(name) => {
                            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
                            headers.push((name.clone(), text(&value)));
                        }
                        Place::Body(_) if self.text.is_some() => {
                            return Err(SourceError::Config {
                                field: format!("streams.{}.paginate.at", self.stream),
                                message: "a page value cannot be put into a text `body:`"
                                    .to_owned(),
                            });
                        }
                        Place::Body(pointer) => {
                            let doc = body.get_or_insert(Value::Null);
                            pointer.set(doc, value).map_err(|message| SourceError::Config {
                                field: format!("streams.{}.paginate.at", self.stream),
                                message: format!(
                                    "the page value cannot be set in the request body: {message}"
                                ),
                            })?;
                        }
                    }
                }
                self.with_query(&query)
            }
        };
        Ok(HttpRequest {
            method: self.method,
            url,
            headers,
            body: match &self.text {
                Some(text) => Some(text.clone()),
                None => body.map(|b| Bytes::from(serde_json::to_vec(&b).unwrap_or_default())),
            },
            expect_json: self.expect_json,
            tags: self.tags.clone(),
            rate_wait: Default::default(),
            save_to: None,
            idempotent: true,
            classifier: self.classifier.clone(),
        })
    }

    /// The first page's URL with `extra` parameters (replacing any of the
    /// same name).
    fn with_query(&self, extra: &[(String, String)]) -> Url {
        if extra.is_empty() {
            return self.base.clone();
        }
        let mut url = self.base.clone();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .extend_pairs(extra);
        url
    }

    /// A saved next URL; with `params: keep`, plus each of the stream's
    /// params it lacks.
    fn next_url(&self, raw: &str) -> Result<Url, SourceError> {
        let mut url = Url::parse(raw)
            .map_err(|e| SourceError::Other(format!("saved next-page URL is not a URL ({e})")))?;
        if self.keep_params {
            let present: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
            let missing: Vec<&(String, String)> = self
                .params
                .iter()
                .filter(|(k, _)| !present.contains(k))
                .collect();
            if !missing.is_empty() {
                url.query_pairs_mut().extend_pairs(missing);
            }
        }
        Ok(url)
    }
}

/// A value sent in a query parameter or header: a string as itself.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
