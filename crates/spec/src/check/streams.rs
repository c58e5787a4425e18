//! Streams: connection, request, records, keys, incremental, table, and
//! what is kept of each record (schema, `map`).

use std::time::Duration;

use super::context::Ctx;
use super::map::map;
use super::names::{self, suggestion};
use super::paginate::paginate;
use super::schema::{contract, on_invalid, schema};
use super::values;
use crate::model::{ForEach, Format, Incremental, Paginate, Path, Request, Strategy, Stream};
use crate::raw::{OneOrMany, RawForEach, RawIncremental, RawStream};
use crate::schema_files::SchemaFiles;

/// What a stream may refer to: names other parts of the file define, and
/// the schema files read for it.
pub(crate) struct Known<'r> {
    pub(crate) connections: Vec<&'r str>,
    pub(crate) streams: Vec<&'r str>,
    pub(crate) schemas: &'r SchemaFiles,
}

/// Checks one stream; `None` when it has problems (they are in `ctx`).
pub(crate) fn stream(
    ctx: &mut Ctx<'_>,
    name: &str,
    raw: &RawStream,
    known: &Known<'_>,
) -> Option<Stream> {
    let path = format!("streams.{name}");
    let name_ok = names::identifier(ctx, &path, name, "stream name");
    let connection = connection(ctx, &path, raw.connection.as_ref(), known);
    let for_each = raw
        .for_each
        .as_ref()
        .map(|f| for_each(ctx, &path, name, f, known));
    // the alias is usable in templates even when the parent is wrong, so
    // that one mistake is reported once
    let alias = raw.for_each.as_ref().and_then(|f| f.alias.as_deref());
    let mut scope = vec!["cursor", "env", "secret"];
    scope.extend(alias.filter(|a| names::is_identifier(a) && !scope.contains(a)));
    scope.sort_unstable();
    let bulk = raw
        .bulk
        .as_ref()
        .map(|b| super::bulk::bulk(ctx, &format!("{path}.bulk"), b, &scope));
    let format = super::format::format(ctx, &path, raw.format.as_ref());
    let mut alone = true;
    let (request, paginate, records) = match &bulk {
        Some(bulk) => {
            alone = super::bulk::exclusive(
                ctx,
                &path,
                &[
                    ("request", raw.request.is_some()),
                    ("paginate", raw.paginate.is_some()),
                    ("records", raw.records.is_some()),
                    ("for_each", raw.for_each.is_some()),
                ],
            );
            bulk_stand_ins(bulk.as_ref())
        }
        None => {
            let request = ctx
                .require(
                    raw.request.as_ref(),
                    &path,
                    "request",
                    "{ path: /v2/items }",
                )
                .and_then(|r| super::request::request(ctx, &format!("{path}.request"), r, &scope));
            let has_body = raw
                .request
                .as_ref()
                .is_some_and(|r| r.json.is_some() || r.graphql.is_some() || r.body.is_some());
            let paginate = paginate(
                ctx,
                &format!("{path}.paginate"),
                raw.paginate.as_ref(),
                has_body,
            );
            if let (Some(r), Some(p)) = (&request, &paginate) {
                super::paginate::fits_body(ctx, &format!("{path}.paginate"), p, r.body.as_ref());
            }
            let records = records(ctx, &path, raw, format.as_ref());
            (request, paginate, records)
        }
    };
    let primary_key = primary_key(ctx, &path, raw.primary_key.as_ref());
    let incremental = raw.incremental.as_ref().map(|i| incremental(ctx, &path, i));
    let schema = schema(ctx, &path, raw.schema.as_ref(), known.schemas);
    let on_invalid = on_invalid(ctx, &path, raw.on_invalid.as_ref());
    let contract = contract(ctx, &path, raw.contract.as_ref());
    let key_fields = raw.primary_key.as_ref().map_or(&[][..], |k| &k.0[..]);
    let map = map(ctx, &path, &raw.map, key_fields);
    let schedule = raw
        .schedule
        .as_ref()
        .map(|s| super::schedule::schedule(ctx, &format!("{path}.schedule"), s));
    let stale_after = raw.stale_after.as_ref().map(|v| {
        values::positive_duration(
            ctx,
            &format!("{path}.stale_after"),
            Some(v),
            std::time::Duration::ZERO,
        )
    });
    let deleted_when = raw
        .deleted_when
        .as_ref()
        .map(|w| super::reconcile::deleted_when(ctx, &path, w));
    let reconcile = raw
        .reconcile
        .as_ref()
        .map(|r| super::reconcile::reconcile(ctx, &path, r, raw.for_each.is_some()));
    let into = raw.into.clone().unwrap_or_else(|| name.to_owned());
    // a bad stream name used as the table name is reported once, as a name
    let into_ok =
        (raw.into.is_none() && !name_ok) || names::table(ctx, &format!("{path}.into"), &into);
    if !(name_ok && into_ok && alone) {
        return None;
    }
    Some(Stream {
        name: name.to_owned(),
        connection: connection?,
        request: request?,
        paginate: paginate?,
        format: format?,
        records: records?,
        primary_key: primary_key?,
        incremental: values::optional(incremental)?,
        for_each: values::optional(for_each)?,
        into,
        schema: schema?,
        on_invalid: on_invalid?,
        contract: contract?,
        map: map?,
        schedule: values::optional(schedule)?,
        bulk: values::optional(bulk)?,
        stale_after: values::optional(stale_after)?,
        deleted_when: values::optional(deleted_when)?,
        deletes: raw.deletes.clone(),
        reconcile: values::optional(reconcile)?,
    })
}

