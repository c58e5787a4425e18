//! Actions: the connector file's outbound writes, rendered from their input
//! and sent through the connection's client stack (auth, rate limit,
//! retries) with an `Idempotency-Key`, so that a retry after a timeout is
//! one remote effect.

use std::sync::Arc;

use bytes::Bytes;
use holdfast_http::{HttpError, HttpRequest, RateWait, RequestTags};
use holdfast_spec::Action;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::DeclarativeSource;
use super::reader::join_url;
use crate::SourceError;
use crate::template::{Renderer, Vars};

/// The header an action's idempotency key is sent in.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Most bytes of a response body kept with a finished action.
const KEPT_BODY: usize = 4096;

/// What the remote API answered to an action.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The response body (its first 4 KiB), as text.
    pub body: String,
}

/// Why an action failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// Its templates could not be rendered from the input: permanent.
    #[error(transparent)]
    Render(SourceError),
    /// The request failed; [`HttpError::is_retryable`] says whether another try may succeed.
    #[error(transparent)]
    Http(#[from] HttpError),
}

impl ActionError {
    /// True when trying again later may succeed (a timeout, 5xx, 429).
    pub fn is_retryable(&self) -> bool {
        match self {
            ActionError::Render(_) => false,
            ActionError::Http(e) => e.is_retryable(),
        }
    }
}

impl DeclarativeSource {
    /// The idempotency key of `input` for `action`: its `idempotency_key:`
    /// template rendered, or a hash of the action name and the input.
    ///
    /// # Errors
    /// An unknown action, or a template that renders empty or fails.
    pub fn idempotency_key(&self, action: &str, input: &Value) -> Result<String, SourceError> {
        let a = self.action(action)?;
        let Some(template) = &a.idempotency_key else {
            let canonical = serde_json::to_string(input).unwrap_or_default();
            let digest = Sha256::digest(format!("{action}\n{canonical}").as_bytes());
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            return Ok(format!("hf-{hex}"));
        };
        let field = format!("actions.{action}.idempotency_key");
        let key = self
            .renderer
            .render(&field, &Vars::default().with("input", Some(input)))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(SourceError::Config {
                field,
                message: format!(
                    "`{}` rendered empty for this input; the input needs the field it reads",
                    template.source
                ),
            });
        }
        Ok(key.to_owned())
    }

    /// Sends `action` for `input` with `Idempotency-Key: key`.
    ///
    /// # Errors
    /// [`ActionError::Render`] when the request cannot be built from the
    /// input, [`ActionError::Http`] when the API refused it or could not be
    /// reached (after the connection's retries).
    pub async fn perform(
        &self,
        action: &str,
        input: &Value,
        key: &str,
    ) -> Result<ActionResponse, ActionError> {
        let a = self.action(action).map_err(ActionError::Render)?;
        let conn = self.connections.get(&a.connection).ok_or_else(|| {
            ActionError::Render(SourceError::Other(format!(
                "action `{action}` names a missing connection"
            )))
        })?;
        let request =
            build(a, &self.renderer, &conn.base_url, input, key).map_err(ActionError::Render)?;
        let response = conn.client.send(request).await?;
        let end = response.body.len().min(KEPT_BODY);
        Ok(ActionResponse {
            status: response.status,
            body: String::from_utf8_lossy(&response.body[..end]).into_owned(),
        })
    }

    /// The action called `name`.
    fn action(&self, name: &str) -> Result<&Action, SourceError> {
        self.spec.action(name).ok_or_else(|| {
            let known: Vec<&str> = self.spec.actions.iter().map(|a| a.name.as_str()).collect();
            SourceError::Other(if known.is_empty() {
                format!("no action `{name}`: the connector file declares no `actions:`")
            } else {
                format!(
                    "no action `{name}`; the connector file has: {}",
                    known.join(", ")
                )
            })
        })
    }
}

