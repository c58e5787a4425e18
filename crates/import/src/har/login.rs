//! The login chain: the requests whose answers set the cookies and the
//! header values the data calls send, and what those requests send in turn
//! (a CSRF token from the login page, the credentials the user typed).
//! They become `session` auth; static credentials become bearer, basic or
//! API key auth instead.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Analysis;
use super::trace::{Place, Source};
use crate::draft::{Auth, Draft, Extract, ExtractFrom, Field, Input, LoginStep};
use crate::names::{Unique, identifier};

/// The connection's auth, read off the capture.
#[derive(Debug, Clone)]
pub struct Login {
    /// The auth to write.
    pub auth: Auth,
    /// Why that auth.
    pub auth_note: String,
    /// Constant headers every data call sends (not credentials).
    pub connection_headers: Vec<Field>,
    /// The calls that are login steps (not streams).
    pub steps: BTreeSet<usize>,
    /// Request header names the auth or connection covers.
    pub headers_covered: BTreeSet<String>,
    /// Values the user provides: call, place, input (`secret.X`).
    pub inputs: Vec<(usize, Place, String)>,
    /// Captured values now read from secrets or the session: never written.
    pub secret_values: BTreeSet<String>,
    /// What was found, for the report.
    pub report: Vec<String>,
}

/// Names of values that are credentials (`password`, `api_key`, `token`…).
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['-', '_'], "");
    [
        "pass",
        "pwd",
        "secret",
        "token",
        "apikey",
        "authorization",
        "auth",
        "otp",
        "pin",
        "credential",
        "session",
        "cookie",
        "signature",
        "key",
    ]
    .iter()
    .any(|w| n.contains(w))
        || n == "pw"
}

/// Names of the account a user signs in with.
fn is_login_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['-', '_'], "");
    matches!(
        n.as_str(),
        "username" | "user" | "login" | "email" | "userid" | "account" | "loginid" | "mail"
    )
}

/// Finds the login chain (or static credentials) in the capture.
pub(crate) fn login(a: &Analysis, conn: &str, draft: &mut Draft) -> Login {
    let data: Vec<usize> = (0..a.calls.len())
        .filter(|&i| {
            let c = &a.calls[i];
            c.json.is_some() && (200..300).contains(&c.status) && c.method == "GET"
        })
        .collect();
    // Whether each endpoint answers with a list (its calls are data, not logins).
    let lists: Vec<bool> = a
        .templates
        .iter()
        .map(|t| {
            let bodies: Vec<&Value> = t
                .calls
                .iter()
                .filter_map(|&c| a.calls[c].json.as_ref())
                .collect();
            crate::infer::records_at(&bodies).is_some_and(|r| !r.single)
        })
        .collect();
    let list_like = |i: usize| lists[a.of_call[i]];
    let mut setters: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, c) in a.calls.iter().enumerate() {
        for (name, _) in &c.set_cookies {
            setters.entry(name.as_str()).or_insert(i);
        }
    }
    let first_setter = |name: &str| setters.get(name).copied();
    let mut login = Login {
        auth: Auth::None,
        auth_note: String::new(),
        connection_headers: Vec::new(),
        steps: BTreeSet::new(),
        headers_covered: BTreeSet::new(),
        inputs: Vec::new(),
        secret_values: BTreeSet::new(),
        report: Vec::new(),
    };
    // Producers of what the data calls send, then of what those send.
    let mut work: Vec<usize> = Vec::new();
    let mut script_cookies = BTreeSet::new();
    for &d in &data {
        for s in a.sent_by(d) {
            match &s.place {
                Place::Cookie(name) => match first_setter(name) {
                    Some(p) if p < d && !list_like(p) => work.push(p),
                    Some(_) => {}
                    None => {
                        script_cookies.insert(name.clone());
                    }
                },
                Place::Header(_) => {
                    // Only an answer a login step can extract from.
                    if let Some(o) = &s.origin
                        && !matches!(o.source, Source::Url(_))
                        && !list_like(o.call)
                    {
                        work.push(o.call);
                    }
                }
                _ => {}
            }
        }
    }
    while let Some(p) = work.pop() {
        if !login.steps.insert(p) {
            continue;
        }
        for s in a.sent_by(p) {
            match (&s.place, &s.origin) {
                (Place::Cookie(name), _) => {
                    if let Some(q) = first_setter(name).filter(|&q| q < p) {
                        work.push(q);
                    }
                }
                (Place::Path(_), _) => {}
                (_, Some(o)) => work.push(o.call),
                _ => {}
            }
        }
    }
    // One step per endpoint: its first call. A session logs in on the
    // connection's origin only: a step elsewhere is said, not written.
    let mut seen_templates = BTreeSet::new();
    let firsts: Vec<usize> = login
        .steps
        .iter()
        .copied()
        .filter(|&p| seen_templates.insert(a.of_call[p]))
        .collect();
    let mut steps = Vec::new();
    for p in firsts {
        if a.calls[p].origin() == a.origin {
            steps.push(p);
        } else {
            login.report.push(format!(
                "login step {} on {} left out: a session logs in on the connection's origin ({}) only; sign in there, or capture the app on one origin",
                a.calls[p].label(),
                a.calls[p].origin(),
                a.origin
            ));
        }
    }
    login.steps = a
        .calls
        .iter()
        .enumerate()
        .filter(|(i, _)| login.steps.iter().any(|&p| a.of_call[p] == a.of_call[*i]))
        .map(|(i, _)| i)
        .collect();
    for name in &script_cookies {
        login.report.push(format!(
            "cookie `{name}` was sent but no captured answer set it (a script did, or the capture began after it was set): not reproduced"
        ));
    }
    let consumers: Vec<usize> = data
        .iter()
        .copied()
        .filter(|d| !login.steps.contains(d))
        .collect();
    if steps.is_empty() {
        static_auth(a, conn, &consumers, draft, &mut login);
    } else {
        session(a, conn, &steps, &consumers, draft, &mut login);
    }
    constant_headers(a, &consumers, &mut login);
    login
}

