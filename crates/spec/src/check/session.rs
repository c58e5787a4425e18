//! `auth: { type: session }`: the login steps (method, path, body,
//! extractions), the headers every request carries, and what says that a
//! session expired.

use super::actions::leaves;
use super::context::Ctx;
use super::json::to_json;
use super::names;
use super::templates::{self, CONNECTION_SCOPE, ERROR_RULE_SCOPE};
use super::values;
use crate::model::{Extract, LoginBody, LoginStep, Method, Session};
use crate::raw::{Entries, RawExtract, RawLoginStep, Scalar};

/// What login step headers and bodies and session headers may read (a
/// step's path and params are fixed before the chain runs: `env`, `secret`).
pub(crate) const SESSION_SCOPE: &[&str] = &["env", "secret", "session"];
/// The example condition shown in help lines.
const EXAMPLE: &str = "body.error == 'session_expired'";

/// Checks a session auth at `path`; `None` when it has problems.
pub(crate) fn session(
    ctx: &mut Ctx<'_>,
    path: &str,
    login: Option<&Vec<RawLoginStep>>,
    headers: &Entries<Scalar>,
    expired_status: Option<&Vec<Scalar>>,
    expired_when: Option<&String>,
) -> Option<Session> {
    let example = "[{ method: GET, path: /login, extract: { csrf: { css: \"input[name=csrf_token]\", attr: value } } }, \
                   { method: POST, path: /login, form: { username: \"{{ secret.portal_user }}\", password: \"{{ secret.portal_password }}\", csrf_token: \"{{ session.csrf }}\" } }]";
    let steps = ctx
        .require(login, path, "login", example)
        .and_then(|steps| {
            if steps.is_empty() {
                ctx.error(
                    &format!("{path}.login"),
                    "`login` has no steps",
                    format!("list the login requests in order, e.g. `login: {example}`"),
                );
                return None;
            }
            let checked: Vec<Option<LoginStep>> = steps
                .iter()
                .enumerate()
                .map(|(i, s)| step(ctx, &format!("{path}.login[{i}]"), s))
                .collect();
            checked.into_iter().collect::<Option<Vec<_>>>()
        });
    if let Some(raw_steps) = login {
        extracted_before_use(ctx, path, raw_steps, headers);
    }
    for (name, _) in &headers.0 {
        names::header(ctx, &format!("{path}.headers.{name}"), name);
    }
    let headers = templates::pairs(ctx, &format!("{path}.headers"), headers, SESSION_SCOPE);
    let statuses = match expired_status {
        None => Some(vec![401, 403]),
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, s)| status(ctx, &format!("{path}.expired_status[{i}]"), s))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Option<Vec<_>>>(),
    };
    let when = values::optional(expired_when.map(|source| {
        let at = format!("{path}.expired_when");
        if !templates::no_braces(ctx, &at, ("expired_when", "a condition"), source, EXAMPLE) {
            return None;
        }
        let before = ctx.error_count();
        let t = templates::condition(ctx, &at, source.trim(), ERROR_RULE_SCOPE, EXAMPLE);
        (ctx.error_count() == before).then_some(t)
    }));
    Some(Session {
        login: steps?,
        headers,
        expired_status: statuses?,
        expired_when: when?,
    })
}

