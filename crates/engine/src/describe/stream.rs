//! A stream's section: its endpoint and pagination, what it keeps and
//! where, when it runs, what it depends on and what watches it; then what
//! the store recorded about it.

use holdfast_spec::{
    Body, Contract, Missing, Next, NextParams, OnInvalid, Paginate, Spec, StopWhen, Strategy,
    Stream,
};

use super::observed::{self, Observed};
use super::text::{Doc, code, dur, method, pairs, schedule};

/// The section of stream `name` (declarative or custom).
pub(super) fn section(doc: &mut Doc, spec: &Spec, name: &str, seen: Option<&Observed>) {
    doc.heading(2, format!("Stream {}", code(name)));
    match spec.stream(name) {
        Some(s) => declarative(doc, spec, s),
        None => {
            let custom = spec.custom_stream(name);
            doc.item(
                "Read by",
                format!(
                    "the custom source {} compiled into this holdfast binary; its table and \
                     primary key come from the source",
                    code(custom.map(|c| c.source.as_str()).unwrap_or("?"))
                ),
            );
            doc.item(
                "Schedule",
                custom
                    .and_then(|c| c.schedule.as_ref())
                    .map(schedule)
                    .unwrap_or_else(|| on_demand(name)),
            );
        }
    }
    match seen {
        Some(seen) => observed::stream(doc, seen, spec, name),
        None => {
            doc.heading(3, "Recent health");
            doc.line("No runs recorded yet: see the note at the top.");
        }
    }
}

/// The static part of a declarative stream.
fn declarative(doc: &mut Doc, spec: &Spec, s: &Stream) {
    let body = match &s.request.body {
        None => String::new(),
        Some(Body::Json(_)) => " with a JSON body".to_owned(),
        Some(Body::Graphql(_)) => " with a GraphQL query".to_owned(),
        Some(Body::Text(t)) => format!(" with a {} body", code(&t.content_type)),
    };
    doc.item(
        "Endpoint",
        format!(
            "`{} {}` on connection {}{body}",
            method(s.request.method),
            s.request.path.source,
            code(&s.connection)
        ),
    );
    doc.item(
        "Params",
        if s.request.params.is_empty() {
            "none".to_owned()
        } else {
            pairs(&s.request.params)
        },
    );
    if !s.request.headers.is_empty() {
        doc.item("Headers", pairs(&s.request.headers));
    }
    if let Some(b) = &s.bulk {
        doc.item(
            "Bulk export",
            format!(
                "`{} {}` starts a job, polled every {} for up to {}; the files are read and \
                 committed every {} records",
                method(b.create.method),
                b.create.path.source,
                dur(b.poll.every),
                dur(b.poll.timeout),
                b.checkpoint_every
            ),
        );
    } else {
        doc.item("Pagination", paginate(&s.paginate));
    }
    doc.item(
        "Records",
        format!("{} ({})", code(&s.records.source), s.format.name()),
    );
    doc.item("Primary key", code(&s.primary_key.join(", ")));
    doc.item(
        "Incremental",
        match &s.incremental {
            Some(i) => format!(
                "cursor field {}, lookback {}: each run starts from the saved cursor minus the \
                 lookback; `holdfast sync {} --full-refresh` reads everything again",
                code(&i.cursor_field),
                dur(i.lookback),
                s.name
            ),
            None => "none: every run reads everything".to_owned(),
        },
    );
    let invalid = match s.on_invalid {
        OnInvalid::Quarantine => {
            "records that fail go to quarantine (`holdfast quarantine`; `holdfast quarantine retry` after a fix)"
        }
        OnInvalid::Fail => "a record that fails stops the run before its page is written",
    };
    let contract = match s.contract {
        Contract::Evolve => "new fields are recorded as drift and accepted",
        Contract::Freeze => "a new field makes the record invalid",
    };
    doc.item(
        "Validation",
        format!(
            "{}; {invalid}; {contract}",
            match &s.schema {
                Some(schema) => format!("JSON Schema {}", code(&schema.origin)),
                None => "no schema (records are not validated)".to_owned(),
            }
        ),
    );
    let columns: Vec<String> = s.map.iter().map(|m| code(&m.column)).collect();
    if s.deletes.is_none() {
        doc.item(
            "Into",
            format!(
                "table {}, upserted by primary key; {}",
                code(&s.into),
                if columns.is_empty() {
                    "no `map:` (the key and `_raw` are stored)".to_owned()
                } else {
                    format!("mapped columns {}", columns.join(", "))
                }
            ),
        );
    }
    doc.item(
        "Schedule",
        s.schedule
            .as_ref()
            .map(|sch| format!("{} by `holdfast serve`", schedule(sch)))
            .unwrap_or_else(|| on_demand(&s.name)),
    );
    if let Some(r) = &s.reconcile {
        let missing = match r.missing {
            Missing::SoftDelete => "soft-deleted (tombstoned)",
            Missing::HardDelete => "deleted",
            Missing::Report => "counted only",
        };
        doc.item(
            "Reconcile",
            format!(
                "{}: a {} scan diffed against the table; rows upstream no longer has are \
                 {missing}, at most {} per run{}; `holdfast reconcile {} --dry-run` to preview",
                r.schedule
                    .as_ref()
                    .map(schedule)
                    .unwrap_or_else(|| "on demand".to_owned()),
                if r.keys_only.is_some() {
                    "keys-only"
                } else {
                    "full"
                },
                r.max_delete,
                if r.grace.is_zero() {
                    String::new()
                } else {
                    format!(", sparing rows seen in the last {}", dur(r.grace))
                },
                s.name
            ),
        );
    }
    relations(doc, spec, s);
}