/// `records:`, or its default for a format whose body is rows (`$[*]`
/// for jsonl and csv, the element path's for xml).
fn records(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: &RawStream,
    format: Option<&Format>,
) -> Option<Path> {
    if let Some(source) = &raw.records {
        return values::json_path(ctx, &format!("{path}.records"), source);
    }
    let default = match format {
        Some(Format::Jsonl | Format::Csv(_)) => Some("$[*]".to_owned()),
        Some(Format::Xml(xml)) => xml.records_json_path(),
        Some(Format::Json) => None,
        // a bad format is reported already
        None if raw.format.is_some() => return None,
        None => None,
    };
    match default {
        Some(source) => values::json_path(ctx, &format!("{path}.format"), &source),
        None => {
            ctx.missing(path, "records", "\"$.data[*]\"");
            None
        }
    }
}

/// What a bulk stream holds in `request`, `paginate` and `records`: the
/// create request, no pagination, the whole record.
fn bulk_stand_ins(
    bulk: Option<&crate::model::Bulk>,
) -> (Option<Request>, Option<Paginate>, Option<Path>) {
    let Some(bulk) = bulk else {
        return (None, None, None);
    };
    let request = Request {
        method: bulk.create.method,
        path: bulk.create.path.clone(),
        params: bulk.create.params.clone(),
        headers: bulk.create.headers.clone(),
        body: None,
    };
    let paginate = Paginate {
        strategy: Strategy::None,
        stop_when: None,
        max_pages: None,
        expect_more: None,
        expect_total: None,
    };
    (Some(request), Some(paginate), Path::parse("$").ok())
}

/// Reports a second stream writing to a table another stream already uses
/// (a tombstone endpoint, `deletes:`, shares its stream's on purpose).
pub(crate) fn shared_tables(ctx: &mut Ctx<'_>, streams: &[Stream]) {
    for (i, s) in streams.iter().enumerate() {
        if s.deletes.is_some() {
            continue;
        }
        if let Some(first) = streams[..i]
            .iter()
            .find(|o| o.into == s.into && o.deletes.is_none())
        {
            ctx.error(
                &format!("streams.{}.into", s.name),
                format!(
                    "table `{}` is already used by stream `{}`",
                    s.into, first.name
                ),
                format!("give each stream its own table, e.g. `into: {}`", s.name),
            );
        }
    }
}