/// Adds an action's templates to the renderer (once, when the source is built).
pub(crate) fn compile(renderer: &mut Renderer, action: &Action) -> Result<(), SourceError> {
    let base = format!("actions.{}", action.name);
    renderer.add_path(&format!("{base}.request.path"), &action.request.path)?;
    for (k, t) in &action.request.params {
        renderer.add(&format!("{base}.request.params.{k}"), t)?;
    }
    for (k, t) in &action.request.headers {
        renderer.add(&format!("{base}.request.headers.{k}"), t)?;
    }
    if let Some(t) = &action.idempotency_key {
        renderer.add(&format!("{base}.idempotency_key"), t)?;
    }
    Ok(())
}

fn build(
    action: &Action,
    renderer: &Renderer,
    base_url: &url::Url,
    input: &Value,
    key: &str,
) -> Result<HttpRequest, SourceError> {
    let prefix = format!("actions.{}.request", action.name);
    let vars = Vars::default().with("input", Some(input));
    let path = renderer.render_path(&format!("{prefix}.path"), &vars)?;
    let mut url = join_url(base_url, &path).map_err(|message| SourceError::Config {
        field: format!("{prefix}.path"),
        message,
    })?;
    {
        let mut query = url.query_pairs_mut();
        for (k, _) in &action.request.params {
            let value = renderer.render(&format!("{prefix}.params.{k}"), &vars)?;
            if !value.is_empty() {
                query.append_pair(k, &value);
            }
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    let mut headers = vec![(IDEMPOTENCY_HEADER.to_owned(), key.to_owned())];
    for (k, _) in &action.request.headers {
        headers.push((
            k.clone(),
            renderer.render(&format!("{prefix}.headers.{k}"), &vars)?,
        ));
    }
    let body = match &action.request.json {
        None => None,
        Some(json) => {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
            let value = render_json(renderer, &format!("{prefix}.json"), json, &vars)?;
            Some(Bytes::from(serde_json::to_vec(&value).unwrap_or_default()))
        }
    };
    let method = crate::http_method(action.request.method);
    Ok(HttpRequest {
        method,
        url,
        headers,
        body,
        expect_json: false,
        tags: Arc::new(RequestTags {
            run: None,
            stream: None,
            endpoint: Some(format!(
                "{} {} (action {})",
                method.as_str(),
                action.request.path.source,
                action.name
            )),
        }),
        rate_wait: RateWait::default(),
        save_to: None,
        idempotent: true,
        classifier: None,
    })
}

/// Renders a JSON body template: strings are templates; a string that is
/// one `{{ … }}` keeps the type of its value.
pub(crate) fn render_json(
    renderer: &Renderer,
    at: &str,
    value: &Value,
    vars: &Vars,
) -> Result<Value, SourceError> {
    Ok(match value {
        Value::String(s) => match whole_expression(s) {
            Some(expr) => renderer.eval_json(at, expr, vars)?,
            None if s.contains("{{") || s.contains("{%") => {
                Value::String(renderer.render_str(at, s, vars)?)
            }
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| render_json(renderer, &format!("{at}[{i}]"), v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        render_json(renderer, &format!("{at}.{k}"), v, vars)?,
                    ))
                })
                .collect::<Result<_, SourceError>>()?,
        ),
        other => other.clone(),
    })
}

/// `{{ input.amount }}` → `input.amount`; None for anything else.
fn whole_expression(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then(|| inner.trim())
}

#[cfg(test)]
mod tests {
    use super::whole_expression;

    #[test]
    fn whole_expressions() {
        assert_eq!(whole_expression("{{ input }}"), Some("input"));
        assert_eq!(
            whole_expression(" {{input.a | lower}} "),
            Some("input.a | lower")
        );
        assert_eq!(whole_expression("id-{{ input.id }}"), None);
        assert_eq!(whole_expression("{{ a }}{{ b }}"), None);
    }
}