/// Builds `session` auth from the steps.
fn session(
    a: &Analysis,
    conn: &str,
    steps: &[usize],
    consumers: &[usize],
    draft: &mut Draft,
    login: &mut Login,
) {
    let mut extracts: BTreeMap<usize, Vec<Extract>> = BTreeMap::new();
    let mut built = Vec::new();
    for &p in steps {
        let call = &a.calls[p];
        let mut step = LoginStep {
            method: call.method.clone(),
            path: call.url.path().to_owned(),
            params: Vec::new(),
            form: Vec::new(),
            json: None,
            extract: Vec::new(),
            note: String::new(),
        };
        for s in a.sent_by(p) {
            let value = match &s.place {
                Place::Query(_) | Place::Form(_) | Place::Json(_) => {
                    resolve(a, conn, s, steps, &mut extracts, draft, login)
                }
                _ => continue,
            };
            match &s.place {
                Place::Query(k) => step.params.push(Field::new(k.clone(), value)),
                Place::Form(k) => step.form.push(Field::new(k.clone(), value)),
                Place::Json(pointer) => {
                    let body = step.json.get_or_insert_with(|| match &call.body {
                        super::capture::Body::Json(v) => v.clone(),
                        _ => Value::Null,
                    });
                    if let Some(slot) = body.pointer_mut(pointer) {
                        *slot = value;
                    }
                }
                _ => {}
            }
        }
        built.push((p, step));
    }
    // Headers the data calls send with values from the login answers.
    let mut headers = Vec::new();
    if let Some(&first) = consumers.first() {
        for s in a.sent_by(first) {
            let Place::Header(name) = &s.place else {
                continue;
            };
            if let Some(o) = &s.origin
                && steps.iter().any(|&p| a.of_call[p] == a.of_call[o.call])
            {
                let value = resolve(a, conn, s, steps, &mut extracts, draft, login);
                headers.push(Field::new(display_header(name), value).noted(format!(
                    "sent by the data calls; its value came from {} ({})",
                    a.calls[o.call].label(),
                    o.source.describe()
                )));
                login.headers_covered.insert(name.clone());
            } else if s.origin.is_none() && is_secret_name(name) {
                let input = secret_of(conn, name, s, draft, login);
                headers.push(Field::new(
                    display_header(name),
                    format!("{}{{{{ {input} }}}}", s.prefix),
                ));
                login.headers_covered.insert(name.clone());
            }
        }
    }
    let count = built.len();
    let mut login_steps = Vec::new();
    for (n, (p, mut step)) in built.into_iter().enumerate() {
        let call = &a.calls[p];
        step.extract = extracts.remove(&p).unwrap_or_default();
        let sets: Vec<&str> = call.set_cookies.iter().map(|(k, _)| k.as_str()).collect();
        let mut why = format!(
            "login step {} of {count}: {} (entry {})",
            n + 1,
            call.label(),
            call.entry
        );
        if !sets.is_empty() {
            why.push_str(&format!("; its answer set cookie(s) {}", sets.join(", ")));
        }
        if !step.extract.is_empty() {
            let names: Vec<&str> = step.extract.iter().map(|e| e.name.as_str()).collect();
            why.push_str(&format!("; later requests send its {}", names.join(", ")));
        }
        step.note = why;
        login_steps.push(step);
    }
    login.report.push(format!(
        "login chain: {}",
        login_steps
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect::<Vec<_>>()
            .join(" → ")
    ));
    login.auth_note = format!(
        "guessed: the data calls send cookies and headers these {count} request(s) produced; the session's cookies go with every request"
    );
    login.auth = Auth::Session {
        login: login_steps,
        headers,
    };
}

