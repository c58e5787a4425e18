//! `holdfast quarantine`: records that were not written, and why;
//! `holdfast quarantine retry`: re-check them after a fix.

use std::process::ExitCode;

use holdfast_engine::Source;
use holdfast_engine::quarantine::retry_quarantine;
use holdfast_spec::Env;

use crate::cli::{Cli, QuarantineAction, QuarantineArgs};
use crate::context::{load_spec, open_store, open_store_to_read};

pub(crate) async fn run(cli: &Cli, args: &QuarantineArgs) -> anyhow::Result<ExitCode> {
    if let Some(QuarantineAction::Retry { stream }) = &args.action {
        return retry(cli, stream.as_deref()).await;
    }
    let store = open_store_to_read(cli).await?;
    // Only to name records by their primary key; the listing works without it.
    let spec = holdfast_spec::load(&cli.config, &Env::from_process()).ok();
    let rows = store.quarantine(args.stream.as_deref(), args.limit).await?;
    if args.json {
        let list: Vec<_> = rows
            .iter()
            .map(|q| holdfast_server::api::views::quarantine_json(q, spec.as_ref()))
            .collect();
        outln!("{}", serde_json::json!({ "quarantine": list }));
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        outln!("quarantine is empty");
    }
    for q in rows {
        let raw: String = q.raw.chars().take(160).collect();
        let seen = if q.seen > 1 {
            format!(", seen {} times", q.seen)
        } else {
            String::new()
        };
        outln!(
            "#{} {} {} run {} at {}{seen}: {}",
            q.id,
            q.stream,
            key_text(spec.as_ref(), &q.stream, &q.raw),
            q.run,
            q.at.format("%Y-%m-%d %H:%M:%S"),
            q.reason
        );
        for v in &q.violations {
            let at = if v.pointer.is_empty() {
                "(record)"
            } else {
                v.pointer.as_str()
            };
            outln!("    {at}: {}", v.message);
        }
        outln!("    payload: {raw}");
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn retry(cli: &Cli, only: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut env = Env::from_process();
    let Some(spec) = load_spec(cli, &mut env).await else {
        return Ok(ExitCode::from(2));
    };
    let store = open_store(cli, Some(&spec), &env).await?;
    let source = crate::context::sources(cli, spec, &env)?;
    let streams: Vec<_> = source
        .streams()
        .into_iter()
        .filter(|s| only.is_none_or(|o| o == s.name))
        .collect();
    if streams.is_empty() {
        let names: Vec<String> = source.streams().into_iter().map(|s| s.name).collect();
        errln!(
            "error: {}",
            holdfast_spec::no_such_stream(
                only.unwrap_or_default(),
                names.iter().map(String::as_str)
            )
        );
        return Ok(ExitCode::from(2));
    }
    let mut failed = false;
    for info in &streams {
        match retry_quarantine(&*store, info, 100_000).await {
            Ok(s) if s.moved + s.still_invalid > 0 => outln!(
                "{}: {} now pass and moved into `{}`; {} still invalid (run {})",
                info.name,
                crate::plural::count(s.moved, "record"),
                info.table.name,
                s.still_invalid,
                s.run
            ),
            Ok(_) => {}
            Err(e) => {
                errln!("error: {e}");
                failed = true;
            }
        }
    }
    store.close().await;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `id=42` (or `id=42, region="eu"`): the record's primary key read from its
/// payload, or why there is none.
fn key_text(spec: Option<&holdfast_spec::Spec>, stream: &str, raw: &str) -> String {
    match holdfast_server::api::views::record_key(spec, stream, raw) {
        Some(key) => key
            .iter()
            .map(|(field, value)| format!("{field}={value}"))
            .collect::<Vec<_>>()
            .join(", "),
        None if spec.is_none() => {
            "(key unknown: the connector file could not be read; `holdfast check` says why)"
                .to_owned()
        }
        None if spec.and_then(|s| s.stream(stream)).is_none() => {
            "(key unknown: the connector file has no such stream)".to_owned()
        }
        None => "(no usable primary key in the payload)".to_owned(),
    }
}
