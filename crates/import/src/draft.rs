//! The connector an importer proposes, before it is written: connections,
//! streams and a note at every guess. [`Draft::to_yaml`] writes the file.

use serde_json::Value;

use crate::yaml::{Map, Node, render};

/// A connector file to write, with what the importer guessed.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// Comment lines at the top of the file (where it came from, what to set).
    pub header: Vec<String>,
    /// The connections, in order.
    pub connections: Vec<Connection>,
    /// The streams, parents before their children.
    pub streams: Vec<Stream>,
    /// Secrets the file reads (`{{ secret.NAME }}`), with why each is one.
    pub secrets: Vec<Input>,
    /// Environment variables the file reads (`{{ env.NAME }}`), with why.
    pub envs: Vec<Input>,
}

/// A value the user provides: a secret or an environment variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Its name (`secret.NAME` / `env.NAME`).
    pub name: String,
    /// Where it is used and why it is an input.
    pub why: String,
}

/// A connection: base URL, headers and auth.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Its name under `connections:`.
    pub name: String,
    /// `base_url:`.
    pub base_url: String,
    /// A comment at `base_url:`.
    pub base_url_note: String,
    /// Headers sent with every request.
    pub headers: Vec<Field>,
    /// `auth:`.
    pub auth: Auth,
    /// A comment at `auth:`.
    pub auth_note: String,
}

/// A name with a value (a template string, number or boolean) and a comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The parameter, header or form field name.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// A comment above it (empty: none).
    pub note: String,
}

impl Field {
    /// A field without a comment.
    pub fn new(name: impl Into<String>, value: impl Into<Value>) -> Field {
        Field {
            name: name.into(),
            value: value.into(),
            note: String::new(),
        }
    }

    /// The same field with a comment.
    pub fn noted(mut self, note: impl Into<String>) -> Field {
        self.note = note.into();
        self
    }
}

/// How a connection authenticates.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// No credentials.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token template.
        token: String,
    },
    /// An API key in a header or the query.
    ApiKey {
        /// The header or parameter name.
        name: String,
        /// The key template.
        value: String,
        /// `header` or `query`.
        location: String,
    },
    /// HTTP basic auth.
    Basic {
        /// User name template.
        username: String,
        /// Password template.
        password: String,
    },
    /// OAuth2 with a token endpoint.
    OAuth2 {
        /// `client_credentials` or `refresh_token`.
        grant: String,
        /// The token endpoint.
        token_url: String,
        /// Client id template.
        client_id: String,
        /// Client secret template.
        client_secret: String,
        /// Refresh token template (`refresh_token` grant).
        refresh_token: Option<String>,
        /// Space-separated scopes.
        scope: Option<String>,
    },
    /// A portal login chain.
    Session {
        /// The login requests, in order.
        login: Vec<LoginStep>,
        /// Headers added to every request (`{{ session.NAME }}`).
        headers: Vec<Field>,
    },
}

/// One request of a session login.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginStep {
    /// `GET` or `POST`.
    pub method: String,
    /// The path, joined to `base_url`.
    pub path: String,
    /// Query parameters.
    pub params: Vec<Field>,
    /// A form body.
    pub form: Vec<Field>,
    /// A JSON body.
    pub json: Option<Value>,
    /// Values taken from the answer.
    pub extract: Vec<Extract>,
    /// A comment above the step.
    pub note: String,
}

/// A value a login step takes from its answer, as `session.NAME`.
#[derive(Debug, Clone, PartialEq)]
pub struct Extract {
    /// The name later steps and headers read.
    pub name: String,
    /// Where in the answer.
    pub from: ExtractFrom,
    /// A comment above it.
    pub note: String,
}

/// Where a login step finds a value.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtractFrom {
    /// The first element matching a CSS selector: an attribute, or its text.
    Css {
        /// The selector.
        selector: String,
        /// The attribute (`None`: the element's text).
        attr: Option<String>,
    },
    /// A regex over the body (its first group).
    Regex(String),
    /// A cookie the answer set.
    Cookie(String),
    /// A JSONPath into a JSON body.
    Json(String),
    /// A response header.
    Header(String),
}

