//! Alert rules (`alerts:` in the connector file) evaluated against what the
//! store knows: runs, the request log, tokens, the queue and drift history.
//! Evaluation is a pure reading of the store at a time, so `holdfast alerts`
//! and every `holdfast serve` agree.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_spec::{AlertCondition, AlertRule, Spec};
use holdfast_store::prelude::*;
use holdfast_store::{EndpointStats, JobState, StoreError};
use serde::Serialize;

/// What one rule says about one subject (a stream, a connection, the queue) now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule's name (`no_records`, …).
    pub rule: &'static str,
    /// What it is about: a stream or connection name, or `queue`.
    pub subject: String,
    /// The condition holds now.
    pub firing: bool,
    /// False when the store holds nothing to judge by (e.g. no request in
    /// the window): the alert keeps whatever state it had.
    pub known: bool,
    /// A sentence for a person, true whether firing or not.
    pub message: String,
    /// Where the rule is written, e.g. `alerts[0]`.
    pub place: String,
}

/// Evaluates every rule of `spec` at `now`. `watching_since` is when the
/// caller began watching (a process start): a `no_records` window that
/// reaches before both it and the stream's first run does not fire yet.
///
/// # Errors
/// A store that cannot be read.
pub async fn evaluate(
    spec: &Spec,
    store: &dyn Store,
    now: DateTime<Utc>,
    watching_since: DateTime<Utc>,
) -> Result<Vec<Finding>, StoreError> {
    let mut findings = Vec::new();
    let mut stats: BTreeMap<Duration, Vec<EndpointStats>> = BTreeMap::new();
    for rule in &spec.alerts {
        let found = match &rule.condition {
            AlertCondition::NoRecords { stream, window } => {
                vec![no_records(store, stream, *window, now, watching_since).await?]
            }
            AlertCondition::ErrorRate {
                connection,
                above,
                window,
            } => {
                let stats = endpoint_stats(&mut stats, store, *window, now).await?;
                connections(spec, connection.as_deref())
                    .map(|c| error_rate(stats, c, *above, *window))
                    .collect()
            }
            AlertCondition::RemoteDown { connection, window } => {
                let stats = endpoint_stats(&mut stats, store, *window, now).await?;
                connections(spec, connection.as_deref())
                    .map(|c| remote_down(stats, c, *window))
                    .collect()
            }
            AlertCondition::Deprecation { connection, window } => {
                let stats = endpoint_stats(&mut stats, store, *window, now).await?;
                connections(spec, connection.as_deref())
                    .map(|c| deprecation(stats, c, *window))
                    .collect()
            }
            AlertCondition::TokenExpiring { connection, within } => {
                token_expiring(store, connection.as_deref(), *within, now).await?
            }
            AlertCondition::QueueDepth { above } => vec![queue_depth(store, *above, now).await?],
            AlertCondition::ReconcileRefused { stream } => {
                let mut out = Vec::new();
                for s in super::reconcile::streams(spec, stream.as_deref()) {
                    out.push(super::reconcile::refused(store, s).await?);
                }
                out
            }
            AlertCondition::CopyDrift { stream, above } => {
                let mut out = Vec::new();
                for s in super::reconcile::streams(spec, stream.as_deref()) {
                    out.push(super::reconcile::drift(store, s, *above).await?);
                }
                out
            }
            AlertCondition::SchemaDrift { stream, window } => {
                let streams: Vec<&str> = match stream {
                    Some(s) => vec![s.as_str()],
                    None => spec.streams.iter().map(|s| s.name.as_str()).collect(),
                };
                let mut out = Vec::new();
                for s in streams {
                    out.push(schema_drift(store, s, *window, now).await?);
                }
                out
            }
        };
        findings.extend(found.into_iter().map(|f| placed(f, rule)));
    }
    for stream in super::reconcile::implicit(spec) {
        let mut f = super::reconcile::refused(store, stream).await?;
        f.place = format!("streams.{stream}.reconcile");
        findings.push(f);
    }
    Ok(findings)
}

