//! What the store recorded, for a runbook: gathered once, then written per
//! connection (token state, endpoint health) and per stream (recent runs,
//! failure modes with advice, drift with advice, quarantine).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_spec::{Auth, Connection, Spec};
use holdfast_store::prelude::*;
use holdfast_store::{
    DriftRow, EndpointStats, FailureMode, QuarantineRow, Reconciliation, RunRow, StoreError,
    StoredToken, StreamState,
};

use super::Options;
use super::advice;
use super::text::{Doc, code, dur, method, when};

/// How many quarantined records are counted at most (more reads "1000+").
const QUARANTINE_COUNTED: u32 = 1000;

/// How many drift events per stream.
const DRIFT_SHOWN: u32 = 10;

/// How much of a failure's message is shown.
const MESSAGE_CHARS: usize = 140;

/// The store's record of the selected streams and of every connection.
#[derive(Debug)]
pub(super) struct Observed {
    /// The store, as named in the text.
    pub(super) store: String,
    /// When it was read.
    pub(super) at: DateTime<Utc>,
    /// The window of endpoint statistics and failure modes.
    pub(super) window: Duration,
    runs: BTreeMap<String, Vec<RunRow>>,
    states: BTreeMap<String, StreamState>,
    endpoints: Vec<EndpointStats>,
    failures: Vec<FailureMode>,
    drift: BTreeMap<String, Vec<DriftRow>>,
    quarantine: BTreeMap<String, Vec<QuarantineRow>>,
    reconciliations: BTreeMap<String, Reconciliation>,
    tokens: Vec<StoredToken>,
}

/// Reads what the runbook of `streams` shows from `store`.
pub(super) async fn gather(
    store: &dyn Store,
    shown: String,
    streams: &[String],
    options: &Options,
) -> Result<Observed, StoreError> {
    let since = options.now
        - chrono::Duration::from_std(options.window).unwrap_or(chrono::Duration::days(7));
    let mut seen = Observed {
        store: shown,
        at: options.now,
        window: options.window,
        runs: BTreeMap::new(),
        states: BTreeMap::new(),
        endpoints: store.endpoint_stats(since).await?,
        failures: store.failure_modes(since).await?,
        drift: BTreeMap::new(),
        quarantine: BTreeMap::new(),
        reconciliations: BTreeMap::new(),
        tokens: store.tokens().await?,
    };
    for name in streams {
        let name = name.as_str();
        seen.runs
            .insert(name.to_owned(), store.runs(Some(name), options.runs).await?);
        if let Some(state) = store.load_state(name).await? {
            seen.states.insert(name.to_owned(), state);
        }
        seen.drift
            .insert(name.to_owned(), store.drift(Some(name), DRIFT_SHOWN).await?);
        let held = store.quarantine(Some(name), QUARANTINE_COUNTED + 1).await?;
        seen.quarantine.insert(name.to_owned(), held);
        if let Some(r) = store
            .reconciliations(Some(name), 1)
            .await?
            .into_iter()
            .next()
        {
            seen.reconciliations.insert(name.to_owned(), r);
        }
    }
    Ok(seen)
}

/// The store's part of a connection's section.
pub(super) fn connection(doc: &mut Doc, seen: &Observed, conn: &Connection) {
    match &conn.auth {
        Auth::OAuth2(_) | Auth::Session(_) => token(doc, seen, conn),
        _ => {}
    }
    let stats: Vec<&EndpointStats> = seen
        .endpoints
        .iter()
        .filter(|s| s.connection == conn.name)
        .collect();
    doc.heading(3, format!("Endpoint health (last {})", dur(seen.window)));
    endpoint_table(doc, &stats);
    let outside: Vec<&FailureMode> = seen
        .failures
        .iter()
        .filter(|f| f.connection == conn.name && f.stream.is_none())
        .collect();
    if !outside.is_empty() {
        doc.heading(3, "Failure modes outside streams (actions, logins)");
        failure_table(doc, &outside);
    }
}

