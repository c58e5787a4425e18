//! Request bodies of streams (`json:`, `graphql:`, `body:`) and JSON
//! Pointers into them.

use serde_json::{Map, Value};

use super::Template;

/// The body a stream's request sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `json:`: a JSON value whose strings are templates (a string that is
    /// exactly one `{{ … }}` renders to its value's own type).
    Json(Value),
    /// `graphql:`: sent as `{"query": …, "variables": …}`.
    Graphql(Graphql),
    /// `body:`: a text template sent with its own content type (a SOAP
    /// envelope, XML, plain text).
    Text(TextBody),
}

/// `body: { content_type, text }` of a stream's request.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBody {
    /// The body as a template (same variables as `params:`).
    pub text: Template,
    /// Sent as `Content-Type`, e.g. `text/xml; charset=utf-8`.
    pub content_type: String,
}

impl TextBody {
    /// True when the content type is XML (`text/xml`, `application/soap+xml`,
    /// …): every value rendered into the text is then XML-escaped.
    pub fn is_xml(&self) -> bool {
        let media = self
            .content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        media.ends_with("/xml") || media.ends_with("+xml")
    }
}

/// A GraphQL request of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Graphql {
    /// The document, sent as written (not a template).
    pub query: String,
    /// The variables: a JSON object whose strings are templates (as `json:`).
    pub variables: Value,
    /// `operationName`, when the document holds several operations.
    pub operation_name: Option<String>,
}

impl Body {
    /// True for `graphql:`.
    pub fn is_graphql(&self) -> bool {
        matches!(self, Body::Graphql(_))
    }

    /// The body template as one JSON value: `json:` itself, or
    /// `{"query": …, "operationName": …, "variables": …}` (whose
    /// `variables` strings are templates); `None` for a text body.
    pub fn template(&self) -> Option<Value> {
        Some(match self {
            Body::Text(_) => return None,
            Body::Json(v) => v.clone(),
            Body::Graphql(g) => {
                let mut body = Map::new();
                body.insert("query".into(), Value::String(g.query.clone()));
                if let Some(op) = &g.operation_name {
                    body.insert("operationName".into(), Value::String(op.clone()));
                }
                body.insert("variables".into(), g.variables.clone());
                Value::Object(body)
            }
        })
    }
}

/// An RFC 6901 JSON Pointer into a request body, e.g. `/variables/after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    /// As written in the file.
    pub source: String,
    /// The reference tokens, unescaped (`~1` is `/`, `~0` is `~`).
    pub tokens: Vec<String>,
}

impl Pointer {
    /// Parses `source`: empty (the whole document) or `/`-separated tokens.
    ///
    /// # Errors
    /// A pointer that does not start with `/`, or a `~` not followed by `0` or `1`.
    pub fn parse(source: &str) -> Result<Self, String> {
        if source.is_empty() {
            return Ok(Pointer {
                source: String::new(),
                tokens: Vec::new(),
            });
        }
        let Some(rest) = source.strip_prefix('/') else {
            return Err(format!("`{source}` does not start with `/`"));
        };
        let tokens = rest
            .split('/')
            .map(|t| {
                let bad = t
                    .match_indices('~')
                    .any(|(i, _)| !matches!(t.as_bytes().get(i + 1), Some(b'0' | b'1')));
                if bad {
                    return Err(format!(
                        "`{source}`: `~` must be followed by `0` (for `~`) or `1` (for `/`)"
                    ));
                }
                Ok(t.replace("~1", "/").replace("~0", "~"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Pointer {
            source: source.to_owned(),
            tokens,
        })
    }

    /// Sets `value` at the pointer in `doc`, creating the objects on the
    /// way. An array on the way is indexed by a number token (`-` appends).
    ///
    /// # Errors
    /// A token that runs into a string, number, boolean, or an array with a
    /// token that is not an index within it.
    pub fn set(&self, doc: &mut Value, value: Value) -> Result<(), String> {
        let mut at = doc;
        for (i, token) in self.tokens.iter().enumerate() {
            if at.is_null() {
                *at = Value::Object(Map::new());
            }
            let last = i + 1 == self.tokens.len();
            at = match at {
                Value::Object(map) => map.entry(token.clone()).or_insert(Value::Null),
                Value::Array(items) => {
                    let index = if token == "-" {
                        items.push(Value::Null);
                        items.len() - 1
                    } else {
                        token
                            .parse::<usize>()
                            .ok()
                            .filter(|n| *n < items.len())
                            .ok_or_else(|| {
                                format!(
                                    "`{}`: `{token}` is not an index of the array there",
                                    self.source
                                )
                            })?
                    };
                    &mut items[index]
                }
                other => {
                    return Err(format!(
                        "`{}`: the body has {} where `{token}` should be a key",
                        self.source,
                        kind(other)
                    ));
                }
            };
            if last {
                break;
            }
        }
        *at = value;
        Ok(())
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_and_sets() {
        let p = Pointer::parse("/variables/a~1b~0c").expect("valid");
        assert_eq!(p.tokens, ["variables", "a/b~c"]);
        assert!(Pointer::parse("variables").is_err());
        assert!(Pointer::parse("/a~2").is_err());
        let mut doc = json!({"query": "q"});
        Pointer::parse("/variables/after")
            .expect("valid")
            .set(&mut doc, json!("c1"))
            .expect("set");
        assert_eq!(doc, json!({"query": "q", "variables": {"after": "c1"}}));
        let mut doc = json!({"a": [1, {"b": 2}]});
        Pointer::parse("/a/1/b")
            .expect("valid")
            .set(&mut doc, json!(3))
            .expect("set");
        assert_eq!(doc, json!({"a": [1, {"b": 3}]}));
        let mut doc = json!({"q": "text"});
        assert!(
            Pointer::parse("/q/x")
                .expect("valid")
                .set(&mut doc, json!(1))
                .is_err()
        );
    }
}
