//! Templates: compile each with minijinja and check the variables it reads
//! are available where it is used, that every `env.NAME` is set and, once
//! secrets are loaded, that every `secret.NAME` exists.

use std::collections::BTreeSet;

use minijinja::machinery;

use super::closed::Walk;
use super::context::Ctx;
use super::names::suggestion;
use crate::model::Template;
use crate::raw::{Entries, Scalar};

/// What templates in a connection (and a webhook's `verify.secret`) may read.
pub(crate) const CONNECTION_SCOPE: &[&str] = &["env", "secret"];
/// What `store:` may read: not secrets, which are kept in the store.
pub(crate) const STORE_SCOPE: &[&str] = &["env"];
/// What a `stop_when:` condition may read.
pub(crate) const STOP_WHEN_SCOPE: &[&str] = &["body", "headers", "page", "records"];
/// What an `errors:` rule's `when:` condition may read.
pub(crate) const ERROR_RULE_SCOPE: &[&str] = &["body", "headers", "status"];

/// Checks a `{{ … }}` template; it is returned even when broken, so checking
/// goes on (the problems are in `ctx`).
pub(crate) fn template(ctx: &mut Ctx<'_>, path: &str, source: &str, scope: &[&str]) -> Template {
    let parsed = machinery::parse(source, "<template>", Default::default());
    match parsed {
        Ok(t) => variables(ctx, path, source, Walk::template(&t), scope),
        Err(e) => syntax(
            ctx,
            path,
            source,
            &e,
            "templates use Jinja syntax, e.g. `{{ env.CRM_URL }}`",
        ),
    }
    Template::new(source)
}

/// What a `map:` column's `expr:` may read.
pub(crate) const EXPR_SCOPE: &[&str] = &["record"];
/// What a `transform:` expression may read.
pub(crate) const TRANSFORM_SCOPE: &[&str] = &["record", "value"];

/// Checks a bare Jinja expression such as `page >= 10` (no braces);
/// `example` is a condition shown in the help of a syntax error.
pub(crate) fn condition(
    ctx: &mut Ctx<'_>,
    path: &str,
    source: &str,
    scope: &[&str],
    example: &str,
) -> Template {
    let help = format!("write a Jinja condition, e.g. `{example}`");
    compile_expression(ctx, path, source, scope, &help)
}

/// Checks a bare Jinja expression computing a value, such as `value * 100`;
/// `example` is shown in the help of a syntax error.
pub(crate) fn expression(
    ctx: &mut Ctx<'_>,
    path: &str,
    source: &str,
    scope: &[&str],
    example: &str,
) -> Template {
    let help = format!("write a Jinja expression, e.g. `{example}`");
    compile_expression(ctx, path, source, scope, &help)
}

/// Refuses `{{ … }}` where a bare expression belongs (`key` names the
/// setting, `what` says what it takes, e.g. `a condition`); the help shows
/// the expression without braces, or `example`. True when there are none.
pub(crate) fn no_braces(
    ctx: &mut Ctx<'_>,
    path: &str,
    (key, what): (&str, &str),
    source: &str,
    example: &str,
) -> bool {
    let source = source.trim();
    if !source.contains("{{") && !source.contains("{%") {
        return true;
    }
    let inner = source
        .strip_prefix("{{")
        .and_then(|s| s.strip_suffix("}}"))
        .map(str::trim)
        .filter(|s| !s.contains(['{', '}']));
    let bare = inner.unwrap_or(example);
    ctx.error(
        path,
        format!("`{key}` is {what}, found a template `{source}`"),
        format!("remove the `{{{{ }}}}`: write the expression alone, e.g. `{key}: \"{bare}\"`"),
    );
    false
}

fn compile_expression(
    ctx: &mut Ctx<'_>,
    path: &str,
    source: &str,
    scope: &[&str],
    help: &str,
) -> Template {
    match machinery::parse_expr(source) {
        Ok(e) => variables(ctx, path, source, Walk::expression(&e), scope),
        Err(e) => syntax(ctx, path, source, &e, help),
    }
    Template::new(source)
}

/// Checks each value of a `name: template` mapping.
pub(crate) fn pairs(
    ctx: &mut Ctx<'_>,
    path: &str,
    entries: &Entries<Scalar>,
    scope: &[&str],
) -> Vec<(String, Template)> {
    entries
        .0
        .iter()
        .map(|(name, Scalar(source))| {
            let t = template(ctx, &format!("{path}.{name}"), source, scope);
            (name.clone(), t)
        })
        .collect()
}

fn syntax(ctx: &mut Ctx<'_>, path: &str, source: &str, e: &minijinja::Error, help: &str) {
    let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
    ctx.error(
        path,
        format!("{}{detail} in template `{source}`", e.kind()),
        help,
    );
}

/// The `NAME`s template `source` reads as `root.NAME` (none when it does
/// not compile: that is reported where it is checked).
pub(crate) fn attributes(source: &str, root: &str) -> BTreeSet<String> {
    let Ok(t) = machinery::parse(source, "<template>", Default::default()) else {
        return BTreeSet::new();
    };
    Walk::template(&t)
        .reads
        .into_iter()
        .filter(|(top, _)| *top == root)
        .filter_map(|(_, name)| name.map(str::to_owned))
        .collect()
}

