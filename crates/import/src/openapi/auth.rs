//! The connection's `auth:` from the document's `securitySchemes` and the
//! `security` requirements of the operations imported.

use serde_json::Value;

use super::OpenApiError;
use super::document::{Doc, child};
use crate::draft::{Auth, Field, Input};

/// The auth chosen, why, and what the user must provide.
#[derive(Debug)]
pub(crate) struct Chosen {
    /// `auth:`.
    pub(crate) auth: Auth,
    /// The comment at `auth:`.
    pub(crate) note: String,
    /// Secrets it reads.
    pub(crate) secrets: Vec<Input>,
    /// Connection headers it needs (an API key sent as a cookie).
    pub(crate) headers: Vec<Field>,
}

/// The operations of the document, as auth sees them.
pub(crate) struct Used<'d> {
    /// The operation objects imported.
    pub(crate) ops: Vec<&'d Value>,
    /// How many operations of the whole document answer `401`, of how many.
    pub(crate) answer_401: (usize, usize),
}

/// The auth of connection `conn` for the operations `used`.
pub(crate) fn choose(doc: &Doc, used: &Used<'_>, conn: &str) -> Result<Chosen, OpenApiError> {
    let schemes_at = "#/components/securitySchemes";
    let schemes = doc
        .root
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    let global = doc.root.get("security");
    // scheme name → (operations requiring it, its scopes)
    let mut required: Vec<(String, usize, Vec<String>)> = Vec::new();
    let mut optional = 0;
    for op in &used.ops {
        let Some(reqs) = op.get("security").or(global).and_then(Value::as_array) else {
            continue;
        };
        let Some(first) = reqs.iter().filter_map(Value::as_object).next() else {
            continue;
        };
        if first.is_empty() {
            optional += 1;
            continue;
        }
        for (name, scopes) in first {
            let scopes: Vec<String> = scopes
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect();
            match required.iter_mut().find(|(n, _, _)| n == name) {
                Some(entry) => {
                    entry.1 += 1;
                    for s in scopes {
                        if !entry.2.contains(&s) {
                            entry.2.push(s);
                        }
                    }
                }
                None => required.push((name.clone(), 1, scopes)),
            }
        }
    }
    let total = used.ops.len();
    let pick = required
        .iter()
        .enumerate()
        .max_by_key(|(i, (_, n, _))| (*n, std::cmp::Reverse(*i)))
        .map(|(_, r)| r.clone());
    let (name, scopes, why) = match (pick, schemes) {
        (Some((name, n, scopes)), _) => {
            let mut why = format!("required by {n} of the {total} operations imported");
            let others: Vec<String> = required
                .iter()
                .filter(|(o, _, _)| *o != name)
                .map(|(o, k, _)| format!("`{o}` ({k})"))
                .collect();
            if !others.is_empty() {
                why.push_str(&format!(
                    "; also required: {} (one connection has one auth: split the streams into \
                     two connections if they differ)",
                    others.join(", ")
                ));
            }
            if optional > 0 {
                why.push_str(&format!("; {optional} allow no auth (`security: [{{}}]`)"));
            }
            (name, scopes, why)
        }
        (None, Some(schemes)) if optional == 0 && !schemes.is_empty() => {
            let Some(name) = schemes.keys().next() else {
                return Ok(guess_without_schemes(used, conn));
            };
            let why = "declared in securitySchemes, though no `security` requirement names it: \
                       the only or first scheme, a guess"
                .to_owned();
            (name.clone(), Vec::new(), why)
        }
        (None, _) if optional > 0 => {
            return Ok(Chosen {
                auth: Auth::None,
                note: format!(
                    "no auth: the operations imported allow it (`security: [{{}}]`, {optional} of {total})"
                ),
                secrets: Vec::new(),
                headers: Vec::new(),
            });
        }
        (None, _) => return Ok(guess_without_schemes(used, conn)),
    };
    let at = child(schemes_at, &name);
    let Some(scheme) = schemes.and_then(|s| s.get(&name)) else {
        return Err(super::document::invalid(
            &at,
            format!(
                "the security requirement names `{name}`, which `components.securitySchemes` does not define"
            ),
        ));
    };
    let (scheme, at) = doc.deref(scheme, &at)?;
    Ok(from_scheme(scheme, &at, &name, &scopes, &why, conn))
}

