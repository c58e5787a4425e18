//! The closed template sandbox: what a connector file's templates may use,
//! shared by `holdfast check` (which refuses anything else) and every
//! renderer (which has nothing else).
//!
//! Templates read the values their setting documents (`env.NAME`,
//! `secret.NAME`, `cursor`, a parent record, …), apply the [`FILTERS`] and
//! [`TESTS`] below, and use `{% if %}`; there are no functions (`debug()`,
//! `range()`, …), and `env` and `secret` answer one name at a time: they
//! cannot be printed, iterated or serialized whole.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::{Environment, Error, ErrorKind, Output, State, Value};

/// The filters templates may apply (`{{ input.email | lower }}`).
pub const FILTERS: &[&str] = &[
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "first",
    "float",
    "int",
    "join",
    "last",
    "length",
    "lower",
    "replace",
    "round",
    "split",
    "string",
    "title",
    "trim",
    "upper",
];

/// The tests conditions may use (`body.type is startingwith('contact.')`).
pub const TESTS: &[&str] = &[
    "boolean",
    "defined",
    "divisibleby",
    "endingwith",
    "eq",
    "even",
    "false",
    "float",
    "ge",
    "gt",
    "in",
    "integer",
    "le",
    "lt",
    "mapping",
    "ne",
    "none",
    "number",
    "odd",
    "sequence",
    "startingwith",
    "string",
    "true",
    "undefined",
];

/// The variables that answer one name at a time and are never read whole.
pub const NAMED_ONLY: &[&str] = &["env", "secret"];

/// A minijinja environment with only the sandbox's filters and tests: no
/// functions or globals, no auto-escaping, no debug information in errors
/// (which would print the values a template referenced). Callers choose how
/// undefined values behave and add their templates.
pub fn environment() -> Environment<'static> {
    use minijinja::{filters as f, tests as t};
    let mut env = Environment::empty();
    env.set_debug(false);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_formatter(plain_formatter);
    env.add_filter("abs", f::abs);
    env.add_filter("capitalize", f::capitalize);
    env.add_filter("count", f::length);
    env.add_filter("d", f::default);
    env.add_filter("default", f::default);
    env.add_filter("first", f::first);
    env.add_filter("float", f::float);
    env.add_filter("int", f::int);
    env.add_filter("join", f::join);
    env.add_filter("last", f::last);
    env.add_filter("length", f::length);
    env.add_filter("lower", f::lower);
    env.add_filter("replace", f::replace);
    env.add_filter("round", f::round);
    env.add_filter("split", f::split);
    env.add_filter("string", f::string);
    env.add_filter("title", f::title);
    env.add_filter("trim", f::trim);
    env.add_filter("upper", f::upper);
    env.add_test("boolean", t::is_boolean);
    env.add_test("defined", t::is_defined);
    env.add_test("divisibleby", t::is_divisibleby);
    env.add_test("endingwith", t::is_endingwith);
    env.add_test("eq", t::is_eq);
    env.add_test("even", t::is_even);
    env.add_test("false", t::is_false);
    env.add_test("float", t::is_float);
    env.add_test("ge", t::is_ge);
    env.add_test("gt", t::is_gt);
    env.add_test("in", t::is_in);
    env.add_test("integer", t::is_integer);
    env.add_test("le", t::is_le);
    env.add_test("lt", t::is_lt);
    env.add_test("mapping", t::is_mapping);
    env.add_test("ne", t::is_ne);
    env.add_test("none", t::is_none);
    env.add_test("number", t::is_number);
    env.add_test("odd", t::is_odd);
    env.add_test("sequence", t::is_sequence);
    env.add_test("startingwith", t::is_startingwith);
    env.add_test("string", t::is_string);
    env.add_test("true", t::is_true);
    env.add_test("undefined", t::is_undefined);
    env
}

/// `env` or `secret` for templates: `what.NAME` reads one value; the whole
/// cannot be listed, printed or serialized (it shows as `<env>`).
pub fn named_only(what: &'static str, values: &BTreeMap<String, String>) -> Value {
    Value::from_object(NamedOnly {
        what,
        values: values.clone(),
    })
}

/// Whether `value` is an `env`/`secret` object read whole; its name if so.
pub fn whole_named(value: &Value) -> Option<&'static str> {
    value.downcast_object_ref::<NamedOnly>().map(|n| n.what)
}

/// The formatter of [`environment`]: values as text, refusing to print
/// `env` or `secret` whole.
///
/// # Errors
/// When `value` is `env` or `secret` itself.
pub fn plain_formatter(
    out: &mut Output<'_>,
    state: &mut State<'_, '_>,
    value: &Value,
) -> Result<(), Error> {
    refuse_whole(value)?;
    minijinja::escape_formatter(out, state, value)
}

/// An error when `value` is `env` or `secret` read whole.
///
/// # Errors
/// As said.
pub fn refuse_whole(value: &Value) -> Result<(), Error> {
    match whole_named(value) {
        Some(what) => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("`{what}` cannot be read whole; read one value by name, e.g. `{what}.NAME`"),
        )),
        None => Ok(()),
    }
}

struct NamedOnly {
    what: &'static str,
    values: BTreeMap<String, String>,
}

impl fmt::Debug for NamedOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.what)
    }
}

impl Object for NamedOnly {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.values
            .get(key.as_str()?)
            .map(|v| Value::from(v.as_str()))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::NonEnumerable
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str) -> Result<String, Error> {
        let env = environment();
        let ctx = BTreeMap::from([(
            "env",
            named_only("env", &BTreeMap::from([("A".into(), "a-value".into())])),
        )]);
        env.render_str(source, ctx)
    }

    #[test]
    fn reads_one_name_and_never_the_whole() {
        assert_eq!(render("{{ env.A | upper }}").expect("renders"), "A-VALUE");
        for whole in [
            "{{ env }}",
            "{{ debug() }}",
            "{{ env | list }}",
            "{% for k in env %}{{ k }}{% endfor %}",
            "{{ env | items }}",
            "{{ range(3) }}",
            "{{ env | pprint }}",
            "{{ env.items() }}",
        ] {
            match render(whole) {
                Ok(text) => assert!(!text.contains("a-value"), "{whole} leaked: {text}"),
                Err(e) => assert!(!e.to_string().contains("a-value"), "{whole}: {e}"),
            }
        }
        assert!(render("{{ env }}").is_err());
        assert!(render("{{ debug() }}").is_err());
    }

    #[test]
    fn lists_match_the_environment() {
        let env = environment();
        for name in FILTERS {
            let source = format!("{{{{ 'x' | {name} }}}}");
            let err = env.render_str(&source, ()).err();
            assert!(
                err.as_ref()
                    .is_none_or(|e| e.kind() != ErrorKind::UnknownFilter),
                "{name}: {err:?}"
            );
        }
        for name in TESTS {
            let source = format!("{{{{ 'x' is {name} }}}}");
            let err = env.render_str(&source, ()).err();
            assert!(
                err.as_ref()
                    .is_none_or(|e| e.kind() != ErrorKind::UnknownTest),
                "{name}: {err:?}"
            );
        }
    }
}
