//! `holdfast quarantine`: records that were not written, and why;
//! `holdfast quarantine retry`: re-check them after a fix.

use std::process::ExitCode;

use holdfast_engine::quarantine::retry_quarantine;
use holdfast_engine::{DeclarativeSource, Source};
use holdfast_spec::Env;

use crate::cli::{Cli, QuarantineAction, QuarantineArgs};
use crate::context::{load_spec, open_store, open_store_to_read};

pub(crate) async fn run(cli: &Cli, args: &QuarantineArgs) -> anyhow::Result<ExitCode> {
    if let Some(QuarantineAction::Retry { stream }) = &args.action {
        return retry(cli, stream.as_deref()).await;
    }
    let store = open_store_to_read(cli).await?;
    let rows = store.quarantine(args.stream.as_deref(), args.limit).await?;
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
            "#{} {} run {} at {}{seen}: {}",
            q.id,
            q.stream,
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
    let source = DeclarativeSource::new(spec, &env)?;
    let streams: Vec<_> = source
        .streams()
        .into_iter()
        .filter(|s| only.is_none_or(|o| o == s.name))
        .collect();
    if streams.is_empty() {
        errln!(
            "error: no stream `{}` in the connector file",
            only.unwrap_or_default()
        );
        return Ok(ExitCode::from(2));
    }
    let mut failed = false;
    for info in &streams {
        match retry_quarantine(&*store, info, 100_000).await {
            Ok(s) if s.moved + s.still_invalid > 0 => outln!(
                "{}: {} records now pass and moved into `{}`; {} still invalid (run {})",
                info.name,
                s.moved,
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
