//! The data endpoints as streams: list endpoints with their pagination,
//! detail endpoints (ids from a list's records) as child streams, with
//! records, key and schema read off the captured answers.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Analysis;
use super::login::{Login, is_secret_name};
use super::template::Seg;
use super::trace::{Place, Source};
use crate::draft::{Draft, Field, Input, Stream};
use crate::infer::{RecordsAt, primary_key, records_at, records_in, schema};
use crate::names::{Unique, env_name, identifier, singular};

/// What the stream step reports.
pub(crate) struct Streams {
    pub report: Vec<String>,
}

struct Candidate {
    template: usize,
    records: RecordsAt,
}

/// Adds a stream per data endpoint to `draft`.
pub(crate) fn streams(a: &Analysis, conn: &str, login: &Login, draft: &mut Draft) -> Streams {
    let mut report = Vec::new();
    let mut candidates = Vec::new();
    for (t, template) in a.templates.iter().enumerate() {
        if template.calls.iter().all(|c| login.steps.contains(c)) {
            continue;
        }
        let origin = a.calls[template.calls[0]].origin();
        if origin != a.origin {
            report.push(format!(
                "not a stream: {} on {}: one connection per import ({}); import a capture of that host on its own",
                template.label(),
                origin,
                a.origin
            ));
            continue;
        }
        let ok: Vec<usize> = template
            .calls
            .iter()
            .copied()
            .filter(|&c| a.calls[c].json.is_some() && (200..300).contains(&a.calls[c].status))
            .collect();
        if ok.is_empty() {
            if let Some(&c) = template.calls.iter().find(|&&c| a.calls[c].json.is_some()) {
                report.push(format!(
                    "not a stream: {}: no successful answer (status {})",
                    template.label(),
                    a.calls[c].status
                ));
            }
            continue;
        }
        if template.method != "GET" {
            report.push(format!(
                "not a stream: {} ({} call(s)): only GET endpoints are read",
                template.label(),
                template.calls.len()
            ));
            continue;
        }
        let bodies: Vec<&Value> = ok
            .iter()
            .filter_map(|&c| a.calls[c].json.as_ref())
            .collect();
        match records_at(&bodies) {
            Some(records) => candidates.push(Candidate {
                template: t,
                records,
            }),
            None => report.push(format!(
                "not a stream: {}: its answers are neither objects nor arrays",
                template.label()
            )),
        }
    }
    // Lists first (in capture order), so children can name their parent.
    candidates.sort_by_key(|c| (c.records.single, a.templates[c.template].calls[0]));
    let mut names: BTreeMap<usize, String> = BTreeMap::new();
    let mut taken = Unique::default();
    for c in &candidates {
        let template = &a.templates[c.template];
        let parent = parent_of(a, c.template, &candidates);
        let params = template.params();
        if c.records.single && parent.is_none() && !params.is_empty() {
            report.push(format!(
                "not a stream: {}: one object per call, and its path parameters come from no captured list",
                template.label()
            ));
            continue;
        }
        let lits: Vec<&str> = template
            .segments
            .iter()
            .filter_map(|s| match s {
                Seg::Lit(l) => Some(l.as_str()),
                Seg::Param(_) => None,
            })
            .collect();
        let last_lit = identifier(lits.last().copied().unwrap_or("records"), "records");
        let base = if matches!(template.segments.last(), Some(Seg::Param(_))) {
            format!("{}_details", singular(&last_lit))
        } else {
            last_lit
        };
        let name = taken.claim(&identifier(&base, "records"));
        names.insert(c.template, name.clone());
        let mut stream = Stream::new(name.clone(), conn, template.path());
        let mut notes = vec![format!(
            "from {} ({} call(s), first at entry {})",
            template.label(),
            template.calls.len(),
            a.calls[template.calls[0]].entry
        )];
        notes.extend(template.notes.iter().cloned());
        // Path parameters: a parent's record field, or an input.
        let mut path = String::new();
        let alias = parent
            .as_ref()
            .and_then(|(p, _)| names.get(p))
            .map(|n| singular(n));
        for seg in &template.segments {
            path.push('/');
            match seg {
                Seg::Lit(l) => path.push_str(l),
                Seg::Param(p) => {
                    let field = parent
                        .as_ref()
                        .and_then(|(_, fields)| fields.get(p.as_str()).cloned());
                    match (field, &alias) {
                        (Some(field), Some(alias)) => {
                            path.push_str(&format!(
                                "{{{{ {alias}{} }}}}",
                                super::trace::member(&field)
                            ));
                        }
                        _ => {
                            let env = env_name(p);
                            path.push_str(&format!("{{{{ env.{env} }}}}"));
                            if !draft.envs.iter().any(|e| e.name == env) {
                                draft.envs.push(Input {
                                    name: env.clone(),
                                    why: format!(
                                        "`{p}` in {}: no captured answer holds it",
                                        template.label()
                                    ),
                                });
                            }
                        }
                    }
                }
            }
        }
        if let (Some((p, _)), Some(alias)) = (&parent, &alias) {
            let parent_name = names.get(p).cloned().unwrap_or_default();
            stream.for_each = Some((parent_name.clone(), alias.clone()));
            notes.push(format!(
                "a child stream: its path ids were fields of `{parent_name}` records"
            ));
        }
        stream.path = if path.is_empty() { "/".into() } else { path };
        stream.note = notes.join("\n");
        // Pagination over the calls of one path (one parent).
        let first_path = a.calls[template.calls[0]].url.path().to_owned();
        let pages: Vec<&super::capture::Call> = template
            .calls
            .iter()
            .map(|&i| &a.calls[i])
            .filter(|c| c.url.path() == first_path)
            .collect();
        let (paginate, driven, why) = if c.records.single {
            (
                crate::draft::Paginate::None,
                Vec::new(),
                "one object per request".to_owned(),
            )
        } else {
            super::paginate::detect(&pages)
        };
        stream.paginate = paginate;
        stream.paginate_note = why;
        let first = template
            .calls
            .iter()
            .copied()
            .find(|&i| a.calls[i].url.path() == first_path)
            .unwrap_or(template.calls[0]);
        stream.params = params_of(a, first, &pages, &driven, conn, draft, &mut report, &name);
        let bodies: Vec<&Value> = template
            .calls
            .iter()
            .filter_map(|&i| a.calls[i].json.as_ref())
            .collect();
        let records: Vec<&Value> = bodies
            .iter()
            .flat_map(|b| records_in(b, &c.records.path))
            .collect();
        stream.records = c.records.path.clone();
        stream.records_note = c.records.note.clone();
        let (key, key_note) = primary_key(&records);
        stream.primary_key = key;
        stream.primary_key_note = key_note;
        stream.schema = Some(schema(&records, &name));
        stream.schema_note = format!(
            "inferred from the {} record(s) captured: loosen or tighten it by hand",
            records.len()
        );
        report.push(format!(
            "stream `{name}`: {} {} records, paginate {}",
            records.len(),
            stream.records,
            paginate_name(&stream.paginate)
        ));
        draft.streams.push(stream);
    }
    Streams { report }
}

