//! Actions: connection, request (method, path, params, headers, JSON body),
//! idempotency key and attempts.

use serde_json::Value as Json;

use super::context::Ctx;
use super::json::to_json;
use super::names;
use super::streams::{Known, connection};
use super::templates;
use super::values;
use crate::model::{Action, ActionRequest, Method};
use crate::raw::{RawAction, RawActionRequest};

/// What an action's templates may read.
pub(crate) const ACTION_SCOPE: &[&str] = &["env", "input", "secret"];

/// Checks one action; `None` when it has problems (they are in `ctx`).
pub(crate) fn action(
    ctx: &mut Ctx<'_>,
    name: &str,
    raw: &RawAction,
    known: &Known<'_>,
) -> Option<Action> {
    let at = format!("actions.{name}");
    let name_ok = names::identifier(ctx, &at, name, "action name");
    let connection = connection(ctx, &at, raw.connection.as_ref(), known);
    let request = ctx
        .require(
            raw.request.as_ref(),
            &at,
            "request",
            "{ method: POST, path: /v2/notes, json: \"{{ input }}\" }",
        )
        .and_then(|r| request(ctx, &format!("{at}.request"), r));
    let idempotency_key = raw
        .idempotency_key
        .as_ref()
        .map(|k| templates::template(ctx, &format!("{at}.idempotency_key"), k, ACTION_SCOPE));
    let max_attempts = values::count(
        ctx,
        &format!("{at}.max_attempts"),
        raw.max_attempts.as_ref(),
        5,
    );
    if !name_ok {
        return None;
    }
    Some(Action {
        name: name.to_owned(),
        connection: connection?,
        request: request?,
        idempotency_key,
        max_attempts: max_attempts?,
    })
}

fn request(ctx: &mut Ctx<'_>, at: &str, raw: &RawActionRequest) -> Option<ActionRequest> {
    let method = match raw
        .method
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("POST") => Some(Method::Post),
        Some("PUT") => Some(Method::Put),
        Some("PATCH") => Some(Method::Patch),
        Some("DELETE") => Some(Method::Delete),
        Some(_) => {
            let found = raw.method.as_deref().unwrap_or_default();
            ctx.error(
                &format!("{at}.method"),
                format!("unsupported method `{found}` for an action: expected POST, PUT, PATCH or DELETE"),
                "actions write; to read, declare a stream. Use e.g. `method: POST`",
            );
            None
        }
    };
    let path = ctx
        .require(raw.path.as_ref(), at, "path", "/v2/notes")
        .map(|p| templates::template(ctx, &format!("{at}.path"), p, ACTION_SCOPE));
    for (name, _) in &raw.params.0 {
        values::param_name(ctx, &format!("{at}.params.{name}"), name);
    }
    let params = templates::pairs(ctx, &format!("{at}.params"), &raw.params, ACTION_SCOPE);
    for (name, _) in &raw.headers.0 {
        names::header(ctx, &format!("{at}.headers.{name}"), name);
    }
    let headers = templates::pairs(ctx, &format!("{at}.headers"), &raw.headers, ACTION_SCOPE);
    let json = match &raw.json {
        None => Some(None),
        Some(yaml) => match to_json(yaml) {
            Ok(json) => {
                let before = ctx.error_count();
                leaves(ctx, &format!("{at}.json"), &json, ACTION_SCOPE);
                (ctx.error_count() == before).then_some(Some(json))
            }
            Err(e) => {
                ctx.error(
                    &format!("{at}.json"),
                    format!("`json` cannot be sent as JSON: {e}"),
                    "write a mapping or `\"{{ input }}\"`",
                );
                None
            }
        },
    };
    Some(ActionRequest {
        method: method?,
        path: path?,
        params,
        headers,
        json: json?,
    })
}

/// Checks every string in a JSON body as a template reading `scope`.
pub(crate) fn leaves(ctx: &mut Ctx<'_>, at: &str, value: &Json, scope: &[&str]) {
    match value {
        Json::String(s) => {
            templates::template(ctx, at, s, scope);
        }
        Json::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(ctx, &format!("{at}[{i}]"), v, scope);
            }
        }
        Json::Object(map) => {
            for (k, v) in map {
                leaves(ctx, &format!("{at}.{k}"), v, scope);
            }
        }
        _ => {}
    }
}
