//! `holdfast check --sample`: each stream's `map:` tried on its first page.

use std::collections::HashMap;

use holdfast_engine::sync::{PlanError, plan};
use holdfast_engine::{ReadScope, Source, StreamInfo};
use serde_json::Value;

/// Reads the first page of each selected stream (all when `selected` is
/// empty) and reports, per stream, the `map:` paths that matched nothing in
/// it and cursors that `lookback` could not move back. Nothing is stored.
///
/// # Errors
/// An unknown stream name. `Ok(true)` when any stream had a problem.
pub(crate) async fn sample(source: &dyn Source, selected: &[String]) -> Result<bool, PlanError> {
    let streams = plan(source.streams(), selected)?;
    let mut firsts: HashMap<String, Option<Value>> = HashMap::new();
    let mut failed = false;
    for info in &streams {
        let parent = match &info.parent {
            None => None,
            Some(p) => {
                if !firsts.contains_key(&p.stream) {
                    let page = first_page(source, &p.stream, None).await;
                    firsts.insert(
                        p.stream.clone(),
                        page.ok().and_then(|r| r.into_iter().next()),
                    );
                }
                match firsts.get(&p.stream).cloned().flatten() {
                    Some(record) => Some(record),
                    None => {
                        outln!(
                            "skipped: stream `{}`: its parent `{}` gave no record on its first page to read it for",
                            info.name,
                            p.stream
                        );
                        continue;
                    }
                }
            }
        };
        let records = match first_page(source, &info.name, parent).await {
            Ok(records) => records,
            Err(e) => {
                errln!(
                    "error: stream `{}`: reading its first page failed: {e}",
                    info.name
                );
                failed = true;
                continue;
            }
        };
        firsts.insert(info.name.clone(), records.first().cloned());
        failed |= report(info, &records);
    }
    Ok(failed)
}

/// The records of `stream`'s first page (`parent`: the parent record of a child stream).
async fn first_page(
    source: &dyn Source,
    stream: &str,
    parent: Option<Value>,
) -> Result<Vec<Value>, holdfast_engine::SourceError> {
    let scope = ReadScope {
        parent,
        ..ReadScope::default()
    };
    let mut reader = source.read(stream, scope)?;
    Ok(reader.read_page(&Value::Null).await?.records)
}

/// Prints what the sample shows about `info`; true when something is wrong.
fn report(info: &StreamInfo, records: &[Value]) -> bool {
    let name = &info.name;
    let n = records.len();
    let of = format!(
        "{n} record{} of its first page",
        if n == 1 { "" } else { "s" }
    );
    if records.is_empty() {
        outln!(
            "warning: stream `{name}`: its first page had no records, so its map could not be tried"
        );
        return false;
    }
    let mut failed = false;
    for (column, path) in info.rules.empty_paths(records) {
        errln!(
            "error: stream `{name}`: map path `{path}` (column `{column}`) matched nothing in the {of}; \
             fix `streams.{name}.map.{column}` (`holdfast explain {name} ID` shows a stored record \
             and where each column came from)"
        );
        failed = true;
    }
    if let Some(field) = &info.cursor_field
        && !info.lookback.is_zero()
        && let Some(bad) = records
            .iter()
            .filter_map(|r| r.get(field))
            .find_map(|v| holdfast_records::cursor_readable(&info.cursor_format, v).err())
    {
        errln!(
            "error: stream `{name}`: `{field}`: {bad}, so `lookback` cannot move it back; name its \
             form with `incremental: {{ cursor_format: ... }}` (a strftime pattern, or rfc3339, \
             epoch_seconds, epoch_millis)"
        );
        failed = true;
    }
    if !failed {
        outln!("ok: stream `{name}`: every map path matched in the {of}");
    }
    failed
}
