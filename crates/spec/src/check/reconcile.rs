//! A stream's deletions and safety net: `deleted_when:` (how the API marks
//! a deleted record) and `reconcile:` (a full scan diffed against the table).

use std::time::Duration;

use super::context::Ctx;
use super::{templates, values};
use crate::model::{KeyScan, MaxDelete, Missing, Reconcile, Template};
use crate::raw::{RawReconcile, RawSchedule, Scalar};

/// What `deleted_when:` may read.
const RECORD_SCOPE: &[&str] = &["record"];

/// Checks `streams.NAME.deleted_when`.
pub(crate) fn deleted_when(ctx: &mut Ctx<'_>, path: &str, source: &str) -> Option<Template> {
    let path = format!("{path}.deleted_when");
    let example = "record.archived == true";
    if !templates::no_braces(ctx, &path, ("deleted_when", "a condition"), source, example) {
        return None;
    }
    let before = ctx.error_count();
    let t = templates::condition(ctx, &path, source, RECORD_SCOPE, example);
    (ctx.error_count() == before).then_some(t)
}

/// Checks `streams.NAME.reconcile`.
pub(crate) fn reconcile(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: &RawReconcile,
    child: bool,
) -> Option<Reconcile> {
    let path = format!("{path}.reconcile");
    let keys_only = key_scan(ctx, &path, raw, child);
    let schedule = if raw.every.is_some() || raw.cron.is_some() {
        let as_schedule = RawSchedule {
            every: raw.every.clone(),
            cron: raw.cron.clone(),
            timezone: raw.timezone.clone(),
            jitter: raw.jitter.clone(),
            windows: None,
            windows_apply_to: None,
            blackout: None,
        };
        Some(super::schedule::schedule(ctx, &path, &as_schedule))
    } else {
        for (key, set) in [
            ("timezone", raw.timezone.is_some()),
            ("jitter", raw.jitter.is_some()),
        ] {
            if set {
                ctx.error(
                    &format!("{path}.{key}"),
                    format!("`{key}:` needs `every:` or `cron:` beside it"),
                    "add `every: 24h` (or `cron: \"0 3 * * *\"`), or remove it",
                );
            }
        }
        None
    };
    let missing = match raw.missing.as_deref().map(str::trim) {
        None | Some("soft_delete") => Some(Missing::SoftDelete),
        Some("hard_delete") => Some(Missing::HardDelete),
        Some("report") => Some(Missing::Report),
        Some(other) => {
            ctx.error(
                &format!("{path}.missing"),
                format!("unknown `missing: {other}`"),
                "use `soft_delete` (rows kept as tombstones), `hard_delete` (rows removed) \
                 or `report` (counted only)",
            );
            None
        }
    };
    let max_delete = match &raw.max_delete {
        None => Some(MaxDelete::default()),
        Some(v) => max_delete(ctx, &format!("{path}.max_delete"), v),
    };
    let grace = values::duration(
        ctx,
        &format!("{path}.grace"),
        raw.grace.as_ref(),
        Duration::ZERO,
    );
    Some(Reconcile {
        schedule: values::optional(schedule)?,
        missing: missing?,
        max_delete: max_delete?,
        grace: grace?,
        keys_only: keys_only?,
    })
}

/// `keys_only:` and `scan:` as a [`KeyScan`]; `Some(None)`: full records.
fn key_scan(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: &RawReconcile,
    child: bool,
) -> Option<Option<KeyScan>> {
    if raw.keys_only.is_none() && raw.scan.is_none() {
        return Some(None);
    }
    let key = if raw.scan.is_some() {
        "scan"
    } else {
        "keys_only"
    };
    if child {
        ctx.error(
            &format!("{path}.{key}"),
            format!("`{key}:` applies to streams without `for_each:`"),
            "remove it: a child stream is reconciled with full records",
        );
        return None;
    }
    let params: Vec<(String, String)> = raw
        .keys_only
        .iter()
        .flat_map(|p| p.0.iter())
        .map(|(k, Scalar(v))| (k.clone(), v.clone()))
        .collect();
    if raw.scan.is_none() && params.is_empty() {
        ctx.error(
            &format!("{path}.keys_only"),
            "`keys_only:` is empty: the scan would read full records anyway",
            "give the parameters that ask for keys only, e.g. `keys_only: { fields: id }`",
        );
        return None;
    }
    let scan = match raw.scan.as_deref().map(str::trim) {
        None => None,
        Some(p) if p.starts_with('/') && !p.contains("{{") && !p.contains('?') => {
            Some(p.to_owned())
        }
        Some(p) => {
            ctx.error(
                &format!("{path}.scan"),
                format!("`scan: {p}` is not a path"),
                "write the path of an endpoint that lists the keys, starting with `/` and \
                 without a query (parameters go in `keys_only:`), e.g. `scan: /contacts/ids`",
            );
            return None;
        }
    };
    Some(Some(KeyScan { path: scan, params }))
}

