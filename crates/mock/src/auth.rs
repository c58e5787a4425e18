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
    /// A bearer JWT whose `exp` has not passed (signature not checked).
    UnexpiredJwt,
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
            MockAuth::UnexpiredJwt => Self::UnexpiredJwt,
            // Checked by the portal against its sessions, not here.
            MockAuth::Session { .. } => Self::Never,
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
            Self::UnexpiredJwt => req
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .and_then(jwt_expiry)
                .is_some_and(|exp| exp > chrono::Utc::now().timestamp()),
            Self::Never => false,
        }
    }
}

/// The `exp` claim of a JWT (`header.payload.signature`, base64url), unverified.
fn jwt_expiry(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &serde_json::Value) -> String {
        let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.sig",
            enc(br#"{"alg":"RS256"}"#),
            enc(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn unexpired_jwts_pass_expired_ones_do_not() {
        let c = Credential::new(&MockAuth::UnexpiredJwt);
        let now = chrono::Utc::now().timestamp();
        let req = |token: String| {
            Request::builder()
                .header(AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .expect("request")
        };
        assert!(c.allows(&req(jwt(&serde_json::json!({"exp": now + 60})))));
        assert!(!c.allows(&req(jwt(&serde_json::json!({"exp": now - 1})))));
        assert!(!c.allows(&req("not-a-jwt".into())));
    }
}
