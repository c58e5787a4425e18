//! A connection's `errors:` rules: responses that lie about success.

use super::context::Ctx;
use super::names::suggestion;
use super::templates::{self, ERROR_RULE_SCOPE};
use crate::model::{ErrorAction, ErrorRule, Template};
use crate::raw::RawErrorRule;

/// The example condition shown in help lines.
const EXAMPLE: &str = "status == 200 and body.success == false";

/// Checks the `errors:` list at `path`, keeping file order.
pub(crate) fn error_rules(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: Option<&Vec<RawErrorRule>>,
) -> Option<Vec<ErrorRule>> {
    let rules: Vec<Option<ErrorRule>> = raw
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, rule)| error_rule(ctx, &format!("{path}[{i}]"), rule))
        .collect();
    rules.into_iter().collect()
}

fn error_rule(ctx: &mut Ctx<'_>, path: &str, raw: &RawErrorRule) -> Option<ErrorRule> {
    let when = ctx
        .require(raw.when.as_ref(), path, "when", &format!("\"{EXAMPLE}\""))
        .and_then(|source| when(ctx, &format!("{path}.when"), source));
    let action = ctx
        .require(raw.action.as_ref(), path, "action", "retry")
        .and_then(|action| self::action(ctx, &format!("{path}.action"), action));
    Some(ErrorRule {
        when: when?,
        action: action?,
    })
}

fn when(ctx: &mut Ctx<'_>, path: &str, source: &str) -> Option<Template> {
    if !templates::no_braces(ctx, path, ("when", "a condition"), source, EXAMPLE) {
        return None;
    }
    let before = ctx.error_count();
    let t = templates::condition(ctx, path, source.trim(), ERROR_RULE_SCOPE, EXAMPLE);
    (ctx.error_count() == before).then_some(t)
}

fn action(ctx: &mut Ctx<'_>, path: &str, action: &str) -> Option<ErrorAction> {
    const ACTIONS: [&str; 3] = ["retry", "fail", "skip"];
    match action {
        "retry" => Some(ErrorAction::Retry),
        "fail" => Some(ErrorAction::Fail),
        "skip" => Some(ErrorAction::Skip),
        other => {
            ctx.error(
                path,
                format!("unknown action `{other}`"),
                format!(
                    "`action` must be one of `retry`, `fail`, `skip`{}",
                    suggestion(other, ACTIONS)
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;
    use crate::span::SpanIndex;

    fn check(rules: &[(Option<&str>, Option<&str>)]) -> (Option<Vec<ErrorRule>>, Vec<String>) {
        let raw: Vec<RawErrorRule> = rules
            .iter()
            .map(|(when, action)| RawErrorRule {
                when: when.map(str::to_owned),
                action: action.map(str::to_owned),
            })
            .collect();
        let index = SpanIndex::default();
        let env = Env::default();
        let mut ctx = Ctx::new(&index, &env);
        let out = error_rules(&mut ctx, "connections.crm.errors", Some(&raw));
        let messages = ctx.finish().into_iter().map(|d| {
            format!(
                "{} @ {} | {}",
                d.message,
                d.key_path,
                d.help.unwrap_or_default()
            )
        });
        (out, messages.collect())
    }

    #[test]
    fn keeps_file_order() {
        let (rules, errors) = check(&[
            (Some(EXAMPLE), Some("retry")),
            (Some("status == 404"), Some("skip")),
            (Some("headers['x-error'] is defined"), Some("fail")),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
        let rules = rules.expect("valid");
        let actions: Vec<ErrorAction> = rules.iter().map(|r| r.action).collect();
        assert_eq!(
            actions,
            [ErrorAction::Retry, ErrorAction::Skip, ErrorAction::Fail]
        );
        assert_eq!(rules[0].when.source, EXAMPLE);
        assert_eq!(check(&[]).0, Some(vec![]));
    }

    #[test]
    fn unknown_action_suggests() {
        let (rules, errors) = check(&[(Some("status == 200"), Some("retyr"))]);
        assert!(rules.is_none());
        assert_eq!(
            errors,
            [
                "unknown action `retyr` @ connections.crm.errors[0].action | `action` must be one of `retry`, `fail`, `skip`; did you mean `retry`?"
            ]
        );
    }

    #[test]
    fn braces_are_refused() {
        let (_, errors) = check(&[(Some("{{ status == 500 }}"), Some("retry"))]);
        assert_eq!(
            errors,
            [
                "`when` is a condition, found a template `{{ status == 500 }}` @ connections.crm.errors[0].when | remove the `{{ }}`: write the expression alone, e.g. `when: \"status == 500\"`"
            ]
        );
    }

    #[test]
    fn unknown_variables_and_syntax() {
        let (_, errors) = check(&[
            (Some("stauts == 200"), Some("fail")),
            (Some("status =="), Some("fail")),
        ]);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(
            errors[0],
            "unknown variable `stauts` in template `stauts == 200` @ connections.crm.errors[0].when | available here: `body`, `headers`, `status`; did you mean `status`?"
        );
        assert!(errors[1].starts_with("syntax error"), "{errors:?}");
        assert!(
            errors[1].ends_with(&format!("e.g. `{EXAMPLE}`")),
            "{errors:?}"
        );
    }

    #[test]
    fn both_keys_are_required() {
        let (_, errors) = check(&[(None, None)]);
        assert_eq!(
            errors,
            [
                "missing key `when` @ connections.crm.errors[0].when | add it, e.g. `when: \"status == 200 and body.success == false\"`",
                "missing key `action` @ connections.crm.errors[0].action | add it, e.g. `action: retry`"
            ]
        );
    }
}
