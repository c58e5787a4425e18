//! The connection's `base_url` from `servers`, and its name.

use serde_json::Value;

use super::document::Doc;
use super::names::{env_name, identifier, snake};
use crate::draft::Input;

/// The first server's URL with its variables filled in.
#[derive(Debug)]
pub(crate) struct Server {
    /// The URL (`None`: the document has no server).
    pub(crate) url: Option<String>,
    /// What was filled in.
    pub(crate) note: String,
}

/// `servers[0]`, its `{variables}` replaced by their defaults.
pub(crate) fn first(doc: &Doc) -> Server {
    let servers = doc.root.get("servers").and_then(Value::as_array);
    let Some(server) = servers.and_then(|s| s.first()) else {
        return Server {
            url: None,
            note: String::new(),
        };
    };
    let mut url = server
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut filled = Vec::new();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, var) in vars {
            let default = var
                .get("default")
                .map(super::document::scalar_text)
                .unwrap_or_default();
            let others: Vec<String> = var
                .get("enum")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(super::document::scalar_text)
                .filter(|v| *v != default)
                .collect();
            let placeholder = format!("{{{name}}}");
            if url.contains(&placeholder) {
                url = url.replace(&placeholder, &default);
                let mut what = format!("`{{{name}}}` = `{default}` (its default");
                if !others.is_empty() {
                    what.push_str(&format!("; also: {}", others.join(", ")));
                }
                what.push(')');
                filled.push(what);
            }
        }
    }
    let mut note = "servers[0] of the document".to_owned();
    if !filled.is_empty() {
        note.push_str(&format!(", with {}", filled.join(", ")));
    }
    let count = servers.map_or(0, Vec::len);
    if count > 1 {
        note.push_str(&format!("; the document lists {count} servers"));
    }
    Server {
        url: Some(url.trim_end_matches('/').to_owned()),
        note,
    }
}

/// The connection name: given, else from the server's host
/// (`api.github.com` → `github`), else from `info.title`.
pub(crate) fn connection_name(given: Option<&str>, server: &Server, doc: &Doc) -> String {
    if let Some(name) = given {
        return identifier(name, "api");
    }
    let host = server
        .url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_owned));
    if let Some(host) = host {
        // the label left of the top-level domain, unless it says nothing
        // (`api.pets.example.com` → `pets`, `api.github.com` → `github`)
        let labels: Vec<&str> = host.split('.').collect();
        let generic = [
            "api", "apis", "www", "rest", "app", "example", "co", "com", "org", "net", "gov", "ac",
        ];
        let named = labels.len() >= 2
            && labels
                .iter()
                .any(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()));
        if let Some(label) = labels[..labels.len().saturating_sub(1)]
            .iter()
            .rev()
            .find(|l| named && !generic.contains(l) && !l.starts_with(|c: char| c.is_ascii_digit()))
        {
            return identifier(label, "api");
        }
    }
    let words: Vec<String> = snake(doc.title())
        .split('_')
        .filter(|w| !w.is_empty() && !["api", "the", "openapi", "open"].contains(w))
        .take(3)
        .map(str::to_owned)
        .collect();
    identifier(&words.join("_"), "api")
}

/// `base_url` for `server` on connection `conn`: the URL, or an
/// environment variable for the part the document does not say.
pub(crate) fn base_url(server: &Server, conn: &str) -> (String, String, Option<Input>) {
    let env = format!("{}_URL", env_name(conn));
    let template = format!("{{{{ env.{env} }}}}");
    match server.url.as_deref() {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            (url.to_owned(), server.note.clone(), None)
        }
        Some(url) => {
            let path = url.trim_start_matches('/');
            let base = if path.is_empty() {
                template
            } else {
                format!("{template}/{path}")
            };
            let why = format!(
                "the API's origin (e.g. https://api.example.com): the document's server URL `{url}` is relative to where the document is served"
            );
            let note = format!(
                "{}; the origin is an environment variable: {why}",
                server.note
            );
            (base, note, Some(Input { name: env, why }))
        }
        None => {
            let why = "the API's base URL: the document names no server".to_owned();
            (
                template,
                "the document has no `servers`: the base URL is an environment variable".into(),
                Some(Input { name: env, why }),
            )
        }
    }
}