/// No scheme declared: a token is guessed when the API answers `401`.
fn guess_without_schemes(used: &Used<'_>, conn: &str) -> Chosen {
    let (with_401, all) = used.answer_401;
    if with_401 == 0 {
        return Chosen {
            auth: Auth::None,
            note: "no auth: the document declares no securitySchemes and no operation in it \
                   answers 401; if the API needs credentials, set `auth:` by hand"
                .into(),
            secrets: Vec::new(),
            headers: Vec::new(),
        };
    }
    let token = format!("{conn}_token");
    Chosen {
        auth: Auth::Bearer {
            token: secret(&token),
        },
        note: format!(
            "A GUESS: the document declares no securitySchemes, but {with_401} of its {all} \
             operations answer 401 (requires authentication): a bearer token is the most \
             common; check the API's docs and change `auth:` if it uses another scheme"
        ),
        secrets: vec![Input {
            name: token,
            why: "the bearer token (the auth is guessed: the document declares none)".into(),
        }],
        headers: Vec::new(),
    }
}

fn secret(name: &str) -> String {
    format!("{{{{ secret.{name} }}}}")
}

fn input(name: &str, why: String) -> Input {
    Input {
        name: name.to_owned(),
        why,
    }
}

fn str_at<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `auth:` for the security scheme `name` (at `at`).
fn from_scheme(
    scheme: &Value,
    at: &str,
    name: &str,
    scopes: &[String],
    why: &str,
    conn: &str,
) -> Chosen {
    let kind = str_at(scheme, "type");
    let from = format!("from securitySchemes.{name} ({kind}), {why}");
    let mut chosen = Chosen {
        auth: Auth::None,
        note: from.clone(),
        secrets: Vec::new(),
        headers: Vec::new(),
    };
    let bearer = |chosen: &mut Chosen, what: &str| {
        let token = format!("{conn}_token");
        chosen.auth = Auth::Bearer {
            token: secret(&token),
        };
        chosen.secrets.push(input(&token, format!("{what} ({at})")));
    };
    match kind {
        "http" => match str_at(scheme, "scheme").to_ascii_lowercase().as_str() {
            "bearer" => bearer(&mut chosen, "the bearer token"),
            "basic" => {
                let (user, pass) = (format!("{conn}_username"), format!("{conn}_password"));
                chosen.auth = Auth::Basic {
                    username: secret(&user),
                    password: secret(&pass),
                };
                chosen
                    .secrets
                    .push(input(&user, format!("the HTTP basic user name ({at})")));
                chosen
                    .secrets
                    .push(input(&pass, format!("the HTTP basic password ({at})")));
            }
            other => {
                chosen.note = format!(
                    "{from}: HTTP `{other}` auth is not something holdfast sends; set `auth:` by hand"
                );
            }
        },
        "apiKey" => {
            let key = format!("{conn}_api_key");
            let header = str_at(scheme, "name");
            match str_at(scheme, "in") {
                location @ ("header" | "query") => {
                    chosen.auth = Auth::ApiKey {
                        name: header.to_owned(),
                        value: secret(&key),
                        location: location.to_owned(),
                    };
                }
                "cookie" => {
                    chosen.headers.push(
                        Field::new("Cookie", format!("{header}={}", secret(&key)))
                            .noted(format!("the API key as cookie `{header}` ({from})")),
                    );
                    chosen.note =
                        format!("{from}: the key goes in a cookie, sent as a connection header");
                }
                other => {
                    chosen.note = format!(
                        "{from}: an API key `in: {other}` is not known; set `auth:` by hand"
                    );
                    return chosen;
                }
            }
            chosen
                .secrets
                .push(input(&key, format!("the API key `{header}` ({at})")));
        }
        "oauth2" => oauth2(&mut chosen, scheme, at, scopes, &from, conn),
        "openIdConnect" => {
            bearer(
                &mut chosen,
                "an access token from the OpenID Connect provider",
            );
            chosen.note = format!(
                "{from}: holdfast does not run OpenID Connect flows (discovery: {}); get an \
                 access token from the provider and store it, or configure `type: oauth2` by hand",
                str_at(scheme, "openIdConnectUrl")
            );
        }
        "mutualTLS" => {
            chosen.note =
                format!("{from}: holdfast does not present client certificates; no auth written");
        }
        other => {
            chosen.note = format!("{from}: unknown scheme type `{other}`; set `auth:` by hand");
        }
    }
    chosen
}