fn variables(ctx: &mut Ctx<'_>, path: &str, source: &str, walk: Walk<'_>, scope: &[&str]) {
    let mut unknown = BTreeSet::new();
    let mut unset = BTreeSet::new();
    let mut secrets = BTreeSet::new();
    for &(top, name) in &walk.reads {
        if walk.assigned.contains(top) {
            continue;
        }
        if !scope.contains(&top) {
            unknown.insert(top);
        } else if top == "env"
            && let Some(var) = name
            && ctx.env.get(var).is_none()
        {
            unset.insert(var);
        } else if top == "secret"
            && let Some(secret) = name
        {
            secrets.insert(secret);
        }
    }
    for name in unknown {
        let available: Vec<String> = scope.iter().map(|s| format!("`{s}`")).collect();
        let mut help = format!("available here: {}", available.join(", "));
        help.push_str(&suggestion(name, scope.iter().copied()));
        if name == "secret" && scope == STORE_SCOPE {
            help = format!(
                "the store's own URL cannot read secrets (they are kept in the store): \
                 read it from the environment with `env.NAME`; {help}"
            );
        }
        ctx.error(
            path,
            format!("unknown variable `{name}` in template `{source}`"),
            help,
        );
    }
    for (message, help) in walk.refused {
        ctx.error(path, format!("{message} in template `{source}`"), help);
    }
    for var in unset {
        ctx.error(
            path,
            format!("environment variable `{var}` is not set"),
            format!("set it (export {var}=…) before running holdfast"),
        );
    }
    for whole in walk.whole.into_iter().filter(|w| scope.contains(w)) {
        let help = if whole == "secret" {
            "read one secret by name, e.g. `{{ secret.crm_token }}`"
        } else {
            "read one variable by name, e.g. `{{ env.CRM_URL }}`"
        };
        ctx.error(
            path,
            format!("`{whole}` is read whole in template `{source}`"),
            help,
        );
    }
    for name in secrets {
        ctx.secret_used(name);
        if !ctx.env.secrets_loaded() || ctx.env.secret(name).is_some() {
            continue;
        }
        let known = ctx.env.secrets().into_iter().flat_map(|s| s.keys());
        let hint = suggestion(name, known.map(String::as_str));
        ctx.error(
            path,
            format!("secret `{name}` is not set"),
            format!("run `holdfast secrets set {name}` (the value is read from stdin){hint}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::env::Env;
    use crate::span::SpanIndex;

    fn run(f: impl FnOnce(&mut Ctx<'_>)) -> Vec<String> {
        let index = SpanIndex::default();
        let env = Env::from_map(BTreeMap::from([(
            "CRM_URL".into(),
            "https://secret.test".into(),
        )]));
        let mut ctx = Ctx::new(&index, &env);
        f(&mut ctx);
        ctx.finish()
            .into_iter()
            .map(|d| format!("{} | {}", d.message, d.help.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn accepts_known_variables() {
        let out = run(|ctx| {
            template(ctx, "a", "{{ env.CRM_URL }}/x", CONNECTION_SCOPE);
            template(
                ctx,
                "b",
                "/c/{{ contact.id }}?since={{ cursor | default('') }}",
                &["contact", "cursor", "env"],
            );
            template(
                ctx,
                "c",
                "{% if cursor %}{{ cursor | trim }}{% endif %}",
                &["cursor"],
            );
            condition(ctx, "d", "records == 0 or page > 10", STOP_WHEN_SCOPE, "");
            condition(
                ctx,
                "e",
                "body.type is startingwith('x.')",
                ERROR_RULE_SCOPE,
                "",
            );
        });
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn reports_unknown_variables_with_suggestion() {
        let out = run(|ctx| {
            template(ctx, "a", "{{ curser }}", &["cursor", "env"]);
        });
        assert_eq!(
            out,
            [
                "unknown variable `curser` in template `{{ curser }}` | available here: `cursor`, `env`; did you mean `cursor`?"
            ]
        );
    }

    #[test]
    fn reports_unset_env_without_values() {
        let out = run(|ctx| {
            template(
                ctx,
                "a",
                "{{ env.CRM_URL }}{{ env.MISSING }}",
                CONNECTION_SCOPE,
            );
        });
        assert_eq!(
            out,
            [
                "environment variable `MISSING` is not set | set it (export MISSING=…) before running holdfast"
            ]
        );
        assert!(!out.concat().contains("secret.test"));
    }

    #[test]
    fn reports_syntax_errors() {
        let out = run(|ctx| {
            template(ctx, "a", "{{ cursor }", &["cursor"]);
            condition(ctx, "b", "records ==", STOP_WHEN_SCOPE, "records == 0");
        });
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out[0].starts_with("syntax error"), "{out:?}");
        assert!(
            out[1].ends_with("| write a Jinja condition, e.g. `records == 0`"),
            "{out:?}"
        );
    }
}
