//! Transforms: the built-in string filters, and Jinja expressions (computed
//! fields and `transform:` expressions) compiled once per stream.

use std::collections::BTreeMap;

use holdfast_spec::Transform;
use minijinja::{Environment, UndefinedBehavior};

/// The variable an expression's result is captured in.
const RESULT: &str = "__holdfast_result";

/// A stream's compiled expressions, by name.
#[derive(Debug)]
pub(crate) struct Expressions {
    env: Environment<'static>,
}

impl Expressions {
    /// An empty set. Missing attributes chain to undefined (then null), so
    /// `record.a.b` on a record without `a` is a missing value, not an error.
    pub(crate) fn new() -> Self {
        let mut env = holdfast_spec::sandbox::environment();
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        Expressions { env }
    }

    /// Compiles `expr` (a Jinja expression, no braces) under `name`.
    ///
    /// The expression is kept as a template that assigns its value, so it is
    /// parsed once and its result keeps its type (numbers stay numbers).
    pub(crate) fn add(&mut self, name: String, expr: &str) -> Result<(), String> {
        self.env
            .compile_expression(expr)
            .map_err(|e| format!("expression `{expr}` does not compile: {e}"))?;
        let source = format!("{{% set {RESULT} = ({expr}) %}}");
        self.env
            .add_template_owned(name, source)
            .map_err(|e| format!("expression `{expr}` does not compile: {e}"))
    }

    /// Evaluates the expression added as `name` with `record` (and `value`).
    pub(crate) fn eval(
        &self,
        name: &str,
        record: &minijinja::Value,
        value: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, String> {
        let fail = |e: minijinja::Error| format!("expression failed: {e}");
        let template = self.env.get_template(name).map_err(fail)?;
        let mut ctx = BTreeMap::from([("record", record.clone())]);
        if let Some(value) = value {
            ctx.insert("value", to_jinja(value));
        }
        let captured = template.render_captured(ctx).map_err(fail)?;
        let result = captured.state().lookup(RESULT);
        match result {
            Some(v) if !v.is_undefined() && !v.is_none() => {
                serde_json::to_value(&v).map_err(|e| format!("expression result is not JSON: {e}"))
            }
            _ => Ok(serde_json::Value::Null),
        }
    }
}

/// A JSON value as a Jinja value.
pub(crate) fn to_jinja(value: &serde_json::Value) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

/// Applies a built-in string filter (`lower`, `upper`, `trim`); other values,
/// expression transforms and `parse: json` (run by the caller, as they can
/// fail), pass unchanged.
pub(crate) fn builtin(transform: &Transform, value: serde_json::Value) -> serde_json::Value {
    let serde_json::Value::String(s) = &value else {
        return value;
    };
    let changed = match transform {
        Transform::Lower => s.to_lowercase(),
        Transform::Upper => s.to_uppercase(),
        Transform::Trim => s.trim().to_owned(),
        Transform::Expr(_) | Transform::ParseJson => return value,
    };
    serde_json::Value::String(changed)
}

/// `parse: json`: a string read as JSON text; other values (already JSON,
/// or null) pass as they are.
///
/// # Errors
/// The parser's complaint when the text is not JSON.
pub(crate) fn parse_json(value: serde_json::Value) -> Result<serde_json::Value, String> {
    match value {
        serde_json::Value::String(text) => serde_json::from_str(&text).map_err(|e| {
            let start: String = text.chars().take(40).collect();
            let more = if text.chars().count() > 40 { "…" } else { "" };
            format!("`parse: json`: the text is not JSON ({e}): \"{start}{more}\"")
        }),
        other => Ok(other),
    }
}
