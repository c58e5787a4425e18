//! A session login's settings: the login chain, what it extracts, when a
//! session has expired.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::Method;
use crate::classify::SessionExpiry;

/// Renders one template with the session's values so far (`session.NAME`);
/// `Err` is a message saying why it could not.
pub type RenderFn = Arc<dyn Fn(&BTreeMap<String, String>) -> Result<String, String> + Send + Sync>;

/// Where a login step finds a value in its answer.
#[derive(Debug, Clone)]
pub enum Extract {
    /// The first HTML element matching a CSS selector: an attribute's value,
    /// or its text when `attr` is `None`.
    Css {
        /// The selector, e.g. `input[name=csrf_token]`.
        selector: String,
        /// The attribute to read, e.g. `value`.
        attr: Option<String>,
    },
    /// The first match of a regex in the body: its first capture group, or
    /// the whole match when it has none.
    Regex(String),
    /// A cookie's value, once the answer's `Set-Cookie` headers are in the jar.
    Cookie(String),
    /// An RFC 9535 JSONPath into a JSON body; a string is taken as is, other
    /// values as JSON text.
    Json(String),
    /// A response header.
    Header(String),
}

impl std::fmt::Display for Extract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Extract::Css {
                selector,
                attr: Some(a),
            } => write!(f, "css `{selector}` attribute `{a}`"),
            Extract::Css { selector, .. } => write!(f, "css `{selector}` text"),
            Extract::Regex(r) => write!(f, "regex `{r}`"),
            Extract::Cookie(c) => write!(f, "cookie `{c}`"),
            Extract::Json(p) => write!(f, "JSON path `{p}`"),
            Extract::Header(h) => write!(f, "header `{h}`"),
        }
    }
}

/// A login step's body.
#[derive(Clone)]
pub enum LoginBody {
    /// None.
    None,
    /// `application/x-www-form-urlencoded` fields.
    Form(Vec<(String, RenderFn)>),
    /// A JSON body: the template renders JSON text.
    Json(RenderFn),
}

/// One request of the login chain.
#[derive(Clone)]
pub struct LoginStep {
    /// Method.
    pub method: Method,
    /// Absolute URL (query included).
    pub url: Url,
    /// Extra headers.
    pub headers: Vec<(String, RenderFn)>,
    /// Body.
    pub body: LoginBody,
    /// Values to take from the answer, by name.
    pub extract: Vec<(String, Extract)>,
}

/// A session login's settings, templates compiled.
#[derive(Clone)]
pub struct SessionConfig {
    /// The connection's name.
    pub connection: String,
    /// The login chain, in order.
    pub steps: Vec<LoginStep>,
    /// Headers added to every request of the connection (e.g. a CSRF header).
    pub headers: Vec<(String, RenderFn)>,
    /// When an answer means the session has expired.
    pub expiry: SessionExpiry,
    /// Timeout of each login request.
    pub timeout: Duration,
}
