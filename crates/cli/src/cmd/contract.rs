//! `holdfast test [STREAM…]`: replay cassettes offline through the engine
//! (pagination, selection, validation, mapping) into a scratch store, and
//! say per stream what landed, what was quarantined, what drifted and which
//! requests the cassette does not hold. Exit 1 when any stream fails.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use holdfast_engine::Source;
use holdfast_engine::schedule::CancellationToken;
use holdfast_http::tape::{Cassette, PageLimit, Tape, read_cassette};
use holdfast_spec::{Env, Spec};
use holdfast_store::prelude::*;
use serde_json::{Value, json};

use super::cassettes::{beside, default_dir, landed, run_streams, scratch_store};
use crate::backend::OpenStore;
use crate::cli::{Cli, TestArgs};
use crate::context::load_spec_offline;

/// What one cassette's replay showed.
#[derive(Debug, serde::Serialize)]
struct Outcome {
    stream: String,
    cassette: String,
    passed: bool,
    records: u64,
    pages: u64,
    quarantined: u64,
    violations: Vec<String>,
    drift: Vec<String>,
    unrecorded: Vec<String>,
    unused: usize,
    error: Option<String>,
    failures: Vec<String>,
}

pub(crate) async fn run(cli: &Cli, args: &TestArgs) -> anyhow::Result<ExitCode> {
    let mut env = Env::from_process();
    let Some(spec) = load_spec_offline(cli, &mut env) else {
        return Ok(ExitCode::from(2));
    };
    let dir = args
        .cassettes
        .clone()
        .unwrap_or_else(|| default_dir(&cli.config));
    let named: Vec<(&str, PathBuf)> = spec
        .tests
        .iter()
        .filter_map(|t| Some((t.stream.as_str(), beside(&cli.config, t.cassette.as_ref()?))))
        .collect();
    let listed = if dir.exists() || named.is_empty() {
        cassettes(&dir)
    } else {
        Ok(Vec::new())
    };
    let mut found = match listed {
        Ok(found) => found,
        Err(e) => {
            errln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    for (stream, path) in named {
        if found.iter().any(|(p, _, _)| same_file(p, &path)) {
            continue;
        }
        match cassette(&path) {
            Ok((meta, _)) if meta["stream"] != stream => {
                errln!(
                    "error: tests.{stream}.cassette: {} records stream `{}`, not `{stream}`;                      name the cassette of `{stream}`, or record one with `holdfast record {stream}`",
                    path.display(),
                    meta["stream"].as_str().unwrap_or_default()
                );
                return Ok(ExitCode::from(2));
            }
            Ok((meta, exchanges)) => found.push((path, meta, exchanges)),
            Err(e) => {
                errln!("error: tests.{stream}.cassette: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let mut chosen = Vec::new();
    for (path, meta, exchanges) in found {
        let stream = meta["stream"].as_str().unwrap_or_default().to_owned();
        if args.streams.is_empty() || args.streams.contains(&stream) {
            chosen.push((path, stream, meta, exchanges));
        }
    }
    for wanted in &args.streams {
        if !chosen.iter().any(|(_, s, _, _)| s == wanted) {
            errln!(
                "error: no cassette for stream `{wanted}` in {}: record one with `holdfast record {wanted}`",
                dir.display()
            );
            return Ok(ExitCode::from(2));
        }
    }
    for t in &spec.tests {
        let selected = args.streams.is_empty() || args.streams.contains(&t.stream);
        if selected && !chosen.iter().any(|(_, s, _, _)| s == &t.stream) {
            errln!(
                "error: tests.{}: no cassette for stream `{}` in {}: record one with `holdfast record {}`",
                t.stream,
                t.stream,
                dir.display(),
                t.stream
            );
            return Ok(ExitCode::from(2));
        }
    }
    if chosen.is_empty() {
        errln!(
            "error: no cassettes in {}: nothing was tested. Record one with `holdfast record STREAM`",
            dir.display()
        );
        return Ok(ExitCode::from(2));
    }
    let mut outcomes = Vec::new();
    for (path, stream, meta, exchanges) in chosen {
        let (store, dir) = match &args.into {
            Some(url) => (crate::context::open_url(url).await?, None),
            None => {
                let (store, dir) = scratch_store().await?;
                (store, Some(dir))
            }
        };
        let outcome = replay(
            cli,
            (&spec, &env),
            &store,
            (&path, &stream),
            meta,
            exchanges,
        )
        .await;
        store.close().await;
        drop(dir);
        outcomes.push(outcome?);
    }
    if args.json {
        outln!("{}", json!({ "streams": outcomes }));
    } else {
        for o in &outcomes {
            print(o);
        }
    }
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    if !args.json {
        outln!(
            "{} cassette(s): {} passed, {failed} failed",
            outcomes.len(),
            outcomes.len() - failed
        );
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Every `*.har` in `dir` that holdfast recorded, by file name.
fn cassettes(
    dir: &Path,
) -> anyhow::Result<Vec<(PathBuf, Value, Vec<holdfast_http::tape::Exchange>)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the cassette folder {} ({e}); record one with `holdfast record STREAM`, \
             or name the folder with --cassettes",
            dir.display()
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "har"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let (meta, exchanges) = cassette(&path)?;
        out.push((path, meta, exchanges));
    }
    Ok(out)
}

/// One cassette holdfast recorded: its meta and exchanges.
fn cassette(path: &Path) -> anyhow::Result<(Value, Vec<holdfast_http::tape::Exchange>)> {
    let (meta, exchanges) = read_cassette(path)?;
    if meta["holdfast"].is_null() || meta["stream"].as_str().is_none() {
        anyhow::bail!(
            "{} is a HAR file holdfast did not record (no stream named in `log.comment`); \
             move it out of the cassette folder or record the stream with `holdfast record STREAM`",
            path.display()
        );
    }
    Ok((meta, exchanges))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

async fn replay(
    cli: &Cli,
    (spec, env): (&Arc<Spec>, &Env),
    scratch: &OpenStore,
    (path, stream): (&Path, &str),
    meta: Value,
    exchanges: Vec<holdfast_http::tape::Exchange>,
) -> anyhow::Result<Outcome> {
    let streams: Vec<String> = meta["streams"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_else(|| vec![stream.to_owned()]);
    let stop = CancellationToken::new();
    // A partial cassette (`record --pages N`) ends where its recorded answers do.
    let recorded = exchanges
        .iter()
        .filter(|e| e.stream.as_deref() == Some(stream) && (200..300).contains(&e.status))
        .count() as u64;
    let mut cassette = Cassette::new(exchanges);
    if meta["pages"].as_u64().is_some() {
        let pages = recorded;
        let stop = stop.clone();
        cassette = cassette.with_limit(PageLimit {
            pages,
            reached: Box::new(move || stop.cancel()),
        });
    }
    let cassette = Arc::new(cassette);
    let declarative = holdfast_engine::DeclarativeSource::with_options(
        spec.clone(),
        env,
        holdfast_engine::SourceOptions {
            token_store: None,
            rate_budget: None,
            tape: Some(Tape::Replay(cassette.clone())),
            base_urls: meta["connections"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect(),
        },
    )?;
    let source = holdfast_engine::Sources::new(declarative, &cli.custom.0)?;
    let store = scratch.store();
    let ends = run_streams(&source, &*store, &streams, &stop).await?;
    let mut outcome = Outcome {
        stream: stream.to_owned(),
        cassette: path.display().to_string(),
        passed: true,
        records: 0,
        pages: 0,
        quarantined: 0,
        violations: Vec::new(),
        drift: Vec::new(),
        unrecorded: Vec::new(),
        unused: cassette.unused().len(),
        error: None,
        failures: Vec::new(),
    };
    for (name, end) in &ends {
        if let Some(error) = end.error() {
            outcome.failures.push(format!("`{name}` failed: {error}"));
            if name == stream {
                outcome.error = Some(error);
            }
        }
    }
    (outcome.records, outcome.pages) = landed(&*store, stream).await?;
    for q in store.quarantine(Some(stream), 1000).await? {
        outcome.quarantined += 1;
        for v in &q.violations {
            let line = format!("{} {}", v.pointer, v.message);
            if !outcome.violations.contains(&line) {
                outcome.violations.push(line);
            }
        }
    }
    for d in store.drift(Some(stream), 100).await? {
        outcome.drift.push(format!(
            "{} at {}: {} → {}",
            d.kind, d.path, d.before, d.after
        ));
    }
    for miss in cassette.misses() {
        outcome.unrecorded.push(miss.request);
    }
    let test = spec.tests.iter().find(|t| t.stream == stream);
    match test {
        Some(t) if outcome.quarantined != t.quarantined => outcome.failures.push(format!(
            "{} record(s) quarantined, tests.{stream}.quarantined expects {}",
            outcome.quarantined, t.quarantined
        )),
        None if outcome.quarantined > 0 => outcome.failures.push(format!(
            "{} record(s) quarantined: the recorded answers break the stream's schema",
            outcome.quarantined
        )),
        _ => {}
    }
    if let Some(t) = test {
        let table = source
            .streams()
            .into_iter()
            .find(|i| i.name == stream)
            .map(|i| i.table);
        expectations(&mut outcome, t, &*store, table.as_ref()).await?;
    }
    if !outcome.unrecorded.is_empty() {
        outcome.failures.push(format!(
            "{} request(s) not in the cassette (replay is strict)",
            outcome.unrecorded.len()
        ));
    }
    if !outcome.drift.is_empty() {
        outcome
            .failures
            .push(format!("{} drift finding(s)", outcome.drift.len()));
    }
    if outcome.records == 0 && outcome.failures.is_empty() {
        outcome
            .failures
            .push("no records: the cassette's answers gave the stream nothing".to_owned());
    }
    source.disconnect().await;
    outcome.passed = outcome.failures.is_empty();
    Ok(outcome)
}

/// Checks a stream's `tests:` entry against what the replay landed.
async fn expectations(
    outcome: &mut Outcome,
    test: &holdfast_spec::StreamTest,
    store: &dyn Store,
    table: Option<&holdfast_store::TableSpec>,
) -> anyhow::Result<()> {
    let at = format!("tests.{}", test.stream);
    if let Some((min, max)) = test.records {
        let n = outcome.records;
        let wanted = match (min, max) {
            (Some(lo), Some(hi)) if lo == hi => format!("{lo}"),
            (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
            (Some(lo), None) => format!("at least {lo}"),
            (None, Some(hi)) => format!("at most {hi}"),
            (None, None) => String::new(),
        };
        if min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi) {
            outcome.failures.push(format!(
                "{n} record(s) landed, {at}.records expects {wanted}"
            ));
        }
    }
    let Some(table) = table else {
        return Ok(());
    };
    for (i, expected) in test.expect.iter().enumerate() {
        let here = format!("{at}.expect[{i}]");
        let key = serde_json::to_string(&expected.key)?;
        let Some(found) = store.record(table, &expected.key).await? else {
            outcome.failures.push(format!(
                "{here}: no record with key {key} in `{}` after the replay",
                table.name
            ));
            continue;
        };
        let raw: Value = serde_json::from_str(&found.raw).unwrap_or(Value::Null);
        for (name, want) in &expected.fields {
            let got = found
                .columns
                .iter()
                .find(|(c, _)| c == name)
                .map(|(_, v)| v.clone())
                .or_else(|| {
                    if name.starts_with('/') {
                        raw.pointer(name).cloned()
                    } else {
                        raw.get(name).cloned()
                    }
                });
            if !same_value(got.as_ref(), want) {
                let shown = got.map_or_else(|| "absent".to_owned(), |v| v.to_string());
                outcome.failures.push(format!(
                    "{here}: record {key}: `{name}` is {shown}, expected {want}"
                ));
            }
        }
    }
    Ok(())
}

/// Equal, or equal once both are written as text (a column stored as text
/// against a number in the file, and the other way round).
fn same_value(got: Option<&Value>, want: &Value) -> bool {
    let Some(got) = got else { return false };
    if got == want {
        return true;
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    !got.is_object() && !got.is_array() && text(got) == text(want)
}

fn print(o: &Outcome) {
    let verdict = if o.passed { "ok" } else { "FAILED" };
    outln!(
        "test {}: {verdict}: {} record(s) in {} page(s), {} quarantined, {} drift, {} unrecorded request(s) ({})",
        o.stream,
        o.records,
        o.pages,
        o.quarantined,
        o.drift.len(),
        o.unrecorded.len(),
        o.cassette
    );
    for f in &o.failures {
        outln!("  - {f}");
    }
    for v in o.violations.iter().take(10) {
        outln!("    violation: {v}");
    }
    for d in o.drift.iter().take(10) {
        outln!("    drift: {d}");
    }
    for u in o.unrecorded.iter().take(10) {
        outln!("    unrecorded: {u}");
    }
    if o.unused > 0 {
        outln!(
            "  note: {} recorded request(s) were not asked for (the connector now stops sooner)",
            o.unused
        );
    }
}
