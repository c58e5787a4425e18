//! A condition of the connector file (a route's `when:` and `delete_when:`,
//! a `stop_when:`, an `errors:` rule, a session's `expired_when:`): a Jinja
//! expression compiled once, then evaluated against a context per event,
//! page or response. Its truth is Jinja's: `false`, `none`, undefined, `0`,
//! `""` and empty collections are false, anything else true.

use std::sync::LazyLock;

use minijinja::{Environment, Expression, UndefinedBehavior, Value};

use crate::SourceError;

/// Where every condition is compiled: the sandbox's filters and tests, no
/// functions; an undefined value is false (reading an attribute of one
/// fails).
static CONDITIONS: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = holdfast_spec::sandbox::environment();
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env
});

/// A compiled condition.
pub(crate) struct Condition {
    source: String,
    expression: Expression<'static, 'static>,
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Condition").field(&self.source).finish()
    }
}

impl Condition {
    /// Compiles `source` (a Jinja expression, no braces); `field`, its key
    /// path, names it in the error.
    ///
    /// # Errors
    /// An expression that does not compile (`holdfast check` refuses it first).
    pub(crate) fn new(field: &str, source: &str) -> Result<Condition, SourceError> {
        let expression = CONDITIONS
            .compile_expression_owned(source.to_owned())
            .map_err(|e| SourceError::Config {
                field: field.to_owned(),
                message: e.to_string(),
            })?;
        Ok(Condition {
            source: source.to_owned(),
            expression,
        })
    }

    /// The expression as written.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Whether the condition holds with the variables of `context` (a map).
    ///
    /// # Errors
    /// An evaluation that fails (e.g. an attribute of an undefined value).
    pub(crate) fn holds(&self, context: &Value) -> Result<bool, minijinja::Error> {
        self.expression
            .eval(context.clone())
            .map(|value| value.is_true())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(body: serde_json::Value) -> Value {
        Value::from(minijinja::value::Serde(std::collections::BTreeMap::from([
            ("body", body),
        ])))
    }

    #[test]
    fn holds_with_jinja_truth() {
        let c =
            Condition::new("t.when", "body.type is startingwith('contact.')").expect("compiles");
        assert!(
            c.holds(&context(serde_json::json!({"type": "contact.new"})))
                .expect("ok")
        );
        assert!(
            !c.holds(&context(serde_json::json!({"type": "deal.new"})))
                .expect("ok")
        );
        let missing = Condition::new("t.when", "body.absent").expect("compiles");
        assert!(
            !missing
                .holds(&context(serde_json::json!({})))
                .expect("undefined is false")
        );
        assert!(
            missing
                .holds(&context(serde_json::json!({"absent": [1]})))
                .expect("ok")
        );
        assert_eq!(c.source(), "body.type is startingwith('contact.')");
    }

    #[test]
    fn a_broken_condition_names_its_field_and_cannot_call_functions() {
        let e = Condition::new("t.when", "body ==").expect_err("does not compile");
        assert!(e.to_string().starts_with("`t.when`: "), "{e}");
        let f = Condition::new("t.when", "range(3)").expect("compiles");
        assert!(
            f.holds(&context(serde_json::json!({}))).is_err(),
            "no functions"
        );
    }
}
