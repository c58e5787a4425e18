//! Running the login chain: each step's request, and the values taken from
//! its answer.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use serde_json::Value;

use super::{Extract, LoginBody, LoginStep, RenderFn, SessionCredential};
use crate::{HttpError, HttpErrorKind, Method, excerpt};

impl SessionCredential {
    /// Runs the login chain on an empty jar: the values extracted.
    pub(super) async fn login(&self) -> Result<BTreeMap<String, String>, HttpError> {
        self.jar.clear();
        let mut values = BTreeMap::new();
        let count = self.config.steps.len();
        for (i, step) in self.config.steps.iter().enumerate() {
            let what = format!(
                "login step {} of {count} ({} {})",
                i + 1,
                step.method.as_str(),
                step.url.path()
            );
            self.step(step, &what, &mut values).await?;
        }
        self.logins.fetch_add(1, Ordering::Relaxed);
        tracing::info!(connection = %self.config.connection, steps = count, "logged in");
        Ok(values)
    }

    async fn step(
        &self,
        step: &LoginStep,
        what: &str,
        values: &mut BTreeMap<String, String>,
    ) -> Result<(), HttpError> {
        let render = |field: &str, f: &RenderFn, values: &BTreeMap<String, String>| {
            f(values).map_err(|e| {
                self.step_error(
                    step,
                    HttpErrorKind::Auth,
                    None,
                    format!("{what}: `{field}` could not be rendered: {e}"),
                )
            })
        };
        let method = match step.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.http.request(method, step.url.clone());
        for (name, f) in &step.headers {
            builder = builder.header(name.as_str(), render(name, f, values)?);
        }
        match &step.body {
            LoginBody::None => {}
            LoginBody::Form(fields) => {
                let mut pairs = Vec::with_capacity(fields.len());
                for (name, f) in fields {
                    pairs.push((name.clone(), render(name, f, values)?));
                }
                builder = builder.form(&pairs);
            }
            LoginBody::Json(f) => {
                builder = builder
                    .header("content-type", "application/json")
                    .body(render("json", f, values)?);
            }
        }
        let response = builder.send().await.map_err(|e| {
            let kind = if e.is_timeout() {
                HttpErrorKind::Timeout
            } else {
                HttpErrorKind::Connect
            };
            self.step_error(step, kind, None, format!("{what} failed: {e}"))
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = crate::transport::read_body(response, crate::auth::AUTH_MAX_BODY)
            .await
            .map_err(|e| {
                self.step_error(
                    step,
                    HttpErrorKind::Body,
                    Some(status.as_u16()),
                    format!("{what}: the answer was unreadable: {e}"),
                )
            })?;
        if !status.is_success() {
            let kind = if status.is_server_error() || status.as_u16() == 429 {
                HttpErrorKind::Status
            } else {
                HttpErrorKind::Auth
            };
            return Err(self.step_error(
                step,
                kind,
                Some(status.as_u16()),
                format!("{what} answered {status}: {}", excerpt(&body, 200)),
            ));
        }
        let text = String::from_utf8_lossy(&body);
        for (name, extract) in &step.extract {
            let found = match extract {
                Extract::Css { selector, attr } => css(&text, selector, attr.as_deref()),
                Extract::Regex(pattern) => regex::Regex::new(pattern).ok().and_then(|re| {
                    let caps = re.captures(&text)?;
                    caps.get(1)
                        .or_else(|| caps.get(0))
                        .map(|m| m.as_str().to_owned())
                }),
                Extract::Cookie(cookie) => self.jar.get(&step.url, cookie),
                Extract::Json(path) => json_value(&body, path),
                Extract::Header(header) => headers
                    .get(header.as_str())
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            };
            let Some(value) = found else {
                return Err(self.step_error(
                    step,
                    HttpErrorKind::Auth,
                    Some(status.as_u16()),
                    format!(
                        "{what}: `{name}` not found ({extract} matched nothing); the answer starts: {}",
                        excerpt(&body, 200)
                    ),
                ));
            };
            if let Some(r) = self.redactor.get() {
                r.add(&value);
            }
            values.insert(name.clone(), value);
        }
        Ok(())
    }
}

/// The first element matching `selector`: `attr`'s value, or its text.
fn css(html: &str, selector: &str, attr: Option<&str>) -> Option<String> {
    let selector = scraper::Selector::parse(selector).ok()?;
    let document = scraper::Html::parse_document(html);
    let element = document.select(&selector).next()?;
    match attr {
        Some(a) => element.value().attr(a).map(str::to_owned),
        None => Some(element.text().collect::<String>().trim().to_owned()),
    }
}

/// The first value at `path` in a JSON body: a string as is, others as JSON.
fn json_value(body: &[u8], path: &str) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let path = serde_json_path::JsonPath::parse(path).ok()?;
    match path.query(&value).first()? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_reads_an_attribute_or_text() {
        let html = r#"<form><input type="hidden" name="csrf_token" value="abc123"><p class="hint"> Hello </p></form>"#;
        assert_eq!(
            css(html, "input[name=csrf_token]", Some("value")).as_deref(),
            Some("abc123")
        );
        assert_eq!(css(html, "p.hint", None).as_deref(), Some("Hello"));
        assert_eq!(css(html, "input[name=other]", Some("value")), None);
    }

    #[test]
    fn json_values_keep_strings_and_print_others() {
        let body = br#"{"data": {"token": "t1", "n": 5, "none": null}}"#;
        assert_eq!(json_value(body, "$.data.token").as_deref(), Some("t1"));
        assert_eq!(json_value(body, "$.data.n").as_deref(), Some("5"));
        assert_eq!(json_value(body, "$.data.none"), None);
        assert_eq!(json_value(b"<html>", "$.data.token"), None);
    }
}
