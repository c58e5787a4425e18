//! Outbound actions.

use super::{Method, Template};

/// An outbound write, queued and idempotent.
#[derive(Debug, Clone)]
pub struct Action {
    /// The name under `actions:`.
    pub name: String,
    /// The connection it writes through.
    pub connection: String,
    /// The request (templates over `input` and `env`).
    pub request: ActionRequest,
    /// The `Idempotency-Key` template; `None`: a hash of the action name and input.
    pub idempotency_key: Option<Template>,
    /// Attempts before the action is dead-lettered.
    pub max_attempts: u32,
}

/// The request an action sends.
#[derive(Debug, Clone)]
pub struct ActionRequest {
    /// POST, PUT, PATCH or DELETE.
    pub method: Method,
    /// Path joined to the connection's base URL.
    pub path: Template,
    /// Query parameters; one that renders empty is not sent.
    pub params: Vec<(String, Template)>,
    /// Extra headers.
    pub headers: Vec<(String, Template)>,
    /// The JSON body: a JSON value whose strings are templates (a string
    /// that is one `{{ … }}` renders to the value's own type).
    pub json: Option<serde_json::Value>,
}