/// The value a login step or session header sends: a session value from
/// an earlier step, a secret the user sets, or the captured constant.
fn resolve(
    a: &Analysis,
    conn: &str,
    s: &super::trace::Sent,
    steps: &[usize],
    extracts: &mut BTreeMap<usize, Vec<Extract>>,
    draft: &mut Draft,
    login: &mut Login,
) -> Value {
    let name = s.place.name();
    if let Some(o) = &s.origin {
        let producer = steps
            .iter()
            .copied()
            .find(|&p| a.of_call[p] == a.of_call[o.call]);
        let from = match &o.source {
            Source::Body(path) => Some(ExtractFrom::Json(path.clone())),
            Source::SetCookie(c) => Some(ExtractFrom::Cookie(c.clone())),
            Source::Header(h) => Some(ExtractFrom::Header(h.clone())),
            Source::Html { selector, attr } => Some(ExtractFrom::Css {
                selector: selector.clone(),
                attr: Some(attr.clone()),
            }),
            Source::Text(re) => Some(ExtractFrom::Regex(re.clone())),
            Source::Url(_) => None,
        };
        if let (Some(p), Some(from)) = (producer, from) {
            let list = extracts.entry(p).or_default();
            let existing = list.iter().find(|e| e.from == from).map(|e| e.name.clone());
            let var = existing.unwrap_or_else(|| {
                let mut taken = Unique::default();
                for e in list.iter() {
                    taken.claim(&e.name);
                }
                let var = taken.claim(&identifier(
                    &source_name(&o.source).unwrap_or(name.clone()),
                    "value",
                ));
                list.push(Extract {
                    name: var.clone(),
                    from: from.clone(),
                    note: format!(
                        "{} sends it as {}",
                        a.calls[s.call].label(),
                        s.place.describe()
                    ),
                });
                var
            });
            login.secret_values.insert(s.value.clone());
            return Value::String(format!("{}{{{{ session.{var} }}}}", s.prefix));
        }
        login.report.push(format!(
            "{} sends {} from {} ({}): kept as captured",
            a.calls[s.call].label(),
            s.place.describe(),
            a.calls[o.call].label(),
            o.source.describe()
        ));
    }
    if is_secret_name(&name) || is_login_name(&name) {
        let input = secret_of(conn, &name, s, draft, login);
        return Value::String(format!("{}{{{{ {input} }}}}", s.prefix));
    }
    Value::String(s.value.clone())
}