/// One stream.
#[derive(Debug, Clone)]
pub struct Stream {
    /// Its name under `streams:` (also its table).
    pub name: String,
    /// A comment above the stream (what it was made from).
    pub note: String,
    /// Its connection.
    pub connection: String,
    /// `for_each: { stream, as }` for a child stream.
    pub for_each: Option<(String, String)>,
    /// `GET` unless said.
    pub method: String,
    /// The request path (a template).
    pub path: String,
    /// Query parameters.
    pub params: Vec<Field>,
    /// Extra headers.
    pub headers: Vec<Field>,
    /// A JSON body, if the request sends one.
    pub json: Option<Value>,
    /// How pages follow.
    pub paginate: Paginate,
    /// Why that pagination.
    pub paginate_note: String,
    /// The records JSONPath.
    pub records: String,
    /// Why that path.
    pub records_note: String,
    /// The primary key fields (empty: none found).
    pub primary_key: Vec<String>,
    /// Why that key.
    pub primary_key_note: String,
    /// A JSON Schema for its records.
    pub schema: Option<Value>,
    /// Where the schema came from.
    pub schema_note: String,
}

impl Stream {
    /// A `GET` stream on `path` with no pagination, records at `$`.
    pub fn new(
        name: impl Into<String>,
        connection: impl Into<String>,
        path: impl Into<String>,
    ) -> Stream {
        Stream {
            name: name.into(),
            note: String::new(),
            connection: connection.into(),
            for_each: None,
            method: "GET".into(),
            path: path.into(),
            params: Vec::new(),
            headers: Vec::new(),
            json: None,
            paginate: Paginate::None,
            paginate_note: String::new(),
            records: "$".into(),
            records_note: String::new(),
            primary_key: Vec::new(),
            primary_key_note: String::new(),
            schema: None,
            schema_note: String::new(),
        }
    }
}

/// A stream's pagination.
#[derive(Debug, Clone, PartialEq)]
pub enum Paginate {
    /// A single request.
    None,
    /// A token from each page (`next`: JSONPath) sent as `param`.
    Cursor {
        /// JSONPath to the token.
        next: String,
        /// The query parameter it is sent as.
        param: String,
    },
    /// A full next URL in the body.
    NextUrl {
        /// JSONPath to the URL.
        next: String,
    },
    /// RFC 8288 `Link: <…>; rel="next"`.
    LinkHeader,
    /// The last record's `field` sent as `param` while `more` is true.
    LastRecord {
        /// The record field whose last value is sent.
        field: String,
        /// The query parameter it is sent as.
        param: String,
        /// JSONPath to the boolean saying there is more.
        more: String,
    },
    /// An offset parameter.
    Offset {
        /// The offset parameter.
        param: String,
        /// The limit parameter.
        limit_param: String,
        /// The page size.
        limit: u64,
    },
    /// A page number parameter.
    Page {
        /// The page parameter.
        param: String,
        /// The first page's number.
        start: u64,
        /// The page size parameter and size, if the API takes one.
        size: Option<(String, u64)>,
    },
}

impl Draft {
    /// The connector file: the header, the inputs to set, then the YAML.
    pub fn to_yaml(&self) -> String {
        let mut header = self.header.join("\n");
        if !self.secrets.is_empty() {
            header.push_str("\n\nSecrets this file reads (never written here); set each with:");
            for s in &self.secrets {
                header.push_str(&format!(
                    "\n  printf '%s' \"$VALUE\" | holdfast secrets set {}    # {}",
                    s.name, s.why
                ));
            }
        }
        if !self.envs.is_empty() {
            header.push_str("\n\nEnvironment variables this file reads:");
            for e in &self.envs {
                header.push_str(&format!("\n  {}    # {}", e.name, e.why));
            }
        }
        let mut root = Map::new();
        let mut connections = Map::new();
        for c in &self.connections {
            connections.set(c.name.clone(), connection(c));
        }
        root.set("connections", connections);
        let mut streams = Map::new();
        for s in &self.streams {
            streams.set_noted(s.name.clone(), stream(s), &s.note);
        }
        root.set("streams", streams);
        render(header.trim_start(), &root)
    }
}

fn fields(list: &[Field]) -> Map {
    let mut map = Map::new();
    for f in list {
        map.set_noted(f.name.clone(), Node::from(&f.value), &f.note);
    }
    map
}

fn connection(c: &Connection) -> Map {
    let mut map = Map::new();
    map.set_noted("base_url", c.base_url.clone(), &c.base_url_note);
    if !c.headers.is_empty() {
        map.set("headers", fields(&c.headers));
    }
    map.set_noted("auth", auth(&c.auth), &c.auth_note);
    map
}

