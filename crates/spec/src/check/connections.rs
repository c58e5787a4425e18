//! Connections: base URL, headers, timeouts and auth; the resilience
//! settings are checked in `resilience` and `error_rules`.

use std::time::Duration;

use super::context::Ctx;
use super::error_rules::error_rules;
use super::hosts;
use super::names;
use super::resilience;
use super::templates::{self, CONNECTION_SCOPE};
use super::values;
use crate::model::{Auth, ClientAuth, Connection, Grant, KeyLocation, OAuth2, Template};
use crate::raw::{RawAuth, RawConnection};

/// The default most bytes read of one response: 64 MB.
const DEFAULT_MAX_RESPONSE: u64 = 64_000_000;
/// The default request timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long before expiry an OAuth2 token is renewed, by default.
const DEFAULT_REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);
/// How often an idle OAuth2 credential is refreshed, by default.
const DEFAULT_REFRESH_AT_LEAST_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Checks one connection; `None` when it has problems (they are in `ctx`).
pub(crate) fn connection(ctx: &mut Ctx<'_>, name: &str, raw: &RawConnection) -> Option<Connection> {
    let path = format!("connections.{name}");
    let base = ctx.require(
        raw.base_url.as_ref(),
        &path,
        "base_url",
        "https://api.example.com",
    );
    let base_url = base.map(|source| base_url(ctx, &format!("{path}.base_url"), source));
    for (header, _) in &raw.headers.0 {
        names::header(ctx, &format!("{path}.headers.{header}"), header);
    }
    let headers = templates::pairs(
        ctx,
        &format!("{path}.headers"),
        &raw.headers,
        CONNECTION_SCOPE,
    );
    let at = |key: &str| format!("{path}.{key}");
    let timeout =
        values::positive_duration(ctx, &at("timeout"), raw.timeout.as_ref(), DEFAULT_TIMEOUT);
    let connect_timeout = resilience::connect_timeout(
        ctx,
        &at("connect_timeout"),
        raw.connect_timeout.as_ref(),
        timeout,
    );
    let auth = auth(ctx, &at("auth"), raw.auth.as_ref());
    let rate_limit = resilience::rate_limit(ctx, &at("rate_limit"), raw.rate_limit.as_ref());
    let retry = resilience::retry(ctx, &at("retry"), raw.retry.as_ref());
    let breaker = resilience::breaker(ctx, &at("breaker"), raw.breaker.as_ref());
    let errors = error_rules(ctx, &at("errors"), raw.errors.as_ref());
    let concurrency = resilience::concurrency(
        ctx,
        &path,
        raw.max_concurrency.as_ref(),
        raw.concurrency.as_ref(),
    );
    let allowed_hosts = hosts::allowed(ctx, &at("allowed_hosts"), raw.allowed_hosts.as_deref());
    let max_response = values::byte_size(
        ctx,
        &at("max_response"),
        raw.max_response.as_ref(),
        DEFAULT_MAX_RESPONSE,
    );
    Some(Connection {
        name: name.to_owned(),
        base_url: base_url?,
        headers,
        timeout: timeout?,
        connect_timeout: connect_timeout?,
        auth: auth?,
        rate_limit: rate_limit?,
        retry: retry?,
        breaker: breaker?,
        errors: errors?,
        concurrency: concurrency?,
        allowed_hosts: allowed_hosts?,
        max_response: max_response?,
    })
}

fn base_url(ctx: &mut Ctx<'_>, path: &str, source: &str) -> Template {
    let t = templates::template(ctx, path, source, CONNECTION_SCOPE);
    if t.is_literal() {
        match url::Url::parse(source) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {}
            Ok(u) => ctx.error(
                path,
                format!(
                    "`base_url` must be an http or https URL, found scheme `{}`",
                    u.scheme()
                ),
                "start it with `https://`, e.g. `https://api.example.com`",
            ),
            Err(e) => ctx.error(
                path,
                format!("`base_url` `{source}` is not an absolute URL: {e}"),
                "write scheme and host, e.g. `https://api.example.com`",
            ),
        }
    }
    t
}