/// The token or session state the store keeps (never a token).
fn token(doc: &mut Doc, seen: &Observed, conn: &Connection) {
    doc.heading(3, "Credential state (from the store)");
    let Some(t) = seen.tokens.iter().find(|t| t.connection == conn.name) else {
        doc.line("None saved yet: no token was requested and no login made.");
        return;
    };
    let st = &t.status;
    if matches!(conn.auth, Auth::OAuth2(_)) {
        let expiry = match st.expires_at {
            _ if st.needs_reauth => {
                "**no valid token: NEEDS RE-AUTHORIZATION** (see `On invalid_grant` above)"
                    .to_owned()
            }
            None => "expiry unknown (the token endpoint gave no `expires_in`)".to_owned(),
            Some(at) if at <= seen.at => {
                format!("expired at {} (renewed on the next request)", when(at))
            }
            Some(at) => format!("expires at {}", when(at)),
        };
        doc.item("Access token", expiry);
    }
    let oauth2 = matches!(conn.auth, Auth::OAuth2(_));
    doc.item(
        if oauth2 { "Last renewal" } else { "Last login" },
        match (&st.last_outcome, st.last_refresh_at) {
            (Some(outcome), Some(at)) => format!("{outcome} at {}", when(at)),
            _ => "never".to_owned(),
        },
    );
    doc.item("Failures in a row", st.consecutive_failures.to_string());
}

/// The store's part of stream `name`'s section.
pub(super) fn stream(doc: &mut Doc, seen: &Observed, spec: &Spec, name: &str) {
    doc.heading(3, "Recent health");
    if let Some(state) = seen.states.get(name) {
        if let Some(cursor) = &state.cursor {
            doc.item("Saved cursor", code(&cursor.to_string()));
        }
        if let Some(p) = &state.progress {
            doc.item(
                "Unfinished run",
                format!("{} pages committed; the next sync resumes there", p.pages),
            );
        }
    }
    runs(
        doc,
        seen.runs.get(name).map(Vec::as_slice).unwrap_or(&[]),
        name,
    );
    if let Some(s) = spec.stream(name) {
        let mut keys = vec![format!(
            "{} {}",
            method(s.request.method),
            s.request.path.source
        )];
        if let Some(b) = &s.bulk {
            keys.push(format!(
                "{} {} (bulk)",
                method(b.create.method),
                b.create.path.source
            ));
        }
        let stats: Vec<&EndpointStats> = seen
            .endpoints
            .iter()
            .filter(|e| e.connection == s.connection && keys.contains(&e.endpoint))
            .collect();
        doc.line(format!("Its endpoint over the last {}:", dur(seen.window)));
        endpoint_table(doc, &stats);
    }
    if let Some(r) = seen.reconciliations.get(name) {
        doc.item(
            "Last reconciliation",
            format!(
                "{} at {}: upstream {}, local {}, missing {}, deleted {}{}",
                r.outcome.as_str().replace('_', " "),
                when(r.finished_at),
                r.upstream,
                r.local,
                r.missing,
                r.deleted,
                r.reason
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
        );
    }
    doc.heading(3, format!("Failure modes seen (last {})", dur(seen.window)));
    let modes: Vec<&FailureMode> = seen
        .failures
        .iter()
        .filter(|f| f.stream.as_deref() == Some(name))
        .collect();
    if modes.is_empty() {
        doc.line("None: no failed attempt in the request log.");
    } else {
        failure_table(doc, &modes);
    }
    drift(doc, seen.drift.get(name).map(Vec::as_slice).unwrap_or(&[]));
    quarantine(
        doc,
        seen.quarantine.get(name).map(Vec::as_slice).unwrap_or(&[]),
        name,
    );
}

/// The last runs, newest first.
fn runs(doc: &mut Doc, runs: &[RunRow], name: &str) {
    if runs.is_empty() {
        doc.line(format!("Never run: `holdfast sync {name}`."));
        return;
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let c = &r.outcome_counts;
            vec![
                r.id.to_string(),
                when(r.started_at),
                r.outcome.as_str().to_owned(),
                format!(
                    "{} ({} created, {} updated, {} unchanged)",
                    c.created + c.updated + c.unchanged,
                    c.created,
                    c.updated,
                    c.unchanged
                ),
                r.quarantined.to_string(),
                r.finished_at
                    .map(|f| {
                        format!(
                            "{:.1}s",
                            (f - r.started_at).num_milliseconds() as f64 / 1000.0
                        )
                    })
                    .unwrap_or_else(|| "-".to_owned()),
                r.error.as_deref().map(excerpt).unwrap_or_default(),
            ]
        })
        .collect();
    doc.table(
        &[
            "run",
            "started",
            "outcome",
            "records",
            "quarantined",
            "duration",
            "error",
        ],
        &rows,
    );
}