/// `5%`, `500`, or `5% or 500`.
fn max_delete(ctx: &mut Ctx<'_>, path: &str, raw: &Scalar) -> Option<MaxDelete> {
    let help = "write a share of the live rows (`5%`), a count (`500`), or both (`5% or 500`)";
    let mut limit = MaxDelete {
        share: 1.0,
        count: u64::MAX,
    };
    let text = raw.0.trim();
    let parts: Vec<&str> = text.split(" or ").map(str::trim).collect();
    if parts.len() > 2 || text.is_empty() {
        ctx.error(path, format!("`max_delete: {text}` is not a limit"), help);
        return None;
    }
    let (mut shares, mut counts) = (0, 0);
    for part in parts {
        if let Some(number) = part.strip_suffix('%') {
            match number.trim().parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => limit.share = p / 100.0,
                _ => {
                    ctx.error(
                        path,
                        format!("`{part}` is not a share from 0% to 100%"),
                        help,
                    );
                    return None;
                }
            }
            shares += 1;
        } else {
            match part.parse::<u64>() {
                Ok(n) => limit.count = n,
                Err(_) => {
                    ctx.error(path, format!("`{part}` is not a share or a count"), help);
                    return None;
                }
            }
            counts += 1;
        }
    }
    if shares > 1 || counts > 1 {
        ctx.error(
            path,
            format!("`max_delete: {text}` gives two limits of the same kind"),
            help,
        );
        return None;
    }
    Some(limit)
}

/// Resolves each tombstone endpoint (`deletes:`) against the stream it
/// deletes from: that stream exists, is not itself one, has the same
/// primary key fields; the endpoint writes into its table. Keys that do
/// not apply to an endpoint are refused.
pub(crate) fn tombstone_endpoints(
    ctx: &mut Ctx<'_>,
    streams: &mut [crate::model::Stream],
    raw: &crate::raw::Entries<crate::raw::RawStream>,
) {
    let targets: Vec<(String, String, Vec<String>, bool)> = streams
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                s.into.clone(),
                s.primary_key.clone(),
                s.deletes.is_some(),
            )
        })
        .collect();
    for s in streams.iter_mut() {
        let Some(target) = s.deletes.clone() else {
            continue;
        };
        let path = format!("streams.{}.deletes", s.name);
        let given = raw.0.iter().find(|(n, _)| *n == s.name).map(|(_, r)| r);
        if let Some(r) = given {
            for (key, set) in [
                ("into", r.into.is_some()),
                ("map", !r.map.0.is_empty()),
                ("deleted_when", r.deleted_when.is_some()),
                ("reconcile", r.reconcile.is_some()),
            ] {
                if set {
                    ctx.error(
                        &format!("streams.{}.{key}", s.name),
                        format!(
                            "`{key}:` does not apply to a tombstone endpoint (`deletes: {target}`)"
                        ),
                        format!(
                            "remove it: every record this stream reads marks a row of `{target}` \
                             deleted, in `{target}`'s table"
                        ),
                    );
                }
            }
        }
        let Some((_, into, key, is_endpoint)) = targets.iter().find(|t| t.0 == target) else {
            let names = targets.iter().filter(|t| !t.3).map(|t| t.0.as_str());
            let help = format!(
                "name the stream whose rows this endpoint deletes{}",
                super::names::suggestion(&target, names)
            );
            ctx.error(&path, format!("unknown stream `{target}`"), help);
            continue;
        };
        if target == s.name || *is_endpoint {
            ctx.error(
                &path,
                format!("`{target}` is itself a tombstone endpoint (or this stream)"),
                "name the stream that holds the records, e.g. `deletes: contacts`",
            );
            continue;
        }
        if *key != s.primary_key {
            ctx.error(
                &format!("streams.{}.primary_key", s.name),
                format!(
                    "a tombstone endpoint of `{target}` needs its primary key ({}), found {}",
                    key.join(", "),
                    s.primary_key.join(", ")
                ),
                format!("use `primary_key: {}`", key.join(", ")),
            );
            continue;
        }
        s.into = into.clone();
    }
}
