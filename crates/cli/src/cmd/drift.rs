//! `holdfast drift`: changes seen in the APIs' response shapes.

use std::process::ExitCode;

use crate::cli::{Cli, DriftArgs};
use crate::context::open_store_to_read;

pub(crate) async fn run(cli: &Cli, args: &DriftArgs) -> anyhow::Result<ExitCode> {
    let store = open_store_to_read(cli).await?;
    let rows = store.drift(args.stream.as_deref(), args.limit).await?;
    if args.json {
        let list: Vec<_> = rows
            .iter()
            .map(holdfast_server::api::views::drift_json)
            .collect();
        outln!("{}", serde_json::json!({ "drift": list }));
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        outln!("no drift seen: every response matched the shape seen before");
    }
    for d in rows {
        outln!(
            "{} {} run {} {:<16} `{}`: {} → {}",
            d.at.format("%Y-%m-%d %H:%M:%S"),
            d.stream,
            d.run.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
            d.kind,
            d.path,
            d.before,
            d.after
        );
        if let Some(example) = d.example {
            outln!("    e.g. {}", example.chars().take(160).collect::<String>());
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