fn placed(mut f: Finding, rule: &AlertRule) -> Finding {
    f.place = rule.place.clone();
    f
}

fn finding(rule: &'static str, subject: &str, firing: bool, message: String) -> Finding {
    Finding {
        rule,
        subject: subject.to_owned(),
        firing,
        known: true,
        message,
        place: String::new(),
    }
}

/// `1h`, `10m`, `90s` for messages.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn since(window: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::from_std(window).unwrap_or(chrono::Duration::days(36500))
}

fn connections<'s>(spec: &'s Spec, one: Option<&'s str>) -> impl Iterator<Item = &'s str> + 's {
    spec.connections
        .keys()
        .map(String::as_str)
        .filter(move |c| one.is_none_or(|o| o == *c))
}

async fn endpoint_stats<'m>(
    cache: &'m mut BTreeMap<Duration, Vec<EndpointStats>>,
    store: &dyn Store,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<&'m [EndpointStats], StoreError> {
    if let std::collections::btree_map::Entry::Vacant(slot) = cache.entry(window) {
        slot.insert(store.endpoint_stats(since(window, now)).await?);
    }
    Ok(cache.get(&window).map(Vec::as_slice).unwrap_or_default())
}

/// Attempts and failures to `connection` in `stats`.
fn totals(stats: &[EndpointStats], connection: &str) -> (u64, u64) {
    stats
        .iter()
        .filter(|s| s.connection == connection)
        .fold((0, 0), |(a, f), s| (a + s.attempts, f + s.failed))
}

async fn no_records(
    store: &dyn Store,
    stream: &str,
    window: Duration,
    now: DateTime<Utc>,
    watching_since: DateTime<Utc>,
) -> Result<Finding, StoreError> {
    let start = since(window, now);
    let runs = store.runs(Some(stream), 1000).await?;
    let recent: Vec<_> = runs.iter().filter(|r| r.started_at >= start).collect();
    let changed: u64 = recent
        .iter()
        .map(|r| r.outcome_counts.created + r.outcome_counts.updated)
        .sum();
    let watched_long_enough = watching_since <= start || runs.iter().any(|r| r.started_at < start);
    let firing = changed == 0 && watched_long_enough;
    let message = if changed > 0 {
        format!(
            "`{stream}` brought {changed} new or changed records in the last {}",
            human(window)
        )
    } else if recent.is_empty() {
        format!("`{stream}` has not run in the last {}", human(window))
    } else {
        let failed = recent
            .iter()
            .filter(|r| r.outcome != holdfast_store::RunOutcome::Succeeded)
            .count();
        let runs = match recent.len() {
            1 => "1 run".to_owned(),
            n => format!("{n} runs"),
        };
        format!(
            "`{stream}` brought no new or changed records in the last {} ({runs}, {failed} of them not successful)",
            human(window)
        )
    };
    Ok(finding("no_records", stream, firing, message))
}

fn error_rate(stats: &[EndpointStats], connection: &str, above: f64, window: Duration) -> Finding {
    let (attempts, failed) = totals(stats, connection);
    if attempts == 0 {
        return silent("error_rate", connection, window);
    }
    let rate = failed as f64 / attempts as f64;
    let message = format!(
        "{:.1}% of the requests to `{connection}` failed in the last {} ({failed} of {attempts}; the alert fires above {:.1}%)",
        rate * 100.0,
        human(window),
        above * 100.0
    );
    finding("error_rate", connection, rate > above, message)
}

fn remote_down(stats: &[EndpointStats], connection: &str, window: Duration) -> Finding {
    let (attempts, failed) = totals(stats, connection);
    if attempts == 0 {
        return silent("remote_down", connection, window);
    }
    let firing = failed == attempts;
    let message = if firing {
        format!(
            "every request to `{connection}` failed in the last {} ({attempts} attempts)",
            human(window)
        )
    } else {
        format!(
            "{} of {attempts} requests to `{connection}` succeeded in the last {}",
            attempts - failed,
            human(window)
        )
    };
    finding("remote_down", connection, firing, message)
}