/// Every `session.NAME` a step reads was extracted by an earlier step; the
/// session's headers may read any extracted value.
fn extracted_before_use(
    ctx: &mut Ctx<'_>,
    path: &str,
    steps: &[RawLoginStep],
    headers: &Entries<Scalar>,
) {
    let mut known: Vec<String> = Vec::new();
    let check = |ctx: &mut Ctx<'_>, at: String, source: &str, known: &[String], who: &str| {
        for name in templates::attributes(source, "session") {
            if !known.contains(&name) {
                let hint = names::suggestion(&name, known.iter().map(String::as_str));
                ctx.error(
                    &at,
                    format!("`session.{name}` is not extracted by {who}"),
                    format!(
                        "add `extract: {{ {name}: … }}` to an earlier login step, or read one of: {}{hint}",
                        if known.is_empty() {
                            "(none yet)".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
            }
        }
    };
    for (i, step) in steps.iter().enumerate() {
        let at = format!("{path}.login[{i}]");
        let who = "an earlier login step";
        for (k, Scalar(source)) in &step.headers.0 {
            check(ctx, format!("{at}.headers.{k}"), source, &known, who);
        }
        for (k, Scalar(source)) in &step.form.0 {
            check(ctx, format!("{at}.form.{k}"), source, &known, who);
        }
        if let Some(json) = step.json.as_ref().and_then(|y| to_json(y).ok()) {
            let mut strings = Vec::new();
            collect_strings(&json, &mut strings);
            for s in strings {
                check(ctx, format!("{at}.json"), s, &known, who);
            }
        }
        known.extend(step.extract.0.iter().map(|(name, _)| name.clone()));
    }
    for (k, Scalar(source)) in &headers.0 {
        check(
            ctx,
            format!("{path}.headers.{k}"),
            source,
            &known,
            "any login step",
        );
    }
}

fn collect_strings<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

fn status(ctx: &mut Ctx<'_>, at: &str, raw: &Scalar) -> Option<u16> {
    match raw.0.trim().parse::<u16>() {
        Ok(s) if (300..600).contains(&s) => Some(s),
        _ => {
            ctx.error(
                at,
                format!(
                    "`{}` is not an HTTP status that can mean an expired session",
                    raw.0
                ),
                "use statuses from 300 to 599, e.g. `expired_status: [401, 403]`",
            );
            None
        }
    }
}

fn step(ctx: &mut Ctx<'_>, at: &str, raw: &RawLoginStep) -> Option<LoginStep> {
    let method = match raw
        .method
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("GET") => Some(Method::Get),
        Some("POST") => Some(Method::Post),
        Some("PUT") => Some(Method::Put),
        Some("PATCH") => Some(Method::Patch),
        Some(_) => {
            let found = raw.method.as_deref().unwrap_or_default();
            ctx.error(
                &format!("{at}.method"),
                format!("unsupported method `{found}` for a login step"),
                "use `method: GET` (a login page) or `method: POST` (the credentials)",
            );
            None
        }
    };
    let path = ctx
        .require(raw.path.as_ref(), at, "path", "/login")
        .map(|p| templates::template(ctx, &format!("{at}.path"), p, CONNECTION_SCOPE));
    for (name, _) in &raw.params.0 {
        values::param_name(ctx, &format!("{at}.params.{name}"), name);
    }
    let params = templates::pairs(ctx, &format!("{at}.params"), &raw.params, CONNECTION_SCOPE);
    for (name, _) in &raw.headers.0 {
        names::header(ctx, &format!("{at}.headers.{name}"), name);
    }
    let headers = templates::pairs(ctx, &format!("{at}.headers"), &raw.headers, SESSION_SCOPE);
    let body = match (&raw.form.0.is_empty(), &raw.json) {
        (true, None) => Some(LoginBody::None),
        (false, None) => Some(LoginBody::Form(templates::pairs(
            ctx,
            &format!("{at}.form"),
            &raw.form,
            SESSION_SCOPE,
        ))),
        (true, Some(yaml)) => match to_json(yaml) {
            Ok(json) => {
                let before = ctx.error_count();
                leaves(ctx, &format!("{at}.json"), &json, SESSION_SCOPE);
                (ctx.error_count() == before).then_some(LoginBody::Json(json))
            }
            Err(e) => {
                ctx.error(
                    &format!("{at}.json"),
                    format!("`json` cannot be sent as JSON: {e}"),
                    "write a mapping, e.g. `json: { user: \"{{ secret.portal_user }}\" }`",
                );
                None
            }
        },
        (false, Some(_)) => {
            ctx.error(
                &format!("{at}.json"),
                "a login step has both `form` and `json`",
                "send one body: `form:` for an HTML form, `json:` for a JSON login API",
            );
            None
        }
    };
    let extract: Vec<Option<(String, Extract)>> = raw
        .extract
        .0
        .iter()
        .map(|(name, e)| {
            let here = format!("{at}.extract.{name}");
            let name_ok = names::identifier(ctx, &here, name, "extracted value name");
            let e = extraction(ctx, &here, e);
            name_ok.then_some((name.clone(), e?))
        })
        .collect();
    Some(LoginStep {
        method: method?,
        path: path?,
        params,
        headers,
        body: body?,
        extract: extract.into_iter().collect::<Option<Vec<_>>>()?,
    })
}

fn extraction(ctx: &mut Ctx<'_>, at: &str, raw: &RawExtract) -> Option<Extract> {
    let given: Vec<&str> = [
        ("css", raw.css.is_some()),
        ("regex", raw.regex.is_some()),
        ("cookie", raw.cookie.is_some()),
        ("json", raw.json.is_some()),
        ("header", raw.header.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    if given.len() != 1 {
        let found = if given.is_empty() {
            "no source".to_owned()
        } else {
            format!("{} sources ({})", given.len(), given.join(", "))
        };
        ctx.error(
            at,
            format!("an extraction takes exactly one source, found {found}"),
            "use one of `css:` (with `attr:`), `regex:`, `cookie:`, `json:` or `header:`, \
             e.g. `{ css: \"input[name=csrf_token]\", attr: value }`",
        );
        return None;
    }
    if raw.attr.is_some() && raw.css.is_none() {
        ctx.error(
            &format!("{at}.attr"),
            "`attr` goes with `css`",
            "remove `attr`, or select an element with `css:`",
        );
        return None;
    }
    if let Some(selector) = &raw.css {
        if let Err(e) = scraper::Selector::parse(selector) {
            // The parser's messages end with the reason's name on a line of its own.
            let reason = e.to_string();
            let reason = reason.lines().last().unwrap_or_default().trim().to_owned();
            ctx.error(
                &format!("{at}.css"),
                format!("invalid CSS selector `{selector}` ({reason})"),
                "write a CSS selector, e.g. `input[name=csrf_token]` or `meta[name=csrf-token]`",
            );
            return None;
        }
        return Some(Extract::Css {
            selector: selector.clone(),
            attr: raw.attr.clone(),
        });
    }
    if let Some(pattern) = &raw.regex {
        if let Err(e) = regex::Regex::new(pattern) {
            ctx.error(
                &format!("{at}.regex"),
                format!("invalid regex `{pattern}`: {e}"),
                "write a regex with one capture group, e.g. `csrf_token\" value=\"([^\"]+)\"`",
            );
            return None;
        }
        return Some(Extract::Regex(pattern.clone()));
    }
    if let Some(path) = &raw.json {
        values::json_path(ctx, &format!("{at}.json"), path)?;
        return Some(Extract::Json(path.clone()));
    }
    if let Some(cookie) = &raw.cookie {
        return Some(Extract::Cookie(cookie.clone()));
    }
    raw.header.clone().map(Extract::Header)
}
