//! Writing folded plans: one `INSERT` for a table's new keys and one
//! `UPDATE` for its existing ones, whatever the batch size.

use chrono::{DateTime, Utc};
use holdfast_store::{RunId, StoreError, TableSpec};
use sqlx::postgres::{PgArguments, PgConnection};
use sqlx::{Arguments, AssertSqlSafe};

use super::Prepared;
use super::plan::{Deleted, Plan};
use crate::error::{bind_err, db_err};
use crate::table::{quote, sql_type};

/// Writes the `plans` of `table` (each with the parameters of its key and
/// of the event that set its content).
pub(super) async fn write(
    conn: &mut PgConnection,
    table: &TableSpec,
    plans: &[(&Plan, &Prepared, Option<&Prepared>)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let context = format!("applying events to `{}`", table.name);
    let nk = table.primary_key.len();
    let nm = table.columns.len();
    let written = || plans.iter().filter(|(p, _, _)| p.last_change.is_some());

    let inserts: Vec<_> = written().filter(|(p, _, _)| !p.existed).collect();
    if !inserts.is_empty() {
        let mut keys = vec![Vec::new(); nk];
        let mut mapped = vec![Vec::new(); nm];
        let (mut raw, mut version, mut deleted, mut change) = (vec![], vec![], vec![], vec![]);
        for (plan, key, content) in &inserts {
            for (column, k) in keys.iter_mut().zip(&key.keys) {
                column.push(k.clone());
            }
            let content = content.unwrap_or(key);
            raw.push(content.raw_text.clone());
            for (column, m) in mapped.iter_mut().zip(&content.mapped) {
                column.push(m.clone());
            }
            version.push(plan.version());
            deleted.push(plan.deleted == Deleted::Now);
            change.push(plan.last_change.map_or(1, |c| c.code() as i32));
        }
        let mut args = PgArguments::default();
        args.add(now).map_err(bind_err(&context))?;
        for column in keys {
            args.add(column).map_err(bind_err(&context))?;
        }
        args.add(raw).map_err(bind_err(&context))?;
        for column in mapped {
            args.add(column).map_err(bind_err(&context))?;
        }
        args.add(version).map_err(bind_err(&context))?;
        args.add(deleted).map_err(bind_err(&context))?;
        args.add(change).map_err(bind_err(&context))?;
        sqlx::query_with(AssertSqlSafe(insert_sql(table)), args)
            .execute(&mut *conn)
            .await
            .map_err(db_err(&context))?;
    }

    let updates: Vec<_> = written().filter(|(p, _, _)| p.existed).collect();
    if !updates.is_empty() {
        let mut keys = vec![Vec::new(); nk];
        let mut mapped = vec![Vec::new(); nm];
        let (mut has_content, mut raw, mut version) = (vec![], vec![], vec![]);
        let (mut deleted, mut updated, mut change) = (vec![], vec![], vec![]);
        for (plan, key, content) in &updates {
            for (column, k) in keys.iter_mut().zip(&key.keys) {
                column.push(k.clone());
            }
            has_content.push(content.is_some());
            raw.push(content.map(|c| c.raw_text.clone()));
            for (i, column) in mapped.iter_mut().enumerate() {
                column.push(content.and_then(|c| c.mapped[i].clone()));
            }
            version.push(plan.version());
            deleted.push(plan.deleted as i32);
            updated.push(plan.updated);
            change.push(plan.last_change.map_or(0, |c| c.code() as i32));
        }
        let mut args = PgArguments::default();
        args.add(now).map_err(bind_err(&context))?;
        for column in keys {
            args.add(column).map_err(bind_err(&context))?;
        }
        args.add(has_content).map_err(bind_err(&context))?;
        args.add(raw).map_err(bind_err(&context))?;
        for column in mapped {
            args.add(column).map_err(bind_err(&context))?;
        }
        args.add(version).map_err(bind_err(&context))?;
        args.add(deleted).map_err(bind_err(&context))?;
        args.add(updated).map_err(bind_err(&context))?;
        args.add(change).map_err(bind_err(&context))?;
        sqlx::query_with(AssertSqlSafe(update_sql(table)), args)
            .execute(&mut *conn)
            .await
            .map_err(db_err(&context))?;
    }
    Ok(())
}

/// `$1` now; text arrays: keys, raw, mapped, version; then deleted (bool)
/// and last change (int).
fn insert_sql(table: &TableSpec) -> String {
    let name = quote(&table.name);
    let (nk, nm) = (table.primary_key.len(), table.columns.len());
    let mut columns: Vec<String> = table.primary_key.iter().map(|c| quote(c)).collect();
    let mut selects: Vec<String> = (0..nk).map(|i| format!("u.k{i}::jsonb")).collect();
    let mut aliases: Vec<String> = (0..nk).map(|i| format!("k{i}")).collect();
    columns.push("_raw".into());
    selects.push("u.raw::jsonb".into());
    aliases.push("raw".into());
    for (i, c) in table.columns.iter().enumerate() {
        columns.push(quote(&c.name));
        selects.push(format!("u.m{i}::{}", sql_type(c.kind)));
        aliases.push(format!("m{i}"));
    }
    aliases.extend(["version", "deleted", "change"].map(String::from));
    let mut arrays: Vec<String> = (0..nk + 1 + nm + 1)
        .map(|i| format!("${}::text[]", i + 2))
        .collect();
    arrays.push(format!("${}::bool[]", nk + nm + 4));
    arrays.push(format!("${}::int4[]", nk + nm + 5));
    format!(
        "INSERT INTO {name} ({}, _version, _deleted_at, _first_seen, _updated_at, _updated_run, \
         _last_seen, _last_run, _last_change) \
         SELECT {}, u.version, CASE WHEN u.deleted THEN $1::timestamptz END, $1, $1, {w}, $1, \
         {w}, u.change FROM UNNEST({}) AS u({})",
        columns.join(", "),
        selects.join(", "),
        arrays.join(", "),
        aliases.join(", "),
        w = RunId::WEBHOOK.0,
    )
}

/// `$1` now; text arrays: keys; bool: has content; text arrays: raw,
/// mapped, version; then deleted (int: 0 no, 1 keep, 2 now), updated (bool),
/// last change (int).
fn update_sql(table: &TableSpec) -> String {
    let name = quote(&table.name);
    let (nk, nm) = (table.primary_key.len(), table.columns.len());
    let mut arrays: Vec<String> = (0..nk).map(|i| format!("${}::text[]", i + 2)).collect();
    let mut aliases: Vec<String> = (0..nk).map(|i| format!("k{i}")).collect();
    arrays.push(format!("${}::bool[]", nk + 2));
    aliases.push("content".into());
    for i in 0..nm + 2 {
        arrays.push(format!("${}::text[]", nk + 3 + i));
    }
    aliases.push("raw".into());
    aliases.extend((0..nm).map(|i| format!("m{i}")));
    aliases.push("version".into());
    arrays.push(format!("${}::int4[]", nk + nm + 5));
    arrays.push(format!("${}::bool[]", nk + nm + 6));
    arrays.push(format!("${}::int4[]", nk + nm + 7));
    aliases.extend(["deleted", "updated", "change"].map(String::from));
    let mapped: String = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let q = quote(&c.name);
            format!(
                "{q} = CASE WHEN u.content THEN u.m{i}::{} ELSE t.{q} END, ",
                sql_type(c.kind)
            )
        })
        .collect();
    let matches: Vec<String> = table
        .primary_key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("t.{} = u.k{i}::jsonb", quote(k)))
        .collect();
    format!(
        "UPDATE {name} AS t SET \
         _raw = CASE WHEN u.content THEN u.raw::jsonb ELSE t._raw END, {mapped}\
         _version = u.version, \
         _deleted_at = CASE u.deleted WHEN 0 THEN NULL WHEN 1 THEN COALESCE(t._deleted_at, $1) \
         ELSE $1 END, \
         _updated_at = CASE WHEN u.updated THEN $1 ELSE t._updated_at END, \
         _updated_run = CASE WHEN u.updated THEN {w} ELSE t._updated_run END, \
         _last_seen = $1, _last_run = {w}, _last_change = u.change \
         FROM UNNEST({}) AS u({}) WHERE {}",
        arrays.join(", "),
        aliases.join(", "),
        matches.join(" AND "),
        w = RunId::WEBHOOK.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use holdfast_store::{Column, ColumnKind};

    fn table() -> TableSpec {
        let mut t = TableSpec::new("t", vec!["a".into(), "b".into()]);
        t.columns.push(Column {
            name: "m".into(),
            kind: ColumnKind::Integer,
        });
        t
    }

    #[test]
    fn insert_unnests_every_column() {
        let sql = insert_sql(&table());
        assert!(
            sql.contains(
                "UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
                 $7::bool[], $8::int4[]) AS u(k0, k1, raw, m0, version, deleted, change)"
            ),
            "{sql}"
        );
        assert!(sql.contains("u.m0::bigint"), "{sql}");
    }

    #[test]
    fn update_keeps_what_the_batch_did_not_set() {
        let sql = update_sql(&table());
        assert!(
            sql.contains(
                "UNNEST($2::text[], $3::text[], $4::bool[], $5::text[], $6::text[], \
                 $7::text[], $8::int4[], $9::bool[], $10::int4[]) \
                 AS u(k0, k1, content, raw, m0, version, deleted, updated, change)"
            ),
            "{sql}"
        );
        assert!(sql.contains("\"m\" = CASE WHEN u.content THEN u.m0::bigint ELSE t.\"m\" END"));
        assert!(
            sql.ends_with("t.\"a\" = u.k0::jsonb AND t.\"b\" = u.k1::jsonb"),
            "{sql}"
        );
    }
}
