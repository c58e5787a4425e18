//! Streams read by a custom source (`source:`): a name, a schedule, and
//! none of the keys that describe how a declarative stream reads.

use super::context::Ctx;
use super::names;
use crate::model::CustomStream;
use crate::raw::RawStream;

/// Checks stream `name` (the `position`th entry under `streams:`), which
/// has `source:`; `None` when it has problems (they are in `ctx`).
pub(crate) fn stream(
    ctx: &mut Ctx<'_>,
    position: usize,
    name: &str,
    raw: &RawStream,
) -> Option<CustomStream> {
    let path = format!("streams.{name}");
    let name_ok = names::identifier(ctx, &path, name, "stream name");
    let source = raw.source.as_deref().unwrap_or_default();
    let source_at = format!("{path}.source");
    let source_ok = !source.trim().is_empty();
    if !source_ok {
        ctx.error(
            &source_at,
            "empty `source`",
            "name a custom source compiled into this holdfast, e.g. `source: legacy_erp`",
        );
    }
    let mut keys_ok = true;
    for key in declarative_keys(raw) {
        ctx.error_at_key(
            &format!("{path}.{key}"),
            format!(
                "`{key}` does not apply to stream `{name}`: the custom source `{source}` reads it"
            ),
            format!(
                "remove `{key}:`; a stream with `source:` takes only `schedule:` besides (its \
                 table and primary key come from the source)"
            ),
        );
        keys_ok = false;
    }
    let schedule = raw
        .schedule
        .as_ref()
        .map(|s| super::schedule::schedule(ctx, &format!("{path}.schedule"), s));
    if !(name_ok && source_ok && keys_ok) {
        return None;
    }
    Some(CustomStream {
        name: name.to_owned(),
        source: source.to_owned(),
        schedule: super::values::optional(schedule)?,
        position,
        at: ctx.position(&source_at),
    })
}

/// The keys of `raw` that only a declarative stream takes, in file-format order.
fn declarative_keys(raw: &RawStream) -> Vec<&'static str> {
    let present = [
        ("connection", raw.connection.is_some()),
        ("request", raw.request.is_some()),
        ("paginate", raw.paginate.is_some()),
        ("format", raw.format.is_some()),
        ("records", raw.records.is_some()),
        ("bulk", raw.bulk.is_some()),
        ("primary_key", raw.primary_key.is_some()),
        ("incremental", raw.incremental.is_some()),
        ("for_each", raw.for_each.is_some()),
        ("into", raw.into.is_some()),
        ("schema", raw.schema.is_some()),
        ("on_invalid", raw.on_invalid.is_some()),
        ("contract", raw.contract.is_some()),
        ("map", !raw.map.0.is_empty()),
        ("stale_after", raw.stale_after.is_some()),
        ("deleted_when", raw.deleted_when.is_some()),
        ("deletes", raw.deletes.is_some()),
        ("reconcile", raw.reconcile.is_some()),
    ];
    present
        .into_iter()
        .filter(|(_, there)| *there)
        .map(|(key, _)| key)
        .collect()
}
