//! How a connection authenticates.

use std::time::Duration;

use super::{Method, Template};

/// How a connection authenticates. Exhaustive on purpose: a new kind must
/// be handled wherever credentials are resolved (a compile error there),
/// never fall through to sending none.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// No credentials.
    None,
    /// A key sent in a header or a query parameter.
    ApiKey {
        /// Header or query parameter name (default header `X-Api-Key`).
        name: String,
        /// The key.
        value: Template,
        /// Where the key goes.
        location: KeyLocation,
    },
    /// HTTP basic auth.
    Basic {
        /// User name.
        username: Template,
        /// Password.
        password: Template,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: Template,
    },
    /// An OAuth2 access token from a token endpoint, refreshed ahead of expiry.
    OAuth2(OAuth2),
    /// A portal login: cookies from a chain of login requests.
    Session(Session),
}

/// `auth: { type: session, … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The login requests, in order (at least one).
    pub login: Vec<LoginStep>,
    /// Headers added to every request (templates over `env`, `secret`, `session`).
    pub headers: Vec<(String, Template)>,
    /// Statuses that mean the session expired (default 401 and 403).
    pub expired_status: Vec<u16>,
    /// A condition over `status`, `headers` and `body` that also means it.
    pub expired_when: Option<Template>,
}

/// One request of a session login.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginStep {
    /// The method.
    pub method: Method,
    /// Joined to the connection's `base_url`.
    pub path: Template,
    /// Query parameters.
    pub params: Vec<(String, Template)>,
    /// Extra headers.
    pub headers: Vec<(String, Template)>,
    /// The body.
    pub body: LoginBody,
    /// Values to take from the answer, by name.
    pub extract: Vec<(String, Extract)>,
}

/// A login step's body.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginBody {
    /// None.
    None,
    /// Form fields.
    Form(Vec<(String, Template)>),
    /// JSON whose strings are templates.
    Json(serde_json::Value),
}

/// Where a login step finds a value in its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extract {
    /// The first element matching a CSS selector: `attr`, or its text.
    Css {
        /// The selector (checked).
        selector: String,
        /// The attribute; `None` for the element's text.
        attr: Option<String>,
    },
    /// A regex (checked): its first capture group, or the whole match.
    Regex(String),
    /// A cookie's value.
    Cookie(String),
    /// A JSONPath (checked) into a JSON body.
    Json(String),
    /// A response header.
    Header(String),
}

/// `auth: { type: oauth2, … }`.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuth2 {
    /// How tokens are obtained.
    pub grant: Grant,
    /// The token endpoint: relative to `base_url` or absolute.
    pub token_url: Template,
    /// The client id.
    pub client_id: Template,
    /// The client secret.
    pub client_secret: Template,
    /// The initial refresh token (`grant: refresh_token` only).
    pub refresh_token: Option<Template>,
    /// Scopes to ask for.
    pub scope: Option<Template>,
    /// The audience to ask for.
    pub audience: Option<Template>,
    /// Extra form parameters for the token endpoint.
    pub params: Vec<(String, Template)>,
    /// How the client authenticates to the token endpoint.
    pub client_auth: ClientAuth,
    /// Renew this long before expiry.
    pub refresh_before_expiry: Duration,
    /// Refresh an idle credential at least this often.
    pub refresh_at_least_every: Duration,
}

/// An OAuth2 grant type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// `client_credentials`.
    ClientCredentials,
    /// `refresh_token`.
    RefreshToken,
}

/// How the client authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// An `Authorization: Basic` header (RFC 6749 §2.3.1, the default).
    #[default]
    Basic,
    /// `client_id` and `client_secret` as form parameters.
    Body,
}

/// Where an API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLocation {
    /// As a request header.
    Header,
    /// As a query parameter.
    Query,
}
