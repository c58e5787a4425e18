//! `holdfast schema infer STREAM`: sample the live API and write a starting
//! JSON Schema (types, required fields, nullability, formats).

use std::process::ExitCode;

use anyhow::Context as _;
use holdfast_engine::{DeclarativeSource, ReadScope, Source};
use holdfast_records::{Shape, infer_schema};
use holdfast_spec::Env;
use serde_json::Value;

use crate::cli::{Cli, SchemaAction, SchemaArgs};
use crate::context::{load_spec, open_store};

pub(crate) async fn run(cli: &Cli, args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    let SchemaAction::Infer {
        stream,
        pages,
        out,
        force,
    } = &args.action;
    let mut env = Env::from_process();
    let Some(spec) = load_spec(cli, &mut env).await else {
        return Ok(ExitCode::from(2));
    };
    let source = DeclarativeSource::new(spec, &env)?;
    let Some(info) = source.streams().into_iter().find(|s| &s.name == stream) else {
        let names: Vec<String> = source.streams().into_iter().map(|s| s.name).collect();
        errln!(
            "error: {}",
            holdfast_spec::no_such_stream(stream, names.iter().map(String::as_str))
        );
        return Ok(ExitCode::from(2));
    };
    let out = out.clone().unwrap_or_else(|| {
        cli.config
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("schemas")
            .join(format!("{stream}.json"))
    });
    if out.exists() && !force {
        errln!(
            "error: {} exists; pass --force to replace it, or --out to write elsewhere",
            out.display()
        );
        return Ok(ExitCode::from(2));
    }
    // A child stream samples the chain of its first parent in the store.
    let parent = match &info.parent {
        None => None,
        Some(p) => {
            let store = open_store(cli, Some(source.spec()), &env).await?;
            let first = store
                .parent_records(&p.table, None, 1)
                .await?
                .into_iter()
                .next();
            store.close().await;
            match first {
                Some(r) => Some(r.record),
                None => {
                    errln!(
                        "error: `{stream}` reads per record of `{}`, which has none yet; sync `{}` first",
                        p.stream,
                        p.stream
                    );
                    return Ok(ExitCode::from(1));
                }
            }
        }
    };
    let mut reader = source.read(
        stream,
        ReadScope {
            parent,
            ..ReadScope::default()
        },
    )?;
    let mut shape = Shape::default();
    let mut position = Value::Null;
    let mut read = 0;
    while read < *pages {
        let page = reader.read_page(&position).await?;
        read += 1;
        for record in &page.records {
            shape.observe(record);
        }
        match page.next {
            Some(next) => position = next,
            None => break,
        }
    }
    let schema = infer_schema(&shape, stream);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&schema)?;
    std::fs::write(&out, format!("{text}\n"))
        .with_context(|| format!("writing {}", out.display()))?;
    outln!(
        "wrote {} from {} in {} ({})",
        out.display(),
        crate::plural::count(shape.records, "record"),
        crate::plural::count(read, "page"),
        crate::plural::count(shape.fields.len(), "field")
    );
    outln!(
        "review it, then add to stream `{stream}`:  schema: {}",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
