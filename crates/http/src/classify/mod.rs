//! Middleware that turns answers into outcomes: a non-2xx status, a `200`
//! with an error inside, HTML or a cut-off body where JSON was expected all
//! become typed errors that the breaker and retry layers act on.

mod layer;
mod session;

pub use crate::verdict::{Classifier, Verdict};
pub use layer::ClassifyLayer;
pub use session::SessionExpiry;

use std::sync::Arc;
use std::task::{Context, Poll};

use serde_json::Value;

use crate::error::parse_retry_after;
use crate::{
    HttpError, HttpErrorKind, HttpRequest, HttpResponse, Redactor, ResponseFuture, excerpt,
};

/// See the module docs.
#[derive(Clone)]
pub struct Classify<S> {
    inner: S,
    classifier: Option<Arc<dyn Classifier>>,
    expiry: Option<Arc<SessionExpiry>>,
    connection: Arc<str>,
    redactor: Arc<Redactor>,
}

impl<S> tower::Service<HttpRequest> for Classify<S>
where
    S: crate::HttpService,
{
    type Response = HttpResponse;
    type Error = HttpError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), HttpError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> ResponseFuture {
        let this = self.clone();
        let method = request.method.as_str();
        let expect_json = request.expect_json;
        let own = request.classifier.as_ref().map(|c| c.0.clone());
        let pending = self.inner.call(request);
        Box::pin(async move {
            let mut response = pending.await?;
            let fail = |kind, detail: String, rule_retry: bool, retry_after| HttpError {
                kind,
                connection: this.connection.to_string(),
                method,
                url: this.redactor.url(&response.url),
                status: Some(response.status),
                retry_after,
                detail: this.redactor.text(&detail),
                rule_retry,
                attempts: 0,
            };
            let wants_body = this.classifier.is_some()
                || own.is_some()
                || this.expiry.as_ref().is_some_and(|e| e.when.is_some());
            let parsed = if expect_json || wants_body {
                Some(parse_json(response.body.clone()).await)
            } else {
                None
            };
            if let Some(expiry) = &this.expiry {
                let body = match &parsed {
                    Some(Ok(v)) => v,
                    _ => &Value::Null,
                };
                if let Some(why) = expiry.check(&response, body) {
                    return Err(fail(HttpErrorKind::SessionExpired, why, false, None));
                }
            }
            let body = match &parsed {
                Some(Ok(v)) => v,
                _ => &Value::Null,
            };
            // The connection's rules first (a rule may skip or retry a
            // particular answer), then the request's own.
            let verdicts = [(this.classifier.as_ref(), true), (own.as_ref(), false)];
            for (classifier, is_rule) in verdicts {
                let Some(classifier) = classifier else {
                    continue;
                };
                let say = |why: &str, retrying: &str| {
                    let excerpt = excerpt(&response.body, 300);
                    if is_rule {
                        format!(
                            "answered {} but rule `{why}` says it failed{retrying}: {excerpt}",
                            response.status
                        )
                    } else {
                        format!(
                            "answered {} {why}{retrying}; body: {excerpt}",
                            response.status
                        )
                    }
                };
                match classifier.classify(response.status, &response.headers, body) {
                    Verdict::Pass => {}
                    Verdict::Skip => {
                        response.skipped = true;
                        return Ok(response);
                    }
                    Verdict::Retry(why) => {
                        let detail = say(&why, " (retrying)");
                        return Err(fail(HttpErrorKind::Rule, detail, true, None));
                    }
                    Verdict::Fail(why) => {
                        let detail = say(&why, "");
                        return Err(fail(HttpErrorKind::Rule, detail, false, None));
                    }
                }
            }
            if !(200..300).contains(&response.status) {
                let retry_after = response
                    .header("retry-after")
                    .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
                let reason = reqwest::StatusCode::from_u16(response.status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("");
                let detail = format!(
                    "answered {} {reason}: {}",
                    response.status,
                    excerpt(&response.body, 300)
                );
                return Err(fail(HttpErrorKind::Status, detail, false, retry_after));
            }
            if expect_json {
                match parsed {
                    Some(Ok(value)) => response.json = Some(value),
                    Some(Err(reason)) => {
                        let content_type = response.content_type().unwrap_or("no content type");
                        let detail = format!(
                            "answered {} with a body that is not JSON ({content_type}): {reason}; body starts: {}",
                            response.status,
                            excerpt(&response.body, 200)
                        );
                        return Err(fail(HttpErrorKind::NotJson, detail, false, None));
                    }
                    None => {}
                }
            }
            Ok(response)
        })
    }
}

/// Parses a body on the blocking pool (it is the costliest step of a page).
async fn parse_json(body: bytes::Bytes) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty".into());
    }
    tokio::task::spawn_blocking(move || {
        serde_json::from_slice::<Value>(&body).map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(format!("parsing failed: {e}")))
}
