//! A connection's auth in a runbook: what is sent, where each credential
//! comes from (never its value), and exactly how it is renewed.

use holdfast_spec::{
    Auth, ClientAuth, Extract, Grant, KeyLocation, LoginBody, OAuth2, Session, Template,
};

use super::text::{Doc, code, credential, dur, method};

/// The "Auth" subsection of connection `conn`.
pub(super) fn section(doc: &mut Doc, conn: &holdfast_spec::Connection) {
    doc.heading(3, "Auth and how its credentials are renewed");
    match &conn.auth {
        Auth::None => doc.line("None: requests carry no credentials."),
        Auth::ApiKey {
            name,
            value,
            location,
        } => {
            let place = match location {
                KeyLocation::Header => format!("header {}", code(name)),
                KeyLocation::Query => format!(
                    "query parameter {} (hidden in the request log and errors)",
                    code(name)
                ),
            };
            doc.line(format!(
                "API key in the {place}, from {}.",
                credential(value)
            ));
            static_renewal(doc, &[value]);
        }
        Auth::Basic { username, password } => {
            doc.line(format!(
                "HTTP basic auth: user from {}, password from {}.",
                credential(username),
                credential(password)
            ));
            static_renewal(doc, &[password]);
        }
        Auth::Bearer { token } => {
            doc.line(format!(
                "`Authorization: Bearer …` with the token from {}.",
                credential(token)
            ));
            static_renewal(doc, &[token]);
        }
        Auth::OAuth2(o) => oauth2(doc, o),
        Auth::Session(s) => session(doc, s),
    }
}

