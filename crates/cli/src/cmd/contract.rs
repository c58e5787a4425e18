//! `holdfast test [STREAM…]`: replay cassettes offline through the engine
//! (pagination, selection, validation, mapping) into a scratch store, and
//! say per stream what landed, what was quarantined, what drifted and which
//! requests the cassette does not hold. Exit 1 when any stream fails.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use holdfast_engine::Source;
use holdfast_engine::schedule::CancellationToken;
use holdfast_engine::sync::StreamEnd;
use holdfast_http::tape::{Cassette, PageLimit, Tape, read_cassette};
use holdfast_spec::{Env, Spec};
use serde_json::{Value, json};

use super::cassettes::{default_dir, run_streams, scratch_store};
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
    let found = match cassettes(&dir) {
        Ok(found) => found,
        Err(e) => {
            errln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
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
        let (meta, exchanges) = read_cassette(&path)?;
        if meta["holdfast"].is_null() || meta["stream"].as_str().is_none() {
            anyhow::bail!(
                "{} is a HAR file holdfast did not record (no stream named in `log.comment`); \
                 move it out of {} or record the stream with `holdfast record STREAM`",
                path.display(),
                dir.display()
            );
        }
        out.push((path, meta, exchanges));
    }
    Ok(out)
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
    let mut cassette = Cassette::new(meta.clone(), exchanges);
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
    source.disconnect().await;
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
        if let (true, StreamEnd::Synced(s)) = (name == stream, end) {
            outcome.records = s.records();
            outcome.pages = s.pages;
        }
    }
    let partial = meta["pages"].as_u64().is_some();
    if let Some(run) = store.runs(Some(stream), 1).await?.into_iter().next()
        && partial
    {
        outcome.pages = run.pages;
        let c = run.outcome_counts;
        outcome.records = c.created + c.updated + c.unchanged + c.deleted;
    }
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
    if outcome.quarantined > 0 {
        outcome.failures.push(format!(
            "{} record(s) quarantined: the recorded answers break the stream's schema",
            outcome.quarantined
        ));
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
    outcome.passed = outcome.failures.is_empty();
    Ok(outcome)
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