fn auth(ctx: &mut Ctx<'_>, path: &str, raw: Option<&RawAuth>) -> Option<Auth> {
    let secret = |ctx: &mut Ctx<'_>, key: &str, value: Option<&String>| {
        let source = ctx.require(value, path, key, "\"{{ env.API_TOKEN }}\"")?;
        Some(templates::template(
            ctx,
            &format!("{path}.{key}"),
            source,
            CONNECTION_SCOPE,
        ))
    };
    Some(match raw {
        None | Some(RawAuth::None {}) => Auth::None,
        Some(RawAuth::ApiKey {
            name,
            value,
            location,
        }) => {
            let value = secret(ctx, "value", value.as_ref());
            let location = match location.as_deref() {
                None | Some("header") => Some(KeyLocation::Header),
                Some("query") => Some(KeyLocation::Query),
                Some(other) => {
                    ctx.error(
                        &format!("{path}.in"),
                        format!("unknown key location `{other}`: expected `header` or `query`"),
                        format!(
                            "use `in: header` or `in: query`{}",
                            names::suggestion(other, ["header", "query"])
                        ),
                    );
                    None
                }
            };
            let name = name.clone().unwrap_or_else(|| "X-Api-Key".to_owned());
            match location {
                Some(KeyLocation::Header) => names::header(ctx, &format!("{path}.name"), &name),
                _ => {
                    values::param_name(ctx, &format!("{path}.name"), &name);
                }
            }
            Auth::ApiKey {
                name,
                value: value?,
                location: location?,
            }
        }
        Some(RawAuth::Basic { username, password }) => {
            let username = secret(ctx, "username", username.as_ref());
            let password = secret(ctx, "password", password.as_ref());
            Auth::Basic {
                username: username?,
                password: password?,
            }
        }
        Some(RawAuth::Bearer { token }) => Auth::Bearer {
            token: secret(ctx, "token", token.as_ref())?,
        },
        Some(RawAuth::OAuth2 {
            grant,
            token_url,
            client_id,
            client_secret,
            refresh_token,
            scope,
            audience,
            params,
            client_auth,
            refresh_before_expiry,
            refresh_at_least_every,
        }) => {
            let grant = ctx
                .require(grant.as_ref(), path, "grant", "client_credentials")
                .and_then(|g| oauth2_grant(ctx, &format!("{path}.grant"), g));
            let token_url = ctx
                .require(token_url.as_ref(), path, "token_url", "/oauth/token")
                .map(|source| {
                    templates::template(ctx, &format!("{path}.token_url"), source, CONNECTION_SCOPE)
                });
            let client_id = secret(ctx, "client_id", client_id.as_ref());
            let client_secret = secret(ctx, "client_secret", client_secret.as_ref());
            let refresh_token = match (grant, refresh_token) {
                (Some(Grant::RefreshToken), None) => {
                    let key = format!("{path}.refresh_token");
                    if !ctx.is_explained(&key) {
                        ctx.error(
                            &key,
                            "missing key `refresh_token`: `grant: refresh_token` needs the refresh token to start from",
                            "add it from a secret, e.g. `refresh_token: \"{{ secret.crm_refresh_token }}\"` (set it with `holdfast secrets set crm_refresh_token`)",
                        );
                    }
                    None
                }
                (_, token) => Some(token.as_ref().map(|source| {
                    templates::template(
                        ctx,
                        &format!("{path}.refresh_token"),
                        source,
                        CONNECTION_SCOPE,
                    )
                })),
            };
            let optional = |ctx: &mut Ctx<'_>, key: &str, value: &Option<String>| {
                value.as_ref().map(|source| {
                    templates::template(ctx, &format!("{path}.{key}"), source, CONNECTION_SCOPE)
                })
            };
            let scope = optional(ctx, "scope", scope);
            let audience = optional(ctx, "audience", audience);
            let params = templates::pairs(ctx, &format!("{path}.params"), params, CONNECTION_SCOPE);
            let client_auth = match client_auth.as_deref() {
                None | Some("basic") => Some(ClientAuth::Basic),
                Some("body") => Some(ClientAuth::Body),
                Some(other) => {
                    ctx.error(
                        &format!("{path}.client_auth"),
                        format!("unknown client_auth `{other}`: expected `basic` or `body`"),
                        format!(
                            "use `client_auth: basic` (an Authorization header) or `client_auth: body` (form parameters){}",
                            names::suggestion(other, ["basic", "body"])
                        ),
                    );
                    None
                }
            };
            let before = values::duration(
                ctx,
                &format!("{path}.refresh_before_expiry"),
                refresh_before_expiry.as_ref(),
                DEFAULT_REFRESH_BEFORE_EXPIRY,
            );
            let every = values::positive_duration(
                ctx,
                &format!("{path}.refresh_at_least_every"),
                refresh_at_least_every.as_ref(),
                DEFAULT_REFRESH_AT_LEAST_EVERY,
            );
            Auth::OAuth2(OAuth2 {
                grant: grant?,
                token_url: token_url?,
                client_id: client_id?,
                client_secret: client_secret?,
                refresh_token: refresh_token?,
                scope,
                audience,
                params,
                client_auth: client_auth?,
                refresh_before_expiry: before?,
                refresh_at_least_every: every?,
            })
        }
        Some(RawAuth::Session {
            login,
            headers,
            expired_status,
            expired_when,
        }) => Auth::Session(super::session::session(
            ctx,
            path,
            login.as_ref(),
            headers,
            expired_status.as_ref(),
            expired_when.as_ref(),
        )?),
    })
}

