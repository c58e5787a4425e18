//! `holdfast explain STREAM ID`: one record, from payload to column, and the
//! decisions made about it.

use std::process::ExitCode;

use holdfast_engine::Source;
use holdfast_spec::Env;
use serde_json::Value;

use crate::cli::{Cli, ExplainArgs};
use crate::context::{load_spec_from, open_store_to_read};

pub(crate) async fn run(cli: &Cli, args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let mut env = Env::from_process();
    let store = open_store_to_read(cli).await?;
    let Some(spec) = load_spec_from(cli, &mut env, &store).await else {
        store.close().await;
        return Ok(ExitCode::from(2));
    };
    let source = crate::context::sources(cli, spec, &env)?;
    let Some(info) = source.streams().into_iter().find(|s| s.name == args.stream) else {
        let names: Vec<String> = source.streams().into_iter().map(|s| s.name).collect();
        errln!(
            "error: {}",
            holdfast_spec::no_such_stream(&args.stream, names.iter().map(String::as_str))
        );
        return Ok(ExitCode::from(2));
    };
    let fields = &info.table.primary_key;
    if args.id.len() != fields.len() {
        errln!(
            "error: `{}` is keyed by {} ({}); give one value per key column",
            info.name,
            fields.len(),
            fields.join(", ")
        );
        return Ok(ExitCode::from(2));
    }
    // An id typed on the command line may be a number or a string in the store.
    let as_numbers: Vec<Value> = args
        .id
        .iter()
        .map(|v| {
            v.parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(v.as_str()))
        })
        .collect();
    let as_strings: Vec<Value> = args.id.iter().map(|v| Value::from(v.as_str())).collect();
    let mut stored = store.record(&info.table, &as_numbers).await?;
    if stored.is_none() && as_numbers != as_strings {
        stored = store.record(&info.table, &as_strings).await?;
    }
    outln!("{} {}", info.name, args.id.join(", "));
    match &stored {
        None => outln!("  not in table `{}`", info.table.name),
        Some(r) => {
            let decision = r.last_change.as_str();
            let by = |run: holdfast_store::RunId| {
                if run.is_webhook() {
                    "a webhook event".to_owned()
                } else {
                    format!("run {run}")
                }
            };
            outln!(
                "  in table `{}`: first seen {}; content last changed by {} at {}; \
                 last seen by {} at {} ({decision} then)",
                info.table.name,
                r.first_seen.format("%Y-%m-%d %H:%M:%S"),
                by(r.updated_run),
                r.updated_at.format("%Y-%m-%d %H:%M:%S"),
                by(r.last_run),
                r.last_seen.format("%Y-%m-%d %H:%M:%S"),
            );
            if let Some(at) = r.deleted_at {
                outln!(
                    "  DELETED at {} by a webhook event (kept as a tombstone so a late, older event cannot bring it back)",
                    at.format("%Y-%m-%d %H:%M:%S")
                );
            }
            if let Some(v) = &r.version {
                outln!("  version (from the webhook's `version:`): {v}");
            }
            let raw: Value = serde_json::from_str(&r.raw).unwrap_or(Value::Null);
            outln!("  raw payload last received:");
            for line in serde_json::to_string_pretty(&raw)
                .unwrap_or_default()
                .lines()
            {
                outln!("    {line}");
            }
            if let Some(mapper) = info.rules.mapper() {
                outln!("  mapped columns (stored value ← source, coercion):");
                for (t, (name, value)) in mapper.trace(&raw).iter().zip(&r.columns) {
                    let now = match &t.stored {
                        Ok(v) if &as_stored(v) != value => {
                            format!(" (the current map would give {v})")
                        }
                        Ok(_) => String::new(),
                        Err(e) => format!(" (the current map fails: {e})"),
                    };
                    outln!(
                        "    {name:<16} = {value:<24} ← {} [{}] raw {}{now}",
                        t.source,
                        t.coercion,
                        t.raw
                            .as_ref()
                            .map(Value::to_string)
                            .unwrap_or_else(|| "missing".into()),
                    );
                }
            }
        }
    }
    // Quarantined payloads keep the key's JSON type: try the number, then the text.
    let mut held = store
        .quarantined_by_key(&info.name, fields, &as_numbers)
        .await?;
    if held.is_empty() && as_numbers != as_strings {
        held = store
            .quarantined_by_key(&info.name, fields, &as_strings)
            .await?;
    }
    for q in &held {
        outln!(
            "  quarantined by run {} at {} (seen {}): {}",
            q.run,
            q.at.format("%Y-%m-%d %H:%M:%S"),
            crate::plural::count(q.seen, "time"),
            q.reason
        );
        for v in &q.violations {
            outln!(
                "    {}: {}",
                if v.pointer.is_empty() {
                    "(record)"
                } else {
                    &v.pointer
                },
                v.message
            );
        }
    }
    store.close().await;
    Ok(if stored.is_none() && held.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A mapped value as the store keeps it: booleans as 0/1, objects and arrays
/// as JSON text (so an unchanged map compares equal).
fn as_stored(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::from(i64::from(*b)),
        Value::Array(_) | Value::Object(_) => Value::String(v.to_string()),
        other => other.clone(),
    }
}