/// Adds a secret input for the credential `s` sends; returns `secret.NAME`.
fn secret_of(
    conn: &str,
    name: &str,
    s: &super::trace::Sent,
    draft: &mut Draft,
    login: &mut Login,
) -> String {
    let (value, call, place) = (s.value.clone(), s.call, &s.place);
    let secret = identifier(&format!("{conn}_{name}"), "secret");
    if !draft.secrets.iter().any(|s| s.name == secret) {
        draft.secrets.push(Input {
            name: secret.clone(),
            why: format!(
                "the capture's {} (typed by the user or a credential)",
                place.describe()
            ),
        });
    }
    login.secret_values.insert(value);
    let input = format!("secret.{secret}");
    login.inputs.push((call, place.clone(), input.clone()));
    input
}

/// Credentials the data calls send that no answer produced.
fn static_auth(
    a: &Analysis,
    conn: &str,
    consumers: &[usize],
    draft: &mut Draft,
    login: &mut Login,
) {
    let Some(&first) = consumers.first() else {
        return;
    };
    for s in a.sent_by(first) {
        if s.origin.is_some() {
            continue;
        }
        match &s.place {
            Place::Header(h) if h == "authorization" => {
                let scheme = s.prefix.trim().to_ascii_lowercase();
                if scheme == "bearer" || scheme == "token" {
                    let input = secret_of(conn, "token", s, draft, login);
                    login.auth = Auth::Bearer {
                        token: format!("{{{{ {input} }}}}"),
                    };
                } else if s.value.to_ascii_lowercase().starts_with("basic ") {
                    let user = secret_of(conn, "username", s, draft, login);
                    let pass = secret_of(conn, "password", s, draft, login);
                    login.auth = Auth::Basic {
                        username: format!("{{{{ {user} }}}}"),
                        password: format!("{{{{ {pass} }}}}"),
                    };
                } else {
                    continue;
                }
                login.headers_covered.insert(h.clone());
                login.auth_note = "guessed: every data call sent this Authorization header and no captured answer produced it".into();
                return;
            }
            Place::Header(h) | Place::Query(h) if is_secret_name(h) => {
                let input = secret_of(conn, h, s, draft, login);
                let header = matches!(s.place, Place::Header(_));
                login.auth = Auth::ApiKey {
                    name: if header { display_header(h) } else { h.clone() },
                    value: format!("{}{{{{ {input} }}}}", s.prefix),
                    location: if header { "header" } else { "query" }.into(),
                };
                login.headers_covered.insert(h.clone());
                login.auth_note = format!(
                    "guessed: every data call sent {} and no captured answer produced it",
                    s.place.describe()
                );
                return;
            }
            _ => {}
        }
    }
    login.auth_note = "no login and no credentials found in the data calls".into();
}

/// Non-credential custom headers with the same value on every data call.
fn constant_headers(a: &Analysis, consumers: &[usize], login: &mut Login) {
    let Some(&first) = consumers.first() else {
        return;
    };
    for (name, value) in &a.calls[first].headers {
        if super::trace::is_browser_header(name)
            || login.headers_covered.contains(name)
            || is_secret_name(name)
        {
            continue;
        }
        let everywhere = consumers
            .iter()
            .all(|&c| a.calls[c].header(name) == Some(value.as_str()));
        if everywhere {
            login
                .connection_headers
                .push(
                    Field::new(display_header(name), value.clone()).noted(format!(
                        "every data call ({}) sent it with this value",
                        consumers.len()
                    )),
                );
            login.headers_covered.insert(name.clone());
        }
    }
}

/// `x-csrf-token` → `X-Csrf-Token`.
fn display_header(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A name for a session value from where it is found: the JSON member,
/// cookie, header or form field name.
fn source_name(source: &Source) -> Option<String> {
    match source {
        Source::Body(path) => path
            .rsplit(['.', '['])
            .next()
            .map(|m| m.trim_matches(['\'', ']']).to_owned())
            .filter(|m| !m.is_empty() && !m.chars().all(|c| c.is_ascii_digit() || c == '*')),
        Source::SetCookie(name) | Source::Header(name) => Some(name.clone()),
        Source::Html { selector, .. } => selector
            .split_once("=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(name, _)| name.to_owned()),
        Source::Text(_) | Source::Url(_) => None,
    }
}
