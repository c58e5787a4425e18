//! A HAR file read into the calls the importer works on: one [`Call`] per
//! entry, with its cookies, query, body and answer decoded.

use base64::Engine as _;
use har::v1_2;
use serde_json::Value;
use url::Url;

use super::HarError;

/// One request and its answer, as captured.
#[derive(Debug, Clone)]
pub struct Call {
    /// Its position among the file's entries (0-based).
    pub entry: usize,
    /// `GET`, `POST`, …
    pub method: String,
    /// The full URL.
    pub url: Url,
    /// Request headers (names lowercase), cookies excluded.
    pub headers: Vec<(String, String)>,
    /// Cookies sent.
    pub cookies: Vec<(String, String)>,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// The request body.
    pub body: Body,
    /// The answer's status (0: no answer).
    pub status: u16,
    /// Response headers (names lowercase), `set-cookie` excluded.
    pub response_headers: Vec<(String, String)>,
    /// Cookies the answer set.
    pub set_cookies: Vec<(String, String)>,
    /// The answer's media type, lowercase, without parameters.
    pub mime: String,
    /// The answer's body as text, when the capture kept it and it is not
    /// JSON (a JSON body is kept only as [`Call::json`]).
    pub text: Option<String>,
    /// Whether the capture kept the answer's body.
    pub has_body: bool,
    /// The answer's body, when it is JSON.
    pub json: Option<Value>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// None sent.
    None,
    /// `application/x-www-form-urlencoded` fields.
    Form(Vec<(String, String)>),
    /// A JSON document.
    Json(Value),
    /// Anything else, as text.
    Text(String),
}

impl Call {
    /// `METHOD /path` (no query), for messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.url.path())
    }

    /// The origin, `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }

    /// The host name.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or("")
    }

    /// A response header's value.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A request header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the answer is an HTML page.
    pub fn is_html(&self) -> bool {
        self.mime == "text/html" || self.mime == "application/xhtml+xml"
    }

    /// The path's segments as sent (percent-encoded: a `%2F` stays inside
    /// its segment).
    pub fn segments(&self) -> Vec<String> {
        self.url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

/// Reads a HAR 1.2 (or 1.3) document.
///
/// Straight into HAR 1.2's types (1.3 only adds optional members, which are
/// ignored): `har::from_slice` would hold the whole file as a JSON tree
/// too, several times the file's size.
pub fn read(bytes: &[u8]) -> Result<Vec<Call>, HarError> {
    /// The document's shape: `{"log": {…}}`.
    #[derive(serde::Deserialize)]
    struct Document {
        log: v1_2::Log,
    }
    let doc: Document =
        serde_json::from_slice(bytes).map_err(|e| HarError::NotHar(e.to_string()))?;
    doc.log
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| call(i, e))
        .collect()
}

fn call(entry: usize, e: v1_2::Entries) -> Result<Call, HarError> {
    let url = Url::parse(&e.request.url).map_err(|err| HarError::Entry {
        entry,
        message: format!("request.url `{}` is not a URL: {err}", e.request.url),
    })?;
    let mut headers = Vec::new();
    let mut cookies: Vec<(String, String)> = e
        .request
        .cookies
        .iter()
        .map(|c| (c.name.clone(), c.value.clone()))
        .collect();
    for h in &e.request.headers {
        let name = h.name.to_ascii_lowercase();
        if name == "cookie" {
            if cookies.is_empty() {
                cookies.extend(cookie_pairs(&h.value));
            }
        } else if !name.starts_with(':') {
            headers.push((name, h.value.clone()));
        }
    }
    let query = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let body = match &e.request.post_data {
        None => Body::None,
        Some(p) => body(p),
    };
    let mut response_headers = Vec::new();
    let mut set_cookies: Vec<(String, String)> = e
        .response
        .cookies
        .iter()
        .map(|c| (c.name.clone(), c.value.clone()))
        .collect();
    for h in &e.response.headers {
        let name = h.name.to_ascii_lowercase();
        if name == "set-cookie" {
            for line in h.value.lines() {
                if let Some(pair) = cookie_pairs(line.split(';').next().unwrap_or("")).next()
                    && !set_cookies.iter().any(|(n, _)| *n == pair.0)
                {
                    set_cookies.push(pair);
                }
            }
        } else {
            response_headers.push((name, h.value.clone()));
        }
    }
    let mime = e
        .response
        .content
        .mime_type
        .as_deref()
        .or_else(|| {
            response_headers
                .iter()
                .find(|(n, _)| n == "content-type")
                .map(|(_, v)| v.as_str())
        })
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let text = content_text(&e.response.content);
    let has_body = text.is_some();
    let json: Option<Value> =
        if mime.contains("json") || text.as_deref().is_some_and(looks_like_json) {
            text.as_deref().and_then(|t| serde_json::from_str(t).ok())
        } else {
            None
        };
    // A body held once: parsed, or as text.
    let text = if json.is_some() { None } else { text };
    Ok(Call {
        entry,
        method: e.request.method.to_ascii_uppercase(),
        url,
        headers,
        cookies,
        query,
        body,
        status: u16::try_from(e.response.status).unwrap_or(0),
        response_headers,
        set_cookies,
        mime,
        text,
        has_body,
        json,
    })
}

fn looks_like_json(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with('{') || t.starts_with('[')
}

fn cookie_pairs(header: &str) -> impl Iterator<Item = (String, String)> + '_ {
    header.split(';').filter_map(|part| {
        let (name, value) = part.split_once('=')?;
        let name = name.trim();
        (!name.is_empty()).then(|| (name.to_owned(), value.trim().to_owned()))
    })
}

fn body(p: &v1_2::PostData) -> Body {
    let mime = p.mime_type.to_ascii_lowercase();
    if mime.starts_with("application/x-www-form-urlencoded") {
        if let Some(params) = p.params.as_ref().filter(|p| !p.is_empty()) {
            return Body::Form(
                params
                    .iter()
                    .map(|f| (f.name.clone(), f.value.clone().unwrap_or_default()))
                    .collect(),
            );
        }
        let text = p.text.as_deref().unwrap_or("");
        return Body::Form(
            url::form_urlencoded::parse(text.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        );
    }
    let text = p.text.clone().unwrap_or_default();
    if mime.contains("json")
        && let Ok(v) = serde_json::from_str(&text)
    {
        return Body::Json(v);
    }
    if text.is_empty() {
        Body::None
    } else {
        Body::Text(text)
    }
}

fn content_text(c: &v1_2::Content) -> Option<String> {
    let text = c.text.as_ref()?;
    if c.encoding.as_deref() == Some("base64") {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()?;
        String::from_utf8(bytes).ok()
    } else {
        Some(text.clone())
    }
}