/// A finding with nothing to judge by: no request to `connection` in the window.
fn silent(rule: &'static str, connection: &str, window: Duration) -> Finding {
    let mut f = finding(
        rule,
        connection,
        false,
        format!(
            "no requests to `{connection}` in the last {}",
            human(window)
        ),
    );
    f.known = false;
    f
}

fn deprecation(stats: &[EndpointStats], connection: &str, window: Duration) -> Finding {
    let notices: Vec<String> = stats
        .iter()
        .filter(|s| s.connection == connection && (s.deprecation.is_some() || s.sunset.is_some()))
        .map(|s| {
            let mut n = format!("{}:", s.endpoint);
            if let Some(d) = &s.deprecation {
                n.push_str(&format!(" Deprecation: {d}"));
            }
            if let Some(d) = &s.sunset {
                n.push_str(&format!(" Sunset: {d}"));
            }
            n
        })
        .collect();
    let message = if notices.is_empty() {
        format!(
            "no deprecation notices from `{connection}` in the last {}",
            human(window)
        )
    } else {
        format!(
            "`{connection}` announces the end of endpoints it serves: {}",
            notices.join("; ")
        )
    };
    finding("deprecation", connection, !notices.is_empty(), message)
}

async fn token_expiring(
    store: &dyn Store,
    connection: Option<&str>,
    within: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Finding>, StoreError> {
    let horizon = now + chrono::Duration::from_std(within).unwrap_or(chrono::Duration::days(1));
    let mut out = Vec::new();
    for t in store.tokens().await? {
        if connection.is_some_and(|c| c != t.connection) {
            continue;
        }
        let s = &t.status;
        let name = &t.connection;
        let failing = s.consecutive_failures > 0;
        let expiring = s.expires_at.is_none_or(|at| at <= horizon);
        let why = s.last_outcome.as_deref().unwrap_or("no reason recorded");
        let (firing, message) = if s.needs_reauth {
            (
                true,
                format!("`{name}` needs re-authorization: the grant was refused ({why})"),
            )
        } else if failing && expiring {
            let when = match s.expires_at {
                Some(at) if at > now => format!(
                    "expires at {}",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                Some(_) => "has expired".to_owned(),
                None => "is missing".to_owned(),
            };
            (
                true,
                format!(
                    "the credentials of `{name}` {when} and renewing them failed {} time(s) in a row: {why}",
                    s.consecutive_failures
                ),
            )
        } else {
            (
                false,
                format!("the credentials of `{name}` are renewed in time"),
            )
        };
        out.push(finding("token_expiring", name, firing, message));
    }
    Ok(out)
}

async fn queue_depth(
    store: &dyn Store,
    above: u64,
    now: DateTime<Utc>,
) -> Result<Finding, StoreError> {
    let stats = store.queue_stats(now).await?;
    let depth: u64 = stats
        .depth
        .iter()
        .filter(|d| matches!(d.state, JobState::Ready | JobState::Running))
        .map(|d| d.count)
        .sum();
    let message = format!("{depth} jobs are waiting or running (the alert fires above {above})");
    Ok(finding("queue_depth", "queue", depth > above, message))
}

async fn schema_drift(
    store: &dyn Store,
    stream: &str,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Finding, StoreError> {
    let start = since(window, now);
    let drift: Vec<_> = store
        .drift(Some(stream), 100)
        .await?
        .into_iter()
        .filter(|d| d.at >= start)
        .collect();
    let message = match drift.first() {
        Some(d) => format!(
            "the response shape of `{stream}` changed {} time(s) in the last {}; latest: {} `{}` ({} → {})",
            drift.len(),
            human(window),
            d.kind,
            d.path,
            d.before,
            d.after
        ),
        None => format!(
            "the response shape of `{stream}` did not change in the last {}",
            human(window)
        ),
    };
    Ok(finding("schema_drift", stream, !drift.is_empty(), message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_read_as_people_write_them() {
        assert_eq!(human(Duration::from_secs(3600)), "1h");
        assert_eq!(human(Duration::from_secs(600)), "10m");
        assert_eq!(human(Duration::from_secs(90)), "90s");
    }
}
