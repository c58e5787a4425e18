//! A stream's `request:`: method, path, params, headers and body.

use serde_json::Value as Json;

use super::actions::leaves;
use super::context::Ctx;
use super::json::to_json;
use super::names;
use super::templates;
use super::values;
use crate::model::{Body, Graphql, Method, Request, TextBody};
use crate::raw::{RawGraphql, RawRequest, RawTextBody};

/// Checks a stream's request at `path`; templates read `scope`.
pub(crate) fn request(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: &RawRequest,
    scope: &[&str],
) -> Option<Request> {
    let has_body = raw.json.is_some() || raw.graphql.is_some() || raw.body.is_some();
    let method = match raw
        .method
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None if has_body => Some(Method::Post),
        None | Some("GET") => Some(Method::Get),
        Some("POST") => Some(Method::Post),
        Some(_) => {
            let found = raw.method.as_deref().unwrap_or_default();
            ctx.error(
                &format!("{path}.method"),
                format!("unsupported method `{found}`: expected `GET` or `POST`"),
                "use `method: GET` (the default) or `method: POST`",
            );
            None
        }
    };
    let source = ctx.require(raw.path.as_ref(), path, "path", "/v2/items");
    let url_path = source.map(|s| templates::template(ctx, &format!("{path}.path"), s, scope));
    for (name, _) in &raw.params.0 {
        values::param_name(ctx, &format!("{path}.params.{name}"), name);
    }
    let params = templates::pairs(ctx, &format!("{path}.params"), &raw.params, scope);
    for (name, _) in &raw.headers.0 {
        names::header(ctx, &format!("{path}.headers.{name}"), name);
    }
    let headers = templates::pairs(ctx, &format!("{path}.headers"), &raw.headers, scope);
    let body = body(ctx, path, raw, scope);
    if method == Some(Method::Get) && has_body {
        let key = if raw.json.is_some() {
            "json"
        } else if raw.graphql.is_some() {
            "graphql"
        } else {
            "body"
        };
        ctx.error(
            &format!("{path}.{key}"),
            "a GET request has no body",
            "send the body with `method: POST` (the default when a request has a body)",
        );
        return None;
    }
    Some(Request {
        method: method?,
        path: url_path?,
        params,
        headers,
        body: body?,
    })
}

/// `json:`, `graphql:` or `body:` (one at most); `Some(None)` when there is none.
fn body(ctx: &mut Ctx<'_>, path: &str, raw: &RawRequest, scope: &[&str]) -> Option<Option<Body>> {
    let given: Vec<&str> = [
        ("json", raw.json.is_some()),
        ("graphql", raw.graphql.is_some()),
        ("body", raw.body.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, present)| present.then_some(k))
    .collect();
    if let [first, second, ..] = given.as_slice() {
        ctx.error(
            &format!("{path}.{second}"),
            format!("a request has both `{first}` and `{second}`"),
            "send one body: `graphql:` for a GraphQL API, `json:` for any other JSON body, \
             `body:` for text (XML, SOAP)",
        );
        return None;
    }
    if let Some(text) = &raw.body {
        return text_body(ctx, &format!("{path}.body"), text, scope).map(Some);
    }
    match (&raw.json, &raw.graphql) {
        (None, None) | (Some(_), Some(_)) => Some(None),
        (Some(yaml), None) => {
            let at = format!("{path}.json");
            let json = templated(ctx, &at, yaml, scope, "json: { limit: 100 }")?;
            Some(Some(Body::Json(json)))
        }
        (None, Some(g)) => graphql(ctx, &format!("{path}.graphql"), g, scope).map(Some),
    }
}

fn text_body(ctx: &mut Ctx<'_>, path: &str, raw: &RawTextBody, scope: &[&str]) -> Option<Body> {
    let content_type = ctx
        .require(
            raw.content_type.as_ref(),
            path,
            "content_type",
            "\"text/xml; charset=utf-8\"",
        )
        .and_then(|c| {
            let media = c.split(';').next().unwrap_or_default().trim();
            let valid = media.split_once('/').is_some_and(|(kind, sub)| {
                !kind.is_empty() && !sub.is_empty() && !media.contains(char::is_whitespace)
            });
            if valid && !c.contains(['\r', '\n']) {
                Some(c.trim().to_owned())
            } else {
                ctx.error(
                    &format!("{path}.content_type"),
                    format!("`{c}` is not a media type"),
                    "write a media type, e.g. `text/xml; charset=utf-8` or `application/soap+xml`",
                );
                None
            }
        });
    let text = ctx
        .require(
            raw.text.as_ref(),
            path,
            "text",
            "\"<soap:Envelope …>…</soap:Envelope>\"",
        )
        .map(|t| {
            let before = ctx.error_count();
            let t = templates::template(ctx, &format!("{path}.text"), t, scope);
            (ctx.error_count() == before).then_some(t)
        })
        .and_then(|t| t);
    Some(Body::Text(TextBody {
        text: text?,
        content_type: content_type?,
    }))
}

fn graphql(ctx: &mut Ctx<'_>, path: &str, raw: &RawGraphql, scope: &[&str]) -> Option<Body> {
    let query = ctx
        .require(
            raw.query.as_ref(),
            path,
            "query",
            "\"{ products(first: 50) { nodes { id } } }\"",
        )
        .and_then(|q| {
            if q.trim().is_empty() {
                ctx.error(
                    &format!("{path}.query"),
                    "the GraphQL `query` is empty",
                    "write the GraphQL document, e.g. `query: \"{ products(first: 50) { nodes { id } } }\"`",
                );
                None
            } else {
                Some(q.clone())
            }
        });
    let variables = match &raw.variables {
        None => Some(Json::Object(serde_json::Map::new())),
        Some(yaml) => {
            let at = format!("{path}.variables");
            templated(ctx, &at, yaml, scope, "variables: { first: 50 }").and_then(|v| {
                if v.is_object() {
                    Some(v)
                } else {
                    ctx.error(
                        &at,
                        "GraphQL `variables` must be a mapping",
                        "write them by name, e.g. `variables: { first: 50, after: null }`",
                    );
                    None
                }
            })
        }
    };
    let operation_name = match &raw.operation_name {
        Some(op) if !names::is_identifier(op.trim()) => {
            ctx.error(
                &format!("{path}.operation_name"),
                format!("`{op}` is not a GraphQL operation name"),
                "name an operation of the query, e.g. `operation_name: Products`",
            );
            None
        }
        other => Some(other.as_ref().map(|o| o.trim().to_owned())),
    };
    Some(Body::Graphql(Graphql {
        query: query?,
        variables: variables?,
        operation_name: operation_name?,
    }))
}

/// A YAML value as JSON whose every string is a template over `scope`.
fn templated(
    ctx: &mut Ctx<'_>,
    at: &str,
    yaml: &yaml_serde::Value,
    scope: &[&str],
    example: &str,
) -> Option<Json> {
    match to_json(yaml) {
        Ok(json) => {
            let before = ctx.error_count();
            leaves(ctx, at, &json, scope);
            (ctx.error_count() == before).then_some(json)
        }
        Err(e) => {
            ctx.error(
                at,
                format!("cannot be sent as JSON: {e}"),
                format!("write plain YAML values, e.g. `{example}`"),
            );
            None
        }
    }
}
