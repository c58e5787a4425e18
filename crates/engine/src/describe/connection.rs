//! A connection's section: where it is, how it is kept polite, what it
//! reads, and its token's state and health from the store.

use std::collections::BTreeSet;

use holdfast_spec::{Concurrency, Connection, ErrorAction, Spec};

use super::observed::{self, Observed};
use super::text::{Doc, code, dur, pairs};

/// The section of `conn`.
pub(super) fn section(doc: &mut Doc, spec: &Spec, conn: &Connection, seen: Option<&Observed>) {
    doc.heading(2, format!("Connection {}", code(&conn.name)));
    doc.item(
        "Base URL",
        format!(
            "{} (as written; rendered at run time)",
            code(&conn.base_url.source)
        ),
    );
    if !conn.headers.is_empty() {
        doc.item("Headers on every request", pairs(&conn.headers));
    }
    doc.item(
        "Timeouts",
        format!(
            "{} per request, body included; {} to connect; bodies up to {} (`max_response`)",
            dur(conn.timeout),
            dur(conn.connect_timeout),
            bytes(conn.max_response)
        ),
    );
    doc.item("Rate limit", rate_limit(conn));
    doc.item("Concurrency", match conn.concurrency {
        Concurrency::Fixed(n) => format!("at most {n} requests in flight"),
        Concurrency::Adaptive { max } => format!(
            "adaptive: starts at 1, rises while latency and errors stay flat, halves on 429/5xx, at most {max}"
        ),
    });
    let r = &conn.retry;
    doc.item(
        "Retry",
        format!(
            "up to {} attempts per request; backoff from {} doubling to at most {} (full jitter), \
             at most {} waiting in all per request (`Retry-After` included); retried: 408, 429, \
             5xx, timeouts, dropped connections, cut-off or non-JSON bodies, `errors:` rules with \
             `action: retry`; other 4xx fail at once",
            r.attempts,
            dur(r.initial),
            dur(r.max),
            dur(r.max_wait)
        ),
    );
    doc.item(
        "Circuit breaker",
        match &conn.breaker {
            Some(b) => format!(
                "opens after {} failed attempts in a row (5xx, timeouts, dropped connections); \
                 requests then fail fast; one probe after {}",
                b.failures,
                dur(b.cool_down)
            ),
            None => "off (`breaker: off`): a down remote is retried request by request".to_owned(),
        },
    );
    doc.item("`errors:` rules", error_rules(conn));
    doc.item(
        "Allowed hosts",
        if conn.allowed_hosts.is_empty() {
            "only the base URL's origin: a next link or redirect elsewhere is refused".to_owned()
        } else {
            let hosts: Vec<String> = conn
                .allowed_hosts
                .iter()
                .map(|h| {
                    let scheme = h
                        .scheme
                        .as_ref()
                        .map(|s| format!("{s}://"))
                        .unwrap_or_default();
                    let star = if h.subdomains { "*." } else { "" };
                    let port = h.port.map(|p| format!(":{p}")).unwrap_or_default();
                    code(&format!("{scheme}{star}{}{port}", h.host))
                })
                .collect();
            format!(
                "the base URL's origin, and without credentials: {}",
                hosts.join(", ")
            )
        },
    );
    let (vars, secrets) = reads(spec, conn);
    doc.item(
        "Reads (names only)",
        format!(
            "environment variables: {}; secrets: {}",
            list(&vars),
            list(&secrets)
        ),
    );
    doc.item("Used by", users(spec, &conn.name));
    let rules = super::alerts::covering_connection(&spec.alerts, &conn.name);
    let lines = super::alerts::lines(
        &rules,
        "none (add e.g. `{ rule: error_rate, connection: NAME, above: 5%, for: 10m }`)",
    );
    doc.item("Alerts", lines.join("; "));
    super::auth::section(doc, conn);
    if let Some(seen) = seen {
        observed::connection(doc, seen, conn);
    }
}

/// `rate_limit:` in words.
fn rate_limit(conn: &Connection) -> String {
    match &conn.rate_limit {
        Some(l) => format!(
            "{} requests per {} on average, bursts of up to {} (client-side token bucket); \
             `Retry-After` and rate-limit headers are honoured on top",
            l.requests,
            dur(l.per),
            l.burst
        ),
        None => "none client-side: only the API's 429 and `Retry-After` slow it down \
                 (set `rate_limit:` to stay under the API's quota)"
            .to_owned(),
    }
}

/// The `errors:` rules, in order.
fn error_rules(conn: &Connection) -> String {
    if conn.errors.is_empty() {
        return "none: a 2xx answer counts as success unless its body is not the JSON expected"
            .to_owned();
    }
    let rules: Vec<String> = conn
        .errors
        .iter()
        .map(|e| {
            let action = match e.action {
                ErrorAction::Retry => "retry (like a 503)",
                ErrorAction::Fail => "fail the stream",
                ErrorAction::Skip => "skip: no records, the chain ends",
            };
            format!("when {} → {action}", code(&e.when.source))
        })
        .collect();
    rules.join("; ")
}

/// The environment variables and secrets the connection and its streams
/// and actions read, by name.
fn reads(spec: &Spec, conn: &Connection) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut sources: Vec<String> = vec![conn.base_url.source.clone()];
    sources.extend(conn.headers.iter().map(|(_, t)| t.source.clone()));
    sources.extend(super::auth::templates(&conn.auth));
    for s in spec.streams.iter().filter(|s| s.connection == conn.name) {
        sources.push(s.request.path.source.clone());
        sources.extend(s.request.params.iter().map(|(_, t)| t.source.clone()));
        sources.extend(s.request.headers.iter().map(|(_, t)| t.source.clone()));
    }
    for a in spec.actions.iter().filter(|a| a.connection == conn.name) {
        sources.push(a.request.path.source.clone());
        sources.extend(a.request.params.iter().map(|(_, t)| t.source.clone()));
        sources.extend(a.request.headers.iter().map(|(_, t)| t.source.clone()));
    }
    let mut vars = BTreeSet::new();
    let mut secrets = BTreeSet::new();
    for source in &sources {
        vars.extend(holdfast_spec::template_reads(source, "env"));
        secrets.extend(holdfast_spec::template_reads(source, "secret"));
    }
    (vars, secrets)
}

/// `none`, or the names as code, comma-separated.
fn list(names: &BTreeSet<String>) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    names.iter().map(|n| code(n)).collect::<Vec<_>>().join(", ")
}

/// The streams and actions that use connection `name`.
fn users(spec: &Spec, name: &str) -> String {
    let streams: BTreeSet<String> = spec
        .streams
        .iter()
        .filter(|s| s.connection == name)
        .map(|s| s.name.clone())
        .collect();
    let actions: BTreeSet<String> = spec
        .actions
        .iter()
        .filter(|a| a.connection == name)
        .map(|a| a.name.clone())
        .collect();
    let mut out = format!("streams {}", list(&streams));
    if !actions.is_empty() {
        out.push_str(&format!("; actions {}", list(&actions)));
    }
    out
}

/// `64 MB`, `512 kB`, `1234 bytes` (decimal units, as the file writes them).
fn bytes(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{} MB", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{} kB", n / 1_000)
    } else {
        format!("{n} bytes")
    }
}