/// The list endpoint whose records held this endpoint's path ids: its
/// template and, per parameter, the record field.
fn parent_of(
    a: &Analysis,
    t: usize,
    candidates: &[Candidate],
) -> Option<(usize, BTreeMap<String, String>)> {
    let template = &a.templates[t];
    let mut found: Option<(usize, BTreeMap<String, String>)> = None;
    for (pos, name) in template.params() {
        for &call in &template.calls {
            let origin = a
                .sent_by(call)
                .find(|s| s.place == Place::Path(pos))
                .and_then(|s| s.origin.clone());
            let Some(o) = origin else { continue };
            let Source::Body(path) = &o.source else {
                continue;
            };
            let parent = a.of_call[o.call];
            let Some(pc) = candidates
                .iter()
                .find(|c| c.template == parent && !c.records.single)
            else {
                continue;
            };
            let prefix = pc.records.path.trim_end_matches("[*]");
            let Some(rest) = path.strip_prefix(prefix) else {
                continue;
            };
            // `[3].id` → `id`
            let Some(field) = rest
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .map(|(_, f)| f.trim_start_matches('.').to_owned())
            else {
                continue;
            };
            if field.is_empty() || field.contains(['.', '[']) {
                continue;
            }
            match &mut found {
                Some((p, fields)) if *p == parent => {
                    fields.insert(name.to_owned(), field);
                }
                Some(_) => {}
                None => {
                    found = Some((parent, BTreeMap::from([(name.to_owned(), field)])));
                }
            }
            break;
        }
    }
    found
}

