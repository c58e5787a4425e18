//! What a runbook covers, the overview table, the dependencies between
//! streams (parents before children, webhooks into streams, `deletes:`),
//! and the file-wide parts: webhooks, actions, alert delivery.

use holdfast_spec::{Connection, Spec, VerifyScheme};

use super::Subject;
use super::text::{Doc, code, credential, method, schedule};

/// The connections and streams a runbook covers, streams parents first.
#[derive(Debug)]
pub(super) struct Selection<'s> {
    /// The connections, by name.
    pub(super) connections: Vec<&'s Connection>,
    /// The stream names (declarative and custom), parents before children.
    pub(super) streams: Vec<String>,
}

impl<'s> Selection<'s> {
    /// The selection `subject` names in `spec`.
    pub(super) fn of(spec: &'s Spec, subject: &Subject) -> Selection<'s> {
        let ordered = sync_order(spec);
        match subject {
            Subject::All => Selection {
                connections: spec.connections.values().collect(),
                streams: ordered,
            },
            Subject::Connection(name) => Selection {
                connections: spec.connections.get(name).into_iter().collect(),
                streams: ordered
                    .into_iter()
                    .filter(|s| spec.stream(s).is_some_and(|s| &s.connection == name))
                    .collect(),
            },
            Subject::Stream(name) => Selection {
                connections: spec
                    .stream(name)
                    .and_then(|s| spec.connections.get(&s.connection))
                    .into_iter()
                    .collect(),
                streams: vec![name.clone()],
            },
        }
    }
}

/// Every stream name, a parent before its children, otherwise in file order.
fn sync_order(spec: &Spec) -> Vec<String> {
    fn visit(spec: &Spec, name: &str, out: &mut Vec<String>, depth: usize) {
        if out.iter().any(|o| o == name) || depth > spec.streams.len() {
            return;
        }
        if let Some(parent) = spec.stream(name).and_then(|s| s.for_each.as_ref()) {
            visit(spec, &parent.stream, out, depth + 1);
        }
        out.push(name.to_owned());
    }
    let mut out = Vec::new();
    for name in spec.stream_names() {
        visit(spec, name, &mut out, 0);
    }
    out
}

/// The streams at a glance: connection, endpoint, schedule, table.
pub(super) fn overview(doc: &mut Doc, spec: &Spec, selection: &Selection<'_>) {
    doc.heading(2, "Overview");
    if selection.streams.is_empty() {
        doc.line("No streams read through this connection.");
        return;
    }
    let rows: Vec<Vec<String>> = selection
        .streams
        .iter()
        .map(|name| match spec.stream(name) {
            Some(s) => vec![
                code(name),
                code(&s.connection),
                code(&format!(
                    "{} {}",
                    method(s.request.method),
                    s.request.path.source
                )),
                s.schedule
                    .as_ref()
                    .map(schedule)
                    .unwrap_or_else(|| "on demand".to_owned()),
                code(&s.into),
            ],
            None => {
                let custom = spec.custom_stream(name);
                vec![
                    code(name),
                    "-".to_owned(),
                    format!(
                        "custom source {}",
                        code(custom.map(|c| c.source.as_str()).unwrap_or("?"))
                    ),
                    custom
                        .and_then(|c| c.schedule.as_ref())
                        .map(schedule)
                        .unwrap_or_else(|| "on demand".to_owned()),
                    "(the source's)".to_owned(),
                ]
            }
        })
        .collect();
    doc.table(
        &["stream", "connection", "endpoint", "schedule", "table"],
        &rows,
    );
}

/// The dependencies that touch the selected streams, and the sync order.
pub(super) fn dependencies(doc: &mut Doc, spec: &Spec, selection: &Selection<'_>) {
    doc.heading(2, "Dependencies");
    let touches = |name: &str| selection.streams.iter().any(|s| s == name);
    let mut edges = Vec::new();
    for s in &spec.streams {
        if let Some(parent) = &s.for_each
            && (touches(&s.name) || touches(&parent.stream))
        {
            edges.push(format!(
                "{} → {}: one request chain per {} record (as {}); sync the parent first",
                code(&parent.stream),
                code(&s.name),
                code(&parent.stream),
                code(&parent.alias)
            ));
        }
        if let Some(target) = &s.deletes
            && (touches(&s.name) || touches(target))
        {
            edges.push(format!(
                "{} deletes → {}: every record it reads marks the row with its key in table {} deleted",
                code(&s.name),
                code(target),
                code(&s.into)
            ));
        }
    }
    for w in &spec.webhooks {
        for r in w.route.iter().filter(|r| touches(&r.stream)) {
            edges.push(format!(
                "webhook {} (`POST {}`) → {}{}",
                code(&w.name),
                w.path,
                code(&r.stream),
                r.when
                    .as_ref()
                    .map(|c| format!(" when {}", code(&c.source)))
                    .unwrap_or_default()
            ));
        }
    }
    if edges.is_empty() {
        doc.line("None: these streams depend on no other stream and nothing routes into them.");
    } else {
        for e in edges {
            doc.line(format!("- {e}"));
        }
    }
    if selection.streams.len() > 1 {
        let order: Vec<String> = selection.streams.iter().map(|s| code(s)).collect();
        doc.blank();
        doc.line(format!(
            "Sync order (`holdfast sync`): {}; streams that do not depend on each other run at once.",
            order.join(", ")
        ));
    }
}

/// Webhooks, actions, alert rules on no stream or connection, and where alerts go.
pub(super) fn spec_wide(doc: &mut Doc, spec: &Spec) {
    doc.heading(2, "Webhooks");
    if spec.webhooks.is_empty() {
        doc.line("None: nothing is pushed to `holdfast serve`.");
    }
    for w in &spec.webhooks {
        let scheme = match &w.verify.scheme {
            VerifyScheme::StandardWebhooks => "Standard Webhooks".to_owned(),
            VerifyScheme::Stripe => "Stripe".to_owned(),
            VerifyScheme::Github => "GitHub".to_owned(),
            VerifyScheme::HmacSha256 { header, .. } => format!("HMAC-SHA256 in {}", code(header)),
        };
        let secrets: Vec<String> = w.verify.secrets.iter().map(credential).collect();
        doc.line(format!(
            "- {} on `POST {}`: signed ({scheme}) with {}; a failed check is refused and counted \
             (`holdfast queue`); rotate by listing the new secret beside the old one",
            code(&w.name),
            w.path,
            secrets.join(" or ")
        ));
    }
    doc.heading(2, "Actions");
    if spec.actions.is_empty() {
        doc.line("None: nothing is written back.");
    }
    for a in &spec.actions {
        doc.line(format!(
            "- {}: `{} {}` on {}, idempotency key {}, dead-lettered after {} attempts \
             (`holdfast queue retry ID`)",
            code(&a.name),
            method(a.request.method),
            a.request.path.source,
            code(&a.connection),
            a.idempotency_key
                .as_ref()
                .map(|k| code(&k.source))
                .unwrap_or_else(|| "a hash of the action and its input".to_owned()),
            a.max_attempts
        ));
    }
    doc.heading(2, "Alerts");
    if spec.alerts.is_empty() {
        doc.line("No alert rules: add some under `alerts:` (see `holdfast alerts`).");
    } else {
        let rows: Vec<Vec<String>> = spec
            .alerts
            .iter()
            .map(|r| {
                vec![
                    code(r.name()),
                    super::alerts::subject(&r.condition),
                    super::alerts::condition(&r.condition),
                ]
            })
            .collect();
        doc.table(&["rule", "on", "fires when"], &rows);
        let notify: Vec<String> = spec
            .notify
            .iter()
            .map(|n| match n {
                holdfast_spec::Notify::Webhook(url) => format!("a webhook ({})", credential(url)),
            })
            .collect();
        doc.line(format!(
            "Delivered to: the log{}. `holdfast alerts` evaluates them now.",
            if notify.is_empty() {
                String::new()
            } else {
                format!(" and {}", notify.join(", "))
            }
        ));
    }
}
