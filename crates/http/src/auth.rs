//! Applying credentials to a request.

pub use holdfast_spec::KeyLocation;

use reqwest::RequestBuilder;
use url::Url;

/// A connection's auth with its templates rendered: real credentials.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum ResolvedAuth {
    /// No credentials.
    None,
    /// An API key in a header or query parameter.
    ApiKey {
        /// Header or parameter name.
        name: String,
        /// The key.
        value: String,
        /// Where it goes.
        location: KeyLocation,
    },
    /// HTTP basic auth.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// A bearer token.
    Bearer {
        /// The token.
        token: String,
    },
}

impl std::fmt::Debug for ResolvedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ResolvedAuth::None => "None",
            ResolvedAuth::ApiKey { .. } => "ApiKey(REDACTED)",
            ResolvedAuth::Basic { .. } => "Basic(REDACTED)",
            ResolvedAuth::Bearer { .. } => "Bearer(REDACTED)",
        })
    }
}

impl ResolvedAuth {
    /// The secret values, for the redactor.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            ResolvedAuth::None => vec![],
            ResolvedAuth::ApiKey { value, .. } => vec![value.clone()],
            ResolvedAuth::Basic {
                username: _,
                password,
            } => vec![password.clone()],
            ResolvedAuth::Bearer { token } => vec![token.clone()],
        }
    }

    /// The query parameter name carrying a key, if any (redacted in URLs).
    pub fn query_param(&self) -> Option<&str> {
        match self {
            ResolvedAuth::ApiKey {
                name,
                location: KeyLocation::Query,
                ..
            } => Some(name),
            _ => None,
        }
    }

    /// Adds query credentials to `url` (replacing any the URL already carries).
    pub(crate) fn apply_to_url(&self, url: &mut Url) {
        if let ResolvedAuth::ApiKey {
            name,
            value,
            location: KeyLocation::Query,
        } = self
        {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| k != name)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let mut pairs = url.query_pairs_mut();
            pairs.clear();
            pairs.extend_pairs(kept);
            pairs.append_pair(name, value);
        }
    }

    /// Adds header credentials to a request.
    pub(crate) fn apply_to_request(&self, builder: RequestBuilder) -> RequestBuilder {
        match self {
            ResolvedAuth::ApiKey {
                name,
                value,
                location: KeyLocation::Header,
            } => builder.header(name.as_str(), value.as_str()),
            ResolvedAuth::Basic { username, password } => {
                builder.basic_auth(username, Some(password))
            }
            ResolvedAuth::Bearer { token } => builder.bearer_auth(token),
            _ => builder,
        }
    }
}