/// The query parameters of a stream: the first call's, less the ones the
/// pagination drives; constants kept, inputs and cache busters noted.
#[allow(clippy::too_many_arguments)]
fn params_of(
    a: &Analysis,
    first_call: usize,
    pages: &[&super::capture::Call],
    driven: &[String],
    conn: &str,
    draft: &mut Draft,
    report: &mut Vec<String>,
    stream: &str,
) -> Vec<Field> {
    let Some(first) = pages.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in &first.query {
        if driven.contains(k) {
            continue;
        }
        let values: Vec<&str> = pages
            .iter()
            .filter_map(|p| {
                p.query
                    .iter()
                    .find(|(k2, _)| k2 == k)
                    .map(|(_, v)| v.as_str())
            })
            .collect();
        let varies = values.iter().any(|x| *x != v);
        if k == "_" || (varies && v.len() >= 10 && v.chars().all(|c| c.is_ascii_digit())) {
            report.push(format!("stream `{stream}`: left out `{k}`: a cache buster or time the page's script computed"));
            continue;
        }
        if is_secret_name(k) && !varies {
            let name = identifier(&format!("{conn}_{k}"), "secret");
            if !draft.secrets.iter().any(|s| s.name == name) {
                draft.secrets.push(Input {
                    name: name.clone(),
                    why: format!("the capture's query `{k}`"),
                });
            }
            out.push(Field::new(k.clone(), format!("{{{{ secret.{name} }}}}")));
            continue;
        }
        let value: Value = match v.parse::<u64>() {
            Ok(n) if !v.starts_with('0') || v == "0" => Value::from(n),
            _ => Value::String(v.clone()),
        };
        let origin = a
            .sent_by(first_call)
            .find(|s| s.place == Place::Query(k.clone()))
            .and_then(|s| s.origin.clone());
        let mut field = Field::new(k.clone(), value.clone());
        match &origin {
            // The page the user opened had it: the user's input.
            Some(o) if matches!(o.source, Source::Url(_)) => {
                let env = env_name(k);
                if !draft.envs.iter().any(|e| e.name == env) {
                    draft.envs.push(Input {
                        name: env.clone(),
                        why: format!(
                            "query `{k}` of stream `{stream}`: the user's input, from the URL of {} (captured: {v})",
                            a.calls[o.call].label()
                        ),
                    });
                }
                field = Field::new(k.clone(), format!("{{{{ env.{env} }}}}")).noted(format!(
                    "a user input: the URL of {} had it",
                    a.calls[o.call].label()
                ));
            }
            Some(o) => {
                field = field.noted(format!(
                    "kept as captured; it came from {} ({})",
                    a.calls[o.call].label(),
                    o.source.describe()
                ));
            }
            None if value.is_string() && !varies => {
                report.push(format!(
                    "stream `{stream}`: `{k}` has no origin in the capture (a constant of the app, or a user input): kept as captured"
                ));
                field = field.noted("no earlier answer holds it: a constant of the app or a user input, kept as captured");
            }
            None => {}
        }
        if varies {
            field = field.noted(format!(
                "it varied across the {} calls (not by page): the first value is kept",
                pages.len()
            ));
        }
        out.push(field);
    }
    out
}

fn paginate_name(p: &crate::draft::Paginate) -> &'static str {
    use crate::draft::Paginate as P;
    match p {
        P::None => "none",
        P::Cursor { .. } => "cursor",
        P::NextUrl { .. } => "next_url",
        P::LinkHeader => "link_header",
        P::LastRecord { .. } => "last_record",
        P::Offset { .. } => "offset",
        P::Page { .. } => "page",
    }
}
