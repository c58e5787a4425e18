//! Alert rules in words, and which rules cover a stream or a connection.

use holdfast_spec::{AlertCondition, AlertRule, Stream};

use super::text::{code, dur};

/// What the rule watches: `stream `contacts``, `every connection`, …
pub(super) fn subject(c: &AlertCondition) -> String {
    let one = |what: &str, name: &Option<String>, all: &str| match name {
        Some(n) => format!("{what} {}", code(n)),
        None => all.to_owned(),
    };
    match c {
        AlertCondition::NoRecords { stream, .. } => format!("stream {}", code(stream)),
        AlertCondition::ErrorRate { connection, .. }
        | AlertCondition::TokenExpiring { connection, .. }
        | AlertCondition::RemoteDown { connection, .. }
        | AlertCondition::Deprecation { connection, .. } => {
            one("connection", connection, "every connection")
        }
        AlertCondition::QueueDepth { .. } => "the queue".to_owned(),
        AlertCondition::SchemaDrift { stream, .. } => one("stream", stream, "every stream"),
        AlertCondition::ReconcileRefused { stream } | AlertCondition::CopyDrift { stream, .. } => {
            one("stream", stream, "every stream with `reconcile:`")
        }
    }
}

/// When the rule fires, in words.
pub(super) fn condition(c: &AlertCondition) -> String {
    let pct = |share: f64| format!("{}%", (share * 1000.0).round() / 10.0);
    match c {
        AlertCondition::NoRecords { window, .. } => {
            format!("no new or changed records for {}", dur(*window))
        }
        AlertCondition::ErrorRate { above, window, .. } => {
            format!(
                "more than {} of requests fail over {}",
                pct(*above),
                dur(*window)
            )
        }
        AlertCondition::TokenExpiring { within, .. } => format!(
            "re-authorization is needed, or the token expires within {} and could not be renewed",
            dur(*within)
        ),
        AlertCondition::QueueDepth { above } => format!("more than {above} jobs wait or run"),
        AlertCondition::SchemaDrift { window, .. } => {
            format!(
                "the response shape changed within the last {}",
                dur(*window)
            )
        }
        AlertCondition::ReconcileRefused { .. } => {
            "the last reconciliation deleted nothing: refused by `max_delete` or incomplete"
                .to_owned()
        }
        AlertCondition::CopyDrift { above, .. } => format!(
            "the last reconciliation found the copy off by more than {}",
            pct(*above)
        ),
        AlertCondition::RemoteDown { window, .. } => {
            format!("every request failed for {}", dur(*window))
        }
        AlertCondition::Deprecation { window, .. } => format!(
            "the remote sent `Deprecation` or `Sunset` within {}",
            dur(*window)
        ),
    }
}

/// The rules that watch `stream` (directly, through its connection, or all streams).
pub(super) fn covering_stream<'r>(rules: &'r [AlertRule], stream: &Stream) -> Vec<&'r AlertRule> {
    let on_conn = |c: &Option<String>| c.as_ref().is_none_or(|c| c == &stream.connection);
    rules
        .iter()
        .filter(|r| match &r.condition {
            AlertCondition::NoRecords { stream: s, .. } => s == &stream.name,
            AlertCondition::SchemaDrift { stream: s, .. } => {
                s.as_ref().is_none_or(|s| s == &stream.name)
            }
            AlertCondition::ReconcileRefused { stream: s }
            | AlertCondition::CopyDrift { stream: s, .. } => {
                stream.reconcile.is_some() && s.as_ref().is_none_or(|s| s == &stream.name)
            }
            AlertCondition::ErrorRate { connection, .. }
            | AlertCondition::RemoteDown { connection, .. }
            | AlertCondition::Deprecation { connection, .. }
            | AlertCondition::TokenExpiring { connection, .. } => on_conn(connection),
            AlertCondition::QueueDepth { .. } => false,
        })
        .collect()
}

/// The rules that watch connection `name` (or every connection).
pub(super) fn covering_connection<'r>(rules: &'r [AlertRule], name: &str) -> Vec<&'r AlertRule> {
    rules
        .iter()
        .filter(|r| match &r.condition {
            AlertCondition::ErrorRate { connection, .. }
            | AlertCondition::RemoteDown { connection, .. }
            | AlertCondition::Deprecation { connection, .. }
            | AlertCondition::TokenExpiring { connection, .. } => {
                connection.as_ref().is_none_or(|c| c == name)
            }
            _ => false,
        })
        .collect()
}

/// `- `rule` on …: fires when …` lines for `rules`, or a line saying none.
pub(super) fn lines(rules: &[&AlertRule], none: &str) -> Vec<String> {
    if rules.is_empty() {
        return vec![none.to_owned()];
    }
    rules
        .iter()
        .map(|r| {
            format!(
                "{} on {}: fires when {}",
                code(r.name()),
                subject(&r.condition),
                condition(&r.condition)
            )
        })
        .collect()
}
