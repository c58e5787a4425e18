//! The cookie jar a session login fills and the connection's requests
//! carry; a new login empties it.

use std::sync::{Arc, RwLock};

use reqwest::cookie::CookieStore;
use reqwest::header::HeaderValue;
use url::Url;

/// A cookie jar that can be emptied (a new login starts from no cookies).
#[derive(Debug, Default)]
pub struct SessionJar {
    jar: RwLock<Arc<reqwest::cookie::Jar>>,
}

impl SessionJar {
    fn current(&self) -> Arc<reqwest::cookie::Jar> {
        self.jar.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Forgets every cookie.
    pub fn clear(&self) {
        *self.jar.write().unwrap_or_else(|e| e.into_inner()) = Arc::default();
    }

    /// The value of cookie `name` sent to `url`, if any.
    pub fn get(&self, url: &Url, name: &str) -> Option<String> {
        let header = self.current().cookies(url)?;
        let text = header.to_str().ok()?;
        text.split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }
}

impl CookieStore for SessionJar {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        self.current().set_cookies(cookie_headers, url);
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        self.current().cookies(url)
    }
}