/// Parents, children, deletions, webhooks into it and alerts on it.
fn relations(doc: &mut Doc, spec: &Spec, s: &Stream) {
    if let Some(p) = &s.for_each {
        doc.item(
            "Parent",
            format!(
                "{}: one request chain per record of its table (as {}); sync the parent first",
                code(&p.stream),
                code(&p.alias)
            ),
        );
    }
    let children: Vec<String> = spec
        .streams
        .iter()
        .filter(|c| c.for_each.as_ref().is_some_and(|p| p.stream == s.name))
        .map(|c| code(&c.name))
        .collect();
    if !children.is_empty() {
        doc.item("Children", children.join(", "));
    }
    if let Some(target) = &s.deletes {
        doc.item(
            "Deletes",
            format!(
                "every record read marks the row with its key in {} deleted",
                code(target)
            ),
        );
    }
    if let Some(w) = &s.deleted_when {
        doc.item(
            "Deleted when",
            format!("{} (kept as tombstones)", code(&w.source)),
        );
    }
    let hooks: Vec<String> = spec
        .webhooks
        .iter()
        .filter(|w| w.route.iter().any(|r| r.stream == s.name))
        .map(|w| format!("{} (`POST {}`)", code(&w.name), w.path))
        .collect();
    if !hooks.is_empty() {
        doc.item("Webhooks into it", hooks.join(", "));
    }
    if let Some(after) = s.stale_after {
        doc.item(
            "Stale after",
            format!("{} without a successful run", dur(after)),
        );
    }
    let rules = super::alerts::covering_stream(&spec.alerts, s);
    let mut lines = super::alerts::lines(
        &rules,
        "none (add e.g. `{ rule: no_records, stream: NAME, for: 1h }`)",
    );
    if s.reconcile.is_some() && !rules.iter().any(|r| r.name() == "reconcile_refused") {
        lines.push("`reconcile_refused` (implied by `reconcile:`)".to_owned());
    }
    doc.item("Alerts", lines.join("; "));
}

/// "on demand only (`holdfast sync NAME`)".
fn on_demand(name: &str) -> String {
    format!("on demand only (`holdfast sync {name}`; no `schedule:`)")
}

/// The pagination strategy, its stop condition and its guards.
fn paginate(p: &Paginate) -> String {
    let params = |n: &NextParams| match n {
        NextParams::Drop => "as given",
        NextParams::Keep => "plus the stream's params",
    };
    let mut out = match &p.strategy {
        Strategy::None => "none: one request".to_owned(),
        Strategy::Cursor { next, param } => format!(
            "cursor: the next page's token from {}, sent as {param}; stops when the token is missing, null or empty",
            match next {
                Next::Body(path) => code(&path.source),
                Next::Header(h) => format!("header {}", code(h)),
            }
        ),
        Strategy::NextUrl { next, params: n } => format!(
            "next URL: the full URL at {} ({}); stops when it is missing or null",
            code(&next.source),
            params(n)
        ),
        Strategy::LinkHeader { params: n } => format!(
            "`Link: <…>; rel=\"next\"` header ({}); stops when a page has no next link",
            params(n)
        ),
        Strategy::Offset {
            param,
            limit_param,
            limit,
        } => format!(
            "offset sent as {param}, {limit} per page as {limit_param}; stops on an empty page \
             (a short page may be a capped one, so the next is asked for)"
        ),
        Strategy::Page {
            param,
            start,
            size_param,
            size,
        } => format!(
            "page numbers from {start} sent as {param}{}; stops on an empty page",
            match (size, size_param) {
                (Some(n), Some(place)) => format!(", {n} per page as {place}"),
                (Some(n), None) => format!(", {n} per page"),
                _ => String::new(),
            }
        ),
        Strategy::LastRecord { field, param, more } => format!(
            "the last record's {} sent as {param} while {} is true; stops when it is false",
            code(field),
            code(&more.source)
        ),
        Strategy::Relay { page_info, param } => format!(
            "GraphQL Relay: `endCursor` of {} sent as {param}; stops when `hasNextPage` is false",
            code(&page_info.source)
        ),
        _ => "a strategy this holdfast cannot describe".to_owned(),
    };
    match &p.stop_when {
        Some(StopWhen::Path(path)) => {
            out.push_str(&format!(", or when {} is true", code(&path.source)))
        }
        Some(StopWhen::Condition(c)) => out.push_str(&format!(", or when {}", code(&c.source))),
        None => {}
    }
    if let Some(max) = p.max_pages {
        out.push_str(&format!("; fails past {max} pages (runaway guard)"));
    }
    if let Some(more) = &p.expect_more {
        out.push_str(&format!(
            "; an end while {} is true is an error",
            code(&more.source)
        ));
    }
    if let Some(total) = &p.expect_total {
        out.push_str(&format!(
            "; the chain holds the number of records at {}: it ends there, and ending with fewer is an error",
            code(&total.source)
        ));
    }
    out
}