/// Renewal of a credential that does not expire on a schedule holdfast knows.
fn static_renewal(doc: &mut Doc, values: &[&Template]) {
    let secrets: Vec<String> = values
        .iter()
        .flat_map(|t| holdfast_spec::template_reads(&t.source, "secret"))
        .collect();
    let how = match secrets.as_slice() {
        [] => "change it where it comes from (the environment variable or the file)".to_owned(),
        names => names
            .iter()
            .map(|n| format!("`holdfast secrets set {n}`"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    doc.line(format!(
        "Renewal: static; holdfast never renews it and knows no expiry. Rotate with {how}, then \
         restart `holdfast serve`. A 401 or 403 after a rotation at the vendor means the old \
         value is still in use."
    ));
}

/// The OAuth2 grant, token endpoint and the renewal rules.
fn oauth2(doc: &mut Doc, o: &OAuth2) {
    let grant = match o.grant {
        Grant::ClientCredentials => "client_credentials",
        Grant::RefreshToken => "refresh_token",
    };
    let client_auth = match o.client_auth {
        ClientAuth::Basic => "an `Authorization: Basic` header",
        ClientAuth::Body => "form parameters",
    };
    doc.item("Type", format!("OAuth2, grant {}", code(grant)));
    doc.item("Token URL", code(&o.token_url.source));
    doc.item(
        "Client",
        format!(
            "id from {}, secret from {}, sent as {client_auth}",
            credential(&o.client_id),
            credential(&o.client_secret)
        ),
    );
    if let Some(r) = &o.refresh_token {
        doc.item("Initial refresh token", format!("from {}", credential(r)));
    }
    if let Some(scope) = &o.scope {
        doc.item("Scope", code(&scope.source));
    }
    doc.item(
        "Renewal",
        format!(
            "proactive: the access token is renewed {} before it expires (at most half its \
             lifetime early), one request at a time for the whole connection (single-flight); \
             a token not renewed for {} is renewed anyway (`holdfast serve` checks every minute); \
             a 401 from the API renews it once and retries that request once",
            dur(o.refresh_before_expiry),
            dur(o.refresh_at_least_every)
        ),
    );
    if o.grant == Grant::RefreshToken {
        doc.item(
            "Rotation",
            "a new refresh token from the token endpoint is saved (sealed, in the store) before it \
             is used, so a restart reuses the latest one",
        );
    }
    let fix = match o.grant {
        Grant::RefreshToken => {
            let names = o
                .refresh_token
                .as_ref()
                .map(|t| holdfast_spec::template_reads(&t.source, "secret"))
                .unwrap_or_default();
            match names.iter().next() {
                Some(n) => format!(
                    "authorize again and set the new refresh token with `holdfast secrets set {n}`"
                ),
                None => {
                    "authorize again and put the new refresh token where `refresh_token:` reads it"
                        .to_owned()
                }
            }
        }
        Grant::ClientCredentials => {
            "fix the client id and secret at the vendor and here".to_owned()
        }
    };
    doc.item(
        "On `invalid_grant`",
        format!(
            "the connection is marked as needing re-authorization: runs fail at once without \
             calling the token endpoint again, and `holdfast status` (and a `token_expiring` \
             alert, if set) says so; {fix}"
        ),
    );
}

/// The login chain of a session and what ends a session.
fn session(doc: &mut Doc, s: &Session) {
    doc.line("Portal session: cookies from a chain of login requests, carried by every request.");
    doc.blank();
    for (i, step) in s.login.iter().enumerate() {
        let sends = match &step.body {
            LoginBody::None => String::new(),
            LoginBody::Form(fields) => format!(
                ", form fields {}",
                fields
                    .iter()
                    .map(|(n, _)| code(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            LoginBody::Json(_) => ", a JSON body".to_owned(),
        };
        let takes: Vec<String> = step
            .extract
            .iter()
            .map(|(name, e)| format!("{} from {}", code(name), extract(e)))
            .collect();
        doc.line(format!(
            "{}. `{} {}`{sends}{}",
            i + 1,
            method(step.method),
            step.path.source,
            if takes.is_empty() {
                String::new()
            } else {
                format!("; takes {}", takes.join(", "))
            }
        ));
    }
    doc.blank();
    let statuses: Vec<String> = s.expired_status.iter().map(u16::to_string).collect();
    doc.line(format!(
        "A session ends when an answer has status {}{}, or redirects to a login step's page; \
         holdfast then logs in again once (one login for all requests in flight) and retries \
         once. A failed login fails the run (`auth`); `holdfast status` shows the last login. \
         Credentials: rotate the secrets the login steps read with `holdfast secrets set NAME`.",
        statuses.join(" or "),
        s.expired_when
            .as_ref()
            .map(|w| format!(", or when {}", code(&w.source)))
            .unwrap_or_default()
    ));
}

/// Where a login step finds a value.
fn extract(e: &Extract) -> String {
    match e {
        Extract::Css { selector, attr } => match attr {
            Some(a) => format!("attribute {} of {}", code(a), code(selector)),
            None => format!("the text of {}", code(selector)),
        },
        Extract::Regex(r) => format!("regex {}", code(r)),
        Extract::Cookie(c) => format!("cookie {}", code(c)),
        Extract::Json(p) => format!("JSONPath {}", code(p)),
        Extract::Header(h) => format!("header {}", code(h)),
    }
}

/// Every template source of `auth` (to learn the names it reads).
pub(super) fn templates(auth: &Auth) -> Vec<String> {
    let mut out: Vec<&Template> = Vec::new();
    match auth {
        Auth::None => {}
        Auth::ApiKey { value, .. } => out.push(value),
        Auth::Basic { username, password } => out.extend([username, password]),
        Auth::Bearer { token } => out.push(token),
        Auth::OAuth2(o) => {
            out.extend([&o.token_url, &o.client_id, &o.client_secret]);
            out.extend(o.refresh_token.iter().chain(&o.scope).chain(&o.audience));
            out.extend(o.params.iter().map(|(_, t)| t));
        }
        Auth::Session(s) => {
            out.extend(s.headers.iter().map(|(_, t)| t));
            for step in &s.login {
                out.push(&step.path);
                out.extend(step.params.iter().chain(&step.headers).map(|(_, t)| t));
                if let LoginBody::Form(fields) = &step.body {
                    out.extend(fields.iter().map(|(_, t)| t));
                }
            }
        }
    }
    let mut sources: Vec<String> = out.into_iter().map(|t| t.source.clone()).collect();
    for s in match auth {
        Auth::Session(s) => s.login.as_slice(),
        _ => &[],
    } {
        if let LoginBody::Json(v) = &s.body {
            json_strings(v, &mut sources);
        }
    }
    sources
}

/// Every string inside `v`.
fn json_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|i| json_strings(i, out)),
        serde_json::Value::Object(map) => map.values().for_each(|i| json_strings(i, out)),
        _ => {}
    }
}