/// Attempts, success rate and p95 per endpoint.
fn endpoint_table(doc: &mut Doc, stats: &[&EndpointStats]) {
    if stats.is_empty() {
        doc.line("No requests in this window.");
        return;
    }
    let rows: Vec<Vec<String>> = stats
        .iter()
        .map(|s| {
            let mut sunset = String::new();
            if s.deprecation.is_some() || s.sunset.is_some() {
                sunset = format!(
                    "DEPRECATED by the API (Deprecation: {}, Sunset: {}): plan the move",
                    s.deprecation.as_deref().unwrap_or("-"),
                    s.sunset.as_deref().unwrap_or("-")
                );
            }
            vec![
                code(&s.endpoint),
                s.attempts.to_string(),
                format!("{:.1}%", s.success_rate() * 100.0),
                format!("{:.0}ms", s.p95.as_secs_f64() * 1000.0),
                sunset,
            ]
        })
        .collect();
    doc.table(&["endpoint", "attempts", "success", "p95", "notice"], &rows);
}

/// Failure modes with the advice for each class.
fn failure_table(doc: &mut Doc, modes: &[&FailureMode]) {
    let rows: Vec<Vec<String>> = modes
        .iter()
        .map(|f| {
            vec![
                code(&f.error),
                f.count.to_string(),
                when(f.last_at),
                f.last_status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".to_owned()),
                f.last_message.as_deref().map(excerpt).unwrap_or_default(),
                advice::error_class(&f.error).to_owned(),
            ]
        })
        .collect();
    doc.table(
        &[
            "class",
            "failed attempts",
            "last seen",
            "last status",
            "last message",
            "what to do",
        ],
        &rows,
    );
}

/// Drift events, then what to do per kind seen.
fn drift(doc: &mut Doc, rows: &[DriftRow]) {
    doc.heading(3, "Drift history");
    if rows.is_empty() {
        doc.line("None: every response matched the shape seen before.");
        return;
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|d| {
            vec![
                when(d.at),
                code(&d.kind),
                code(&d.path),
                format!("{} → {}", excerpt(&d.before), excerpt(&d.after)),
            ]
        })
        .collect();
    doc.table(&["at", "kind", "path", "change"], &table);
    let mut kinds: Vec<&str> = rows.iter().map(|d| d.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        doc.line(format!("- {}: {}", code(kind), advice::drift_kind(kind)));
    }
}

/// How many records are held, by reason.
fn quarantine(doc: &mut Doc, held: &[QuarantineRow], name: &str) {
    doc.heading(3, "Quarantine");
    if held.is_empty() {
        doc.line("None held.");
        return;
    }
    let mut reasons: BTreeMap<&str, u64> = BTreeMap::new();
    for q in held.iter().take(QUARANTINE_COUNTED as usize) {
        *reasons.entry(q.reason.as_str()).or_default() += 1;
    }
    let total = if held.len() > QUARANTINE_COUNTED as usize {
        format!("more than {QUARANTINE_COUNTED}")
    } else {
        held.len().to_string()
    };
    doc.line(format!(
        "{total} records held out of the table. Fix the schema or `map:` (or the data upstream), \
         then `holdfast quarantine retry {name}`; `holdfast quarantine {name}` lists them."
    ));
    for (reason, n) in reasons {
        doc.line(format!("- {n} × {}", excerpt(reason)));
    }
}

/// The first [`MESSAGE_CHARS`] characters of `text`, on one line.
fn excerpt(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() > MESSAGE_CHARS {
        let cut: String = one_line.chars().take(MESSAGE_CHARS).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}
