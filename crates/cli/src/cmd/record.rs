//! `holdfast record STREAM…`: run streams against the real API and keep
//! every request and answer, secrets hidden, as a HAR 1.2 cassette.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use holdfast_engine::Source;
use holdfast_engine::schedule::CancellationToken;
use holdfast_engine::sync::StreamEnd;
use holdfast_http::tape::{PageLimit, Recorder, Tape};
use holdfast_spec::Env;
use serde_json::json;

use super::cassettes::{default_dir, landed, run_streams, scratch_store, with_parents};
use crate::cli::{Cli, RecordArgs};
use crate::context::{self, load_spec, open_store};

pub(crate) async fn run(cli: &Cli, args: &RecordArgs) -> anyhow::Result<ExitCode> {
    if args.out.is_some() && args.streams.len() > 1 {
        errln!("error: --out names one cassette; record one stream with it, or drop --out");
        return Ok(ExitCode::from(2));
    }
    if args.pages == Some(0) {
        errln!("error: --pages 0 records nothing; give at least 1");
        return Ok(ExitCode::from(2));
    }
    let mut env = Env::from_process();
    let Some(spec) = load_spec(cli, &mut env).await else {
        return Ok(ExitCode::from(2));
    };
    // The real store lends its secrets and tokens (a rotated refresh token
    // is saved there); records go to a scratch store.
    let store = open_store(cli, Some(&spec), &env).await?;
    let stop = CancellationToken::new();
    let recorder = Arc::new(match args.pages {
        Some(pages) => {
            let stop = stop.clone();
            Recorder::with_limit(PageLimit {
                pages,
                reached: Box::new(move || stop.cancel()),
            })
        }
        None => Recorder::new(),
    });
    let tape = Tape::Record(recorder.clone());
    let source = context::source_with_tape(cli, spec.clone(), &env, &store, Some(tape))?;
    let mut plans = Vec::new();
    for stream in &args.streams {
        match with_parents(&source, stream) {
            Ok(chain) => plans.push((stream.clone(), chain)),
            Err(e) => {
                errln!("error: {e}");
                store.close().await;
                return Ok(ExitCode::from(2));
            }
        }
    }
    let all: Vec<String> = plans
        .iter()
        .flat_map(|(_, chain)| chain.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (scratch, _dir) = scratch_store().await?;
    let ends = run_streams(&source, &*scratch.store(), &all, &stop).await?;
    let base_urls = source.declarative().base_urls();
    source.disconnect().await;
    let mut records = std::collections::BTreeMap::new();
    for (stream, _) in &plans {
        records.insert(stream.clone(), landed(&*scratch.store(), stream).await?.0);
    }
    scratch.close().await;
    store.close().await;
    let secrets: Vec<(&str, &str)> = env
        .secrets()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .filter(|(_, v)| v.len() >= 4)
        .collect();
    let mut failed = false;
    for (stream, chain) in &plans {
        let ended: Vec<&(String, StreamEnd)> = ends
            .iter()
            .filter(|(name, _)| chain.contains(name))
            .collect();
        if let Some((name, end)) = ended.iter().find(|(_, e)| e.error().is_some()) {
            errln!(
                "error: no cassette for `{stream}`: the run of `{name}` failed ({}); fix it \
                 and record again (a cassette of a failed run would test the failure)",
                end.error().unwrap_or_default()
            );
            failed = true;
            continue;
        }
        let complete = ended.iter().all(|(_, e)| matches!(e, StreamEnd::Synced(_)));
        let records = records.get(stream).copied().unwrap_or(0);
        let meta = json!({
            "holdfast": 1,
            "stream": stream,
            "streams": chain,
            "connections": base_urls.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.to_string()))).collect::<serde_json::Map<_, _>>(),
            "pages": args.pages,
            "complete": complete,
            "recorded_at": chrono::Utc::now().to_rfc3339(),
        });
        let path = args
            .out
            .clone()
            .unwrap_or_else(|| default_dir(&cli.config).join(format!("{stream}.har")));
        let kept = recorder.write(&path, &meta, |s| {
            s.is_none_or(|s| chain.iter().any(|c| c == s))
        })?;
        if let Some(leak) = leaked(&path, &secrets)? {
            let _ = std::fs::remove_file(&path);
            errln!(
                "error: the cassette for `{stream}` still held the value of secret `{leak}` \
                 after redaction, so it was deleted; report this as a bug"
            );
            failed = true;
            continue;
        }
        let partial = match (complete, args.pages) {
            (true, _) => "complete".to_owned(),
            (false, Some(pages)) => format!("first {pages} page(s) per --pages"),
            (false, None) => "interrupted".to_owned(),
        };
        outln!(
            "recorded `{stream}`: {} request(s), {records} record(s), {partial} → {}",
            kept,
            path.display()
        );
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The secret whose value the written file still holds, if any (by name:
/// the value itself is never printed).
///
/// The file holds one entry per line: it is read a line at a time.
fn leaked(path: &PathBuf, secrets: &[(&str, &str)]) -> anyhow::Result<Option<String>> {
    use std::io::BufRead;
    let reader = std::io::BufReader::new(std::fs::File::open(path)?);
    for line in reader.split(b'\n') {
        let line = line?;
        if let Some((name, _)) = secrets
            .iter()
            .find(|(_, value)| line.windows(value.len()).any(|w| w == value.as_bytes()))
        {
            return Ok(Some((*name).to_owned()));
        }
    }
    Ok(None)
}
