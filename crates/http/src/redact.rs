//! Keeping credentials out of logs, errors and stored URLs.

use std::sync::{Arc, RwLock};

use url::Url;

/// Query parameter names whose values are always hidden.
const SENSITIVE_PARAMS: [&str; 12] = [
    "api_key",
    "apikey",
    "key",
    "token",
    "access_token",
    "refresh_token",
    "secret",
    "client_secret",
    "password",
    "signature",
    "sig",
    "auth",
];

/// What replaces a hidden value.
pub const REDACTED: &str = "REDACTED";

/// Hides known secret values and sensitive query parameters.
///
/// Values learnt later (an OAuth2 access token) are added with [`Redactor::add`];
/// clones share the list of values.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
    params: Vec<String>,
}

impl Redactor {
    /// A redactor for these secret values and extra sensitive parameter names.
    /// Values shorter than 4 characters are ignored (they would mask ordinary text).
    pub fn new(
        secrets: impl IntoIterator<Item = String>,
        params: impl IntoIterator<Item = String>,
    ) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 4).collect();
        // Longest first, so a secret containing another is hidden whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor {
            secrets: Arc::new(RwLock::new(secrets)),
            params: params.into_iter().map(|p| p.to_ascii_lowercase()).collect(),
        }
    }

    /// Hides `secret` from now on (ignored when shorter than 4 characters).
    pub fn add(&self, secret: &str) {
        if secret.len() < 4 {
            return;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        if !secrets.iter().any(|s| s == secret) {
            secrets.push(secret.to_owned());
            secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// `text` with every known secret value replaced.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        let secrets = self.secrets.read().unwrap_or_else(|e| e.into_inner());
        for s in secrets.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }

    /// `url` with sensitive query values and user info hidden, then [`Self::text`] applied.
    pub fn url(&self, url: &Url) -> String {
        let mut url = url.clone();
        if url.password().is_some() {
            let _ = url.set_password(Some(REDACTED));
        }
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let hidden = self.is_sensitive(&k);
                    (
                        k.into_owned(),
                        if hidden {
                            REDACTED.to_owned()
                        } else {
                            v.into_owned()
                        },
                    )
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        self.text(url.as_str())
    }

    fn is_sensitive(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        SENSITIVE_PARAMS.contains(&name.as_str()) || self.params.contains(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_params_and_values() {
        let r = Redactor::new(["s3cr3t-token".to_owned()], ["X-My-Key".to_owned()]);
        let url =
            Url::parse("http://u:pw@h/p?api_key=abc&x-my-key=k&q=s3cr3t-token&ok=1").expect("url");
        let shown = r.url(&url);
        assert!(
            !shown.contains("abc") && !shown.contains("pw") && !shown.contains("s3cr3t"),
            "{shown}"
        );
        assert!(shown.contains("ok=1"), "{shown}");
        assert_eq!(r.text("Bearer s3cr3t-token!"), "Bearer REDACTED!");
        r.clone().add("later-token");
        assert_eq!(r.text("got later-token"), "got REDACTED");
    }
}
