//! Where a connection's requests may go: its own origin (with credentials),
//! the hosts it allows (without them), and nowhere else.
//!
//! An upstream hands URLs over in many ways (a next-page link in the body or
//! a `Link` header, a redirect, a record value rendered into a path). A
//! hostile or broken one can point them anywhere; [`Scope::reach`] is the one
//! place that decides whether such a URL is followed, and how.

use url::{Origin, Url};

/// How a URL relates to a connection's [`Scope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The connection's own origin (scheme, host, port): credentials and the
    /// connection's headers go with the request.
    Own,
    /// A host listed under the connection's `allowed_hosts:` (pre-signed
    /// download links, say): sent without credentials or headers.
    Allowed,
    /// Anywhere else: never sent.
    Refused,
}

/// A connection's origin and the other hosts it allows.
#[derive(Debug, Clone)]
pub struct Scope {
    origin: Origin,
    base_is_https: bool,
    allowed: Vec<HostRule>,
}

impl Scope {
    /// The scope of a connection whose `base_url` is `base`, allowing `allowed` besides.
    pub fn new(base: &Url, allowed: Vec<HostRule>) -> Scope {
        Scope {
            origin: base.origin(),
            base_is_https: base.scheme() == "https",
            allowed,
        }
    }

    /// How `url` may be fetched.
    ///
    /// ```
    /// use holdfast_http::scope::{HostRule, Reach, Scope};
    /// let base = "https://api.example.com/v2".parse().unwrap();
    /// let files = HostRule { scheme: None, host: "files.example.com".into(), subdomains: true, port: None };
    /// let scope = Scope::new(&base, vec![files]);
    /// assert_eq!(scope.reach(&"https://api.example.com/x?page=2".parse().unwrap()), Reach::Own);
    /// assert_eq!(scope.reach(&"https://eu.files.example.com/a.csv".parse().unwrap()), Reach::Allowed);
    /// assert_eq!(scope.reach(&"https://api.example.com:8443/x".parse().unwrap()), Reach::Refused);
    /// assert_eq!(scope.reach(&"http://api.example.com/x".parse().unwrap()), Reach::Refused);
    /// ```
    pub fn reach(&self, url: &Url) -> Reach {
        if url.origin() == self.origin && self.origin.is_tuple() {
            Reach::Own
        } else if self
            .allowed
            .iter()
            .any(|r| r.matches(url, self.base_is_https))
        {
            Reach::Allowed
        } else {
            Reach::Refused
        }
    }

    /// The origin as text (`https://api.example.com`), for messages.
    pub fn origin(&self) -> String {
        self.origin.ascii_serialization()
    }
}

/// One entry of a connection's `allowed_hosts:` (read and checked by the
/// connector file's checks): a host, or every subdomain of one, on a port,
/// over a scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    /// `http` or `https`; `None`: https, and http too when the connection's
    /// own base URL is http.
    pub scheme: Option<String>,
    /// The host name (lowercase, as the URL standard writes it) or IP address.
    pub host: String,
    /// True for `*.host`: any subdomain of `host`, not `host` itself.
    pub subdomains: bool,
    /// The port; `None`: the scheme's default port.
    pub port: Option<u16>,
}

impl HostRule {
    fn matches(&self, url: &Url, base_is_https: bool) -> bool {
        let scheme = url.scheme();
        let scheme_ok = match &self.scheme {
            Some(s) => s == scheme,
            None => scheme == "https" || (scheme == "http" && !base_is_https),
        };
        let Some(host) = url.host_str() else {
            return false;
        };
        let host_ok = if self.subdomains {
            host.strip_suffix(self.host.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.'))
        } else {
            host == self.host
        };
        let port_ok = match self.port {
            Some(port) => url.port_or_known_default() == Some(port),
            None => url.port().is_none(),
        };
        scheme_ok && host_ok && port_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        s.parse().expect("url")
    }

    fn rule(scheme: Option<&str>, host: &str, subdomains: bool, port: Option<u16>) -> HostRule {
        HostRule {
            scheme: scheme.map(str::to_owned),
            host: host.to_owned(),
            subdomains,
            port,
        }
    }

    #[test]
    fn own_origin_is_scheme_host_and_port() {
        let s = Scope::new(&url("http://127.0.0.1:8900/api"), vec![]);
        assert_eq!(s.reach(&url("http://127.0.0.1:8900/other?x=1")), Reach::Own);
        assert_eq!(s.reach(&url("http://127.0.0.1:8901/api")), Reach::Refused);
        assert_eq!(s.reach(&url("https://127.0.0.1:8900/api")), Reach::Refused);
        assert_eq!(s.reach(&url("http://localhost:8900/api")), Reach::Refused);
        assert_eq!(s.reach(&url("file:///etc/passwd")), Reach::Refused);
        assert_eq!(s.reach(&url("data:text/plain,hi")), Reach::Refused);
        assert_eq!(s.origin(), "http://127.0.0.1:8900");
    }

    #[test]
    fn allowed_hosts_match_exactly_or_by_subdomain() {
        let s = Scope::new(
            &url("https://api.example.com"),
            vec![
                rule(None, "files.example.com", false, None),
                rule(None, "s3.example.net", true, None),
                rule(Some("http"), "127.0.0.1", false, Some(9000)),
            ],
        );
        assert_eq!(s.reach(&url("https://files.example.com/a")), Reach::Allowed);
        assert_eq!(
            s.reach(&url("http://files.example.com/a")),
            Reach::Refused,
            "no downgrade"
        );
        assert_eq!(
            s.reach(&url("https://files.example.com:444/a")),
            Reach::Refused
        );
        assert_eq!(s.reach(&url("https://b.s3.example.net/a")), Reach::Allowed);
        assert_eq!(
            s.reach(&url("https://x.b.s3.example.net/a")),
            Reach::Allowed
        );
        assert_eq!(s.reach(&url("https://s3.example.net/a")), Reach::Refused);
        assert_eq!(
            s.reach(&url("https://evils3.example.net/a")),
            Reach::Refused
        );
        assert_eq!(s.reach(&url("http://127.0.0.1:9000/a")), Reach::Allowed);
        assert_eq!(s.reach(&url("http://127.0.0.1:9001/a")), Reach::Refused);
    }

    #[test]
    fn an_http_base_allows_http_hosts_without_a_scheme() {
        let s = Scope::new(
            &url("http://127.0.0.1:8900"),
            vec![rule(None, "127.0.0.1", false, Some(9000))],
        );
        assert_eq!(s.reach(&url("http://127.0.0.1:9000/a")), Reach::Allowed);
    }
}