/// The grant names `grant:` accepts.
const GRANTS: [&str; 2] = ["client_credentials", "refresh_token"];

fn oauth2_grant(ctx: &mut Ctx<'_>, path: &str, grant: &str) -> Option<Grant> {
    match grant {
        "client_credentials" => Some(Grant::ClientCredentials),
        "refresh_token" => Some(Grant::RefreshToken),
        other => {
            ctx.error(
                path,
                format!(
                    "unknown grant `{other}`: expected `client_credentials` or `refresh_token`"
                ),
                format!(
                    "use `grant: client_credentials` (a machine client) or `grant: refresh_token` (a user's authorization){}",
                    names::suggestion(other, GRANTS)
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::env::Env;
    use crate::model::{Breaker, Concurrency, Retry};
    use crate::raw::{Entries, Scalar};
    use crate::span::SpanIndex;

    fn raw(base_url: &str, auth: Option<RawAuth>) -> RawConnection {
        RawConnection {
            base_url: Some(base_url.into()),
            headers: Entries(vec![("Api-Version".into(), Scalar("2024-06-01".into()))]),
            timeout: None,
            connect_timeout: None,
            auth,
            rate_limit: None,
            retry: None,
            breaker: None,
            errors: None,
            max_concurrency: None,
            concurrency: None,
            allowed_hosts: None,
            max_response: None,
        }
    }

    fn check(raw: &RawConnection) -> (Option<Connection>, Vec<String>) {
        let index = SpanIndex::default();
        let env = Env::from_map(BTreeMap::from([("TOKEN".into(), "t".into())]));
        let mut ctx = Ctx::new(&index, &env);
        let c = connection(&mut ctx, "crm", raw);
        (c, ctx.finish().into_iter().map(|d| d.message).collect())
    }

    #[test]
    fn defaults() {
        let (c, errors) = check(&raw("https://crm.test", None));
        assert!(errors.is_empty(), "{errors:?}");
        let c = c.expect("valid");
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.connect_timeout, Duration::from_secs(10));
        assert_eq!(c.auth, Auth::None);
        assert_eq!(c.rate_limit, None);
        assert_eq!(c.retry, Retry::default());
        assert_eq!(c.breaker, Some(Breaker::default()));
        assert!(c.errors.is_empty());
        assert_eq!(c.concurrency, Concurrency::Fixed(4));
        assert_eq!(
            c.headers,
            vec![("Api-Version".to_owned(), Template::new("2024-06-01"))]
        );
    }

    #[test]
    fn api_key_defaults_to_header() {
        let auth = RawAuth::ApiKey {
            name: None,
            value: Some("{{ env.TOKEN }}".into()),
            location: None,
        };
        let (c, errors) = check(&raw("https://crm.test", Some(auth)));
        assert!(errors.is_empty(), "{errors:?}");
        let expected = Auth::ApiKey {
            name: "X-Api-Key".into(),
            value: Template::new("{{ env.TOKEN }}"),
            location: KeyLocation::Header,
        };
        assert_eq!(c.map(|c| c.auth), Some(expected));
    }

    #[test]
    fn rejects_bad_urls_and_incomplete_auth() {
        let (c, errors) = check(&raw(
            "crm.test/api",
            Some(RawAuth::Session {
                login: None,
                headers: Entries::default(),
                expired_status: None,
                expired_when: None,
            }),
        ));
        assert!(c.is_none());
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("not an absolute URL"));
        assert_eq!(errors[1], "missing key `login`");
        let (_, errors) = check(&raw(
            "ftp://crm.test",
            Some(RawAuth::Bearer { token: None }),
        ));
        assert_eq!(
            errors,
            [
                "`base_url` must be an http or https URL, found scheme `ftp`",
                "missing key `token`"
            ]
        );
    }

    fn oauth2(grant: &str, refresh_token: Option<&str>) -> RawAuth {
        RawAuth::OAuth2 {
            grant: Some(grant.into()),
            token_url: Some("/oauth/token".into()),
            client_id: Some("{{ env.TOKEN }}".into()),
            client_secret: Some("{{ secret.crm_secret }}".into()),
            refresh_token: refresh_token.map(Into::into),
            scope: Some("read write".into()),
            audience: None,
            params: Entries(vec![("resource".into(), Scalar("crm".into()))]),
            client_auth: None,
            refresh_before_expiry: None,
            refresh_at_least_every: None,
        }
    }

    #[test]
    fn oauth2_defaults() {
        let (c, errors) = check(&raw(
            "https://crm.test",
            Some(oauth2("client_credentials", None)),
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let expected = Auth::OAuth2(OAuth2 {
            grant: Grant::ClientCredentials,
            token_url: Template::new("/oauth/token"),
            client_id: Template::new("{{ env.TOKEN }}"),
            client_secret: Template::new("{{ secret.crm_secret }}"),
            refresh_token: None,
            scope: Some(Template::new("read write")),
            audience: None,
            params: vec![("resource".into(), Template::new("crm"))],
            client_auth: ClientAuth::Basic,
            refresh_before_expiry: Duration::from_secs(300),
            refresh_at_least_every: Duration::from_secs(86_400),
        });
        assert_eq!(c.map(|c| c.auth), Some(expected));
    }

    #[test]
    fn oauth2_errors() {
        let (c, errors) = check(&raw(
            "https://crm.test",
            Some(oauth2("refresh_tokens", None)),
        ));
        assert!(c.is_none());
        assert_eq!(
            errors,
            ["unknown grant `refresh_tokens`: expected `client_credentials` or `refresh_token`"]
        );
        let (c, errors) = check(&raw(
            "https://crm.test",
            Some(oauth2("refresh_token", None)),
        ));
        assert!(c.is_none());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("missing key `refresh_token`"));
        let mut bad = oauth2("refresh_token", Some("{{ secret.rt }}"));
        if let RawAuth::OAuth2 {
            client_auth,
            refresh_before_expiry,
            token_url,
            ..
        } = &mut bad
        {
            *client_auth = Some("header".into());
            *refresh_before_expiry = Some(Scalar("soon".into()));
            *token_url = None;
        }
        let (_, errors) = check(&raw("https://crm.test", Some(bad)));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(errors[0], "missing key `token_url`");
        assert!(errors[1].starts_with("unknown client_auth `header`"));
        assert!(errors[2].starts_with("invalid duration `soon`"));
    }

    #[test]
    fn a_bad_resilience_setting_fails_the_connection() {
        let mut bad = raw("https://crm.test", None);
        bad.timeout = Some(Scalar("0s".into()));
        bad.concurrency = Some("eager".into());
        let (c, errors) = check(&bad);
        assert!(c.is_none());
        assert_eq!(
            errors,
            [
                "`timeout` must be more than 0s",
                "unknown concurrency `eager`"
            ]
        );
    }
}