/// Checks a `connection:` reference names a declared connection.
pub(crate) fn connection(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: Option<&String>,
    known: &Known<'_>,
) -> Option<String> {
    let name = ctx.require(
        raw,
        path,
        "connection",
        known.connections.first().unwrap_or(&"crm"),
    )?;
    if known.connections.contains(&name.as_str()) {
        return Some(name.clone());
    }
    let help = if known.connections.is_empty() {
        "declare it under `connections:` with a `base_url`".to_owned()
    } else {
        let near = suggestion(name, known.connections.iter().copied());
        if near.is_empty() {
            let list: Vec<String> = known.connections.iter().map(|c| format!("`{c}`")).collect();
            format!("use a name under `connections:`: {}", list.join(", "))
        } else {
            format!("use a name under `connections:`{near}")
        }
    };
    ctx.error(
        &format!("{path}.connection"),
        format!("unknown connection `{name}`"),
        help,
    );
    None
}

fn primary_key(ctx: &mut Ctx<'_>, path: &str, raw: Option<&OneOrMany>) -> Option<Vec<String>> {
    let OneOrMany(fields) = ctx.require(raw, path, "primary_key", "id")?;
    let key_path = format!("{path}.primary_key");
    if fields.is_empty() {
        ctx.error(
            &key_path,
            "`primary_key` is empty",
            "name the field that identifies a record, e.g. `primary_key: id`",
        );
        return None;
    }
    let mut ok = true;
    for (i, field) in fields.iter().enumerate() {
        let item = if fields.len() == 1 {
            key_path.clone()
        } else {
            format!("{key_path}[{i}]")
        };
        if field.trim().is_empty() {
            ctx.error(
                &item,
                "empty field name in `primary_key`",
                "name a top-level record field, e.g. `id`",
            );
            ok = false;
        } else if fields[..i].contains(field) {
            ctx.error(
                &item,
                format!("`{field}` is listed twice in `primary_key`"),
                "list each field once",
            );
            ok = false;
        }
    }
    ok.then(|| fields.clone())
}

fn incremental(ctx: &mut Ctx<'_>, path: &str, raw: &RawIncremental) -> Option<Incremental> {
    let path = format!("{path}.incremental");
    let field = ctx.require(
        raw.cursor_field.as_ref(),
        &path,
        "cursor_field",
        "updated_at",
    );
    if field.is_some_and(|f| f.trim().is_empty()) {
        ctx.error(
            &format!("{path}.cursor_field"),
            "empty `cursor_field`",
            "name the record field that holds the cursor, e.g. `updated_at`",
        );
        return None;
    }
    let lookback = values::duration(
        ctx,
        &format!("{path}.lookback"),
        raw.lookback.as_ref(),
        Duration::ZERO,
    );
    let cursor_format = super::cursor::cursor_format(
        ctx,
        &format!("{path}.cursor_format"),
        raw.cursor_format.as_deref(),
    );
    Some(Incremental {
        cursor_field: field?.clone(),
        lookback: lookback?,
        cursor_format: cursor_format?,
    })
}

fn for_each(
    ctx: &mut Ctx<'_>,
    path: &str,
    name: &str,
    raw: &RawForEach,
    known: &Known<'_>,
) -> Option<ForEach> {
    let path = format!("{path}.for_each");
    let parent = ctx.require(raw.stream.as_ref(), &path, "stream", "contacts");
    let parent = parent.and_then(|parent| {
        let at = format!("{path}.stream");
        if parent == name {
            ctx.error(
                &at,
                format!("stream `{name}` cannot be its own parent"),
                "name another stream in `for_each.stream`, or remove `for_each`",
            );
            None
        } else if !known.streams.contains(&parent.as_str()) {
            let near = suggestion(parent, known.streams.iter().copied());
            ctx.error(
                &at,
                format!("unknown stream `{parent}`"),
                format!("use a name under `streams:`{near}"),
            );
            None
        } else {
            Some(parent.clone())
        }
    });
    let alias = ctx.require(raw.alias.as_ref(), &path, "as", "contact");
    let alias = alias.filter(|a| names::identifier(ctx, &format!("{path}.as"), a, "`as` name"));
    let alias = alias.filter(|a| {
        let reserved = matches!(a.as_str(), "env" | "cursor" | "secret");
        if reserved {
            ctx.error(
                &format!("{path}.as"),
                format!("`as: {a}` hides the template variable `{a}`"),
                "choose another name, e.g. the parent record's singular (`contact`)",
            );
        }
        !reserved
    });
    Some(ForEach {
        stream: parent?,
        alias: alias?.clone(),
    })
}

#[cfg(test)]
mod tests;