fn oauth2(
    chosen: &mut Chosen,
    scheme: &Value,
    at: &str,
    scopes: &[String],
    from: &str,
    conn: &str,
) {
    let flows = scheme.get("flows");
    let flow = |name: &str| flows.and_then(|f| f.get(name));
    let scope = (!scopes.is_empty()).then(|| scopes.join(" "));
    let (id, secret_name) = (format!("{conn}_client_id"), format!("{conn}_client_secret"));
    let client = |chosen: &mut Chosen| {
        chosen
            .secrets
            .push(input(&id, format!("the OAuth2 client id ({at})")));
        chosen.secrets.push(input(
            &secret_name,
            format!("the OAuth2 client secret ({at})"),
        ));
    };
    if let Some(cc) = flow("clientCredentials") {
        chosen.auth = Auth::OAuth2 {
            grant: "client_credentials".into(),
            token_url: str_at(cc, "tokenUrl").to_owned(),
            client_id: secret(&id),
            client_secret: secret(&secret_name),
            refresh_token: None,
            scope,
        };
        chosen.note = format!("{from}: the client credentials flow");
        client(chosen);
    } else if let Some(code) = flow("authorizationCode") {
        let refresh = format!("{conn}_refresh_token");
        let refresh_url = str_at(code, "refreshUrl");
        let token_url = if refresh_url.is_empty() {
            str_at(code, "tokenUrl")
        } else {
            refresh_url
        };
        chosen.auth = Auth::OAuth2 {
            grant: "refresh_token".into(),
            token_url: token_url.to_owned(),
            client_id: secret(&id),
            client_secret: secret(&secret_name),
            refresh_token: Some(secret(&refresh)),
            scope,
        };
        chosen.note = format!(
            "{from}: the authorization code flow needs a person in a browser once, and \
             `holdfast connect` does not exist yet: authorize at {} yourself, exchange the code \
             at {} for a refresh token, and store it; holdfast then renews access tokens with it",
            str_at(code, "authorizationUrl"),
            str_at(code, "tokenUrl")
        );
        client(chosen);
        chosen.secrets.push(input(
            &refresh,
            format!("a refresh token from one authorization code flow done by hand ({at})"),
        ));
    } else {
        let token = format!("{conn}_token");
        chosen.auth = Auth::Bearer {
            token: secret(&token),
        };
        let names: Vec<&str> = flows
            .and_then(Value::as_object)
            .map(|f| f.keys().map(String::as_str).collect())
            .unwrap_or_default();
        chosen.note = format!(
            "{from}: holdfast runs the client credentials and refresh token grants only, and this \
             scheme offers {}: get an access token yourself and store it (it is sent as a bearer \
             token and not renewed)",
            if names.is_empty() {
                "no flow".to_owned()
            } else {
                names.join(", ")
            }
        );
        chosen.secrets.push(input(
            &token,
            format!("an OAuth2 access token obtained by hand ({at})"),
        ));
    }
}
