//! `allowed_hosts:`: the other hosts a connection's URLs may lead to.

use super::context::Ctx;
use crate::model::AllowedHost;

const HELP: &str = "write a host name with an optional port, e.g. `files.example.com`, \
                    `*.example.com` or `http://127.0.0.1:9000`";

/// Checks every entry of `allowed_hosts:` at `path`; `None` when one is wrong.
pub(crate) fn allowed(
    ctx: &mut Ctx<'_>,
    path: &str,
    entries: Option<&[String]>,
) -> Option<Vec<AllowedHost>> {
    let mut hosts = Vec::new();
    let mut ok = true;
    for (i, entry) in entries.unwrap_or_default().iter().enumerate() {
        match parse(entry) {
            Ok(host) => hosts.push(host),
            Err(message) => {
                ctx.error(&format!("{path}[{i}]"), message, HELP);
                ok = false;
            }
        }
    }
    ok.then_some(hosts)
}

/// Reads one entry.
fn parse(entry: &str) -> Result<AllowedHost, String> {
    let text = entry.trim();
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => {
            let scheme = scheme.to_ascii_lowercase();
            if scheme != "http" && scheme != "https" {
                return Err(format!(
                    "`{entry}` names the scheme `{scheme}`: only http and https hosts are fetched"
                ));
            }
            (Some(scheme), rest)
        }
        None => (None, text),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (subdomains, rest) = match rest.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', '*', ' ']) {
        return Err(format!("`{entry}` is not a host"));
    }
    let probe = scheme.as_deref().unwrap_or("https");
    let url = url::Url::parse(&format!("{probe}://{rest}/"))
        .map_err(|e| format!("`{entry}` is not a host ({e})"))?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("`{entry}` has no host name"))?;
    Ok(AllowedHost {
        scheme,
        host: host.to_owned(),
        subdomains,
        port: url.port(),
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn entries_read_as_users_write_them() {
        let h = parse("Files.Example.com").expect("host");
        assert_eq!(
            (h.scheme, h.host.as_str(), h.subdomains, h.port),
            (None, "files.example.com", false, None)
        );
        let h = parse("*.s3.example.net:8443").expect("wildcard");
        assert_eq!(
            (h.host.as_str(), h.subdomains, h.port),
            ("s3.example.net", true, Some(8443))
        );
        let h = parse("http://127.0.0.1:9000/").expect("scheme");
        assert_eq!(
            (h.scheme.as_deref(), h.host.as_str(), h.port),
            (Some("http"), "127.0.0.1", Some(9000))
        );
    }

    #[test]
    fn bad_entries_say_why() {
        for bad in [
            "",
            "ftp://x",
            "a.com/path",
            "user@a.com",
            "*",
            "*.",
            "a.*.com",
            "a b",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
