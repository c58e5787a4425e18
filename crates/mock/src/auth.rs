//! Checks a request against the configured [`MockAuth`], comparing exact values.

use axum::extract::Request;
use axum::http::HeaderName;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::config::MockAuth;
use crate::query::Params;

/// What a request must carry, computed once from a [`MockAuth`].
#[derive(Debug, Clone)]
pub(crate) enum Credential {
    /// A header with exactly this value.
    Header { name: HeaderName, value: String },
    /// A query parameter with exactly this (decoded) value.
    Query { name: String, value: String },
    /// Nothing matches (an `ApiKeyHeader` whose name is not a valid header name).
    Never,
}

impl Credential {
    pub(crate) fn new(auth: &MockAuth) -> Self {
        match auth {
            MockAuth::Bearer(token) => Self::Header {
                name: AUTHORIZATION,
                value: format!("Bearer {token}"),
            },
            MockAuth::ApiKeyHeader { name, value } => match HeaderName::try_from(name.as_str()) {
                Ok(name) => Self::Header {
                    name,
                    value: value.clone(),
                },
                Err(_) => Self::Never,
            },
            MockAuth::ApiKeyQuery { name, value } => Self::Query {
                name: name.clone(),
                value: value.clone(),
            },
            MockAuth::Basic { username, password } => Self::Header {
                name: AUTHORIZATION,
                value: format!(
                    "Basic {}",
                    STANDARD.encode(format!("{username}:{password}"))
                ),
            },
        }
    }

    /// Whether `req` carries this credential.
    pub(crate) fn allows(&self, req: &Request) -> bool {
        match self {
            Self::Header { name, value } => req
                .headers()
                .get_all(name)
                .iter()
                .any(|v| v.as_bytes() == value.as_bytes()),
            Self::Query { name, value } => {
                Params::parse(req.uri().query()).get(name) == Some(value.as_str())
            }
            Self::Never => false,
        }
    }
}