fn auth(auth: &Auth) -> Map {
    let mut map = Map::new();
    match auth {
        Auth::None => {
            map.set("type", "none");
        }
        Auth::Bearer { token } => {
            map.set("type", "bearer").set("token", token.clone());
        }
        Auth::ApiKey {
            name,
            value,
            location,
        } => {
            map.set("type", "api_key")
                .set("name", name.clone())
                .set("value", value.clone())
                .set("in", location.clone());
        }
        Auth::Basic { username, password } => {
            map.set("type", "basic")
                .set("username", username.clone())
                .set("password", password.clone());
        }
        Auth::OAuth2 {
            grant,
            token_url,
            client_id,
            client_secret,
            refresh_token,
            scope,
        } => {
            map.set("type", "oauth2")
                .set("grant", grant.clone())
                .set("token_url", token_url.clone())
                .set("client_id", client_id.clone())
                .set("client_secret", client_secret.clone());
            if let Some(r) = refresh_token {
                map.set("refresh_token", r.clone());
            }
            if let Some(s) = scope {
                map.set("scope", s.clone());
            }
        }
        Auth::Session { login, headers } => {
            map.set("type", "session");
            map.set(
                "login",
                login.iter().map(|s| Node::Map(step(s))).collect::<Vec<_>>(),
            );
            if !headers.is_empty() {
                map.set("headers", fields(headers));
            }
        }
    }
    map
}

fn step(s: &LoginStep) -> Map {
    let mut map = Map::new();
    map.set_noted("method", s.method.clone(), &s.note);
    map.set("path", s.path.clone());
    if !s.params.is_empty() {
        map.set("params", fields(&s.params));
    }
    if !s.form.is_empty() {
        map.set("form", fields(&s.form));
    }
    if let Some(json) = &s.json {
        map.set("json", Node::from(json));
    }
    if !s.extract.is_empty() {
        let mut extract = Map::new();
        for e in &s.extract {
            let mut from = Map::new();
            match &e.from {
                ExtractFrom::Css { selector, attr } => {
                    from.set("css", selector.clone());
                    if let Some(a) = attr {
                        from.set("attr", a.clone());
                    }
                }
                ExtractFrom::Regex(r) => {
                    from.set("regex", r.clone());
                }
                ExtractFrom::Cookie(c) => {
                    from.set("cookie", c.clone());
                }
                ExtractFrom::Json(p) => {
                    from.set("json", p.clone());
                }
                ExtractFrom::Header(h) => {
                    from.set("header", h.clone());
                }
            }
            extract.set_noted(e.name.clone(), from, &e.note);
        }
        map.set("extract", extract);
    }
    map
}

fn stream(s: &Stream) -> Map {
    let mut map = Map::new();
    map.set("connection", s.connection.clone());
    if let Some((parent, alias)) = &s.for_each {
        let mut fe = Map::new();
        fe.set("stream", parent.clone()).set("as", alias.clone());
        map.set("for_each", fe);
    }
    let mut request = Map::new();
    if s.method != "GET" {
        request.set("method", s.method.clone());
    }
    request.set("path", s.path.clone());
    if !s.params.is_empty() {
        request.set("params", fields(&s.params));
    }
    if !s.headers.is_empty() {
        request.set("headers", fields(&s.headers));
    }
    if let Some(json) = &s.json {
        request.set("json", Node::from(json));
    }
    map.set("request", request);
    map.set_noted("paginate", paginate(&s.paginate), &s.paginate_note);
    map.set_noted("records", s.records.clone(), &s.records_note);
    let key: Node = match s.primary_key.as_slice() {
        [one] => one.clone().into(),
        many => many
            .iter()
            .map(|k| Node::from(k.clone()))
            .collect::<Vec<_>>()
            .into(),
    };
    map.set_noted("primary_key", key, &s.primary_key_note);
    if let Some(schema) = &s.schema {
        map.set_noted("schema", Node::from(schema), &s.schema_note);
    }
    map
}

fn paginate(p: &Paginate) -> Map {
    let mut map = Map::new();
    match p {
        Paginate::None => {
            map.set("type", "none");
        }
        Paginate::Cursor { next, param } => {
            map.set("type", "cursor")
                .set("next", next.clone())
                .set("param", param.clone());
        }
        Paginate::NextUrl { next } => {
            map.set("type", "next_url").set("next", next.clone());
        }
        Paginate::LinkHeader => {
            map.set("type", "link_header");
        }
        Paginate::LastRecord { field, param, more } => {
            map.set("type", "last_record")
                .set("field", field.clone())
                .set("param", param.clone())
                .set("more", more.clone());
        }
        Paginate::Offset {
            param,
            limit_param,
            limit,
        } => {
            map.set("type", "offset")
                .set("param", param.clone())
                .set("limit_param", limit_param.clone())
                .set("limit", *limit);
        }
        Paginate::Page { param, start, size } => {
            map.set("type", "page")
                .set("param", param.clone())
                .set("start", *start);
            if let Some((size_param, size)) = size {
                map.set("size_param", size_param.clone()).set("size", *size);
            }
        }
    }
    map
}
