//! Rendering the connector file's templates (Jinja syntax, via minijinja),
//! and evaluating its conditions by name,
//! in the closed sandbox of [`holdfast_spec::sandbox`]: only its filters and
//! tests, no functions, and `env`/`secret` readable one name at a time.
//! Values rendered into a request path are encoded as one path segment each.

use std::collections::BTreeMap;
use std::sync::Arc;

use holdfast_spec::sandbox;
use holdfast_spec::{Env, Template};
use minijinja::{Environment, Error, ErrorKind, Output, State, UndefinedBehavior, Value};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::Condition;
use crate::SourceError;

/// What a value rendered into a path keeps unencoded: the unreserved
/// characters of RFC 3986 (as JavaScript's `encodeURIComponent`, minus `!'()*`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Every template of a spec, compiled once, rendered many times.
#[derive(Debug, Clone)]
pub(crate) struct Renderer {
    env: Environment<'static>,
    /// Request paths: each value rendered is one path segment.
    paths: Environment<'static>,
    /// XML request bodies: each value rendered is XML-escaped.
    xml: Environment<'static>,
    vars: Value,
    /// `secret`: absent when secrets were not loaded, so reading one fails
    /// instead of rendering empty.
    secrets: Option<Value>,
    /// Conditions, by key path (they read their own variables only).
    conditions: BTreeMap<String, Arc<Condition>>,
}

impl Renderer {
    /// A renderer whose `env.X` reads `env`'s variables and `secret.X` its
    /// secrets (when loaded).
    pub(crate) fn new(env: &Env) -> Self {
        let mut jinja = sandbox::environment();
        jinja.set_undefined_behavior(UndefinedBehavior::Lenient);
        let mut paths = jinja.clone();
        paths.set_formatter(path_segment);
        let mut xml = jinja.clone();
        xml.set_formatter(xml_text);
        Renderer {
            env: jinja,
            paths,
            xml,
            vars: sandbox::named_only("env", env.vars()),
            secrets: env.secrets().map(|s| sandbox::named_only("secret", s)),
            conditions: BTreeMap::new(),
        }
    }

    /// `vars` plus `env` and `secret`: what a connection-level template sees.
    fn context(&self, vars: &Vars) -> Value {
        let mut ctx = vars.0.clone();
        ctx.insert("env".to_owned(), self.vars.clone());
        if let Some(secrets) = &self.secrets {
            ctx.insert("secret".to_owned(), secrets.clone());
        }
        Value::from(ctx)
    }

    /// Compiles `template` under `name` (its key path, for messages).
    pub(crate) fn add(&mut self, name: &str, template: &Template) -> Result<(), SourceError> {
        self.env
            .add_template_owned(name.to_owned(), template.source.clone())
            .map_err(|e| SourceError::Config {
                field: name.to_owned(),
                message: e.to_string(),
            })
    }

    /// Compiles the request path `template` under `name`: each value it
    /// renders is encoded as one path segment (see [`Renderer::render_path`]).
    pub(crate) fn add_path(&mut self, name: &str, template: &Template) -> Result<(), SourceError> {
        self.paths
            .add_template_owned(name.to_owned(), template.source.clone())
            .map_err(|e| SourceError::Config {
                field: name.to_owned(),
                message: e.to_string(),
            })
    }

    /// Compiles the XML body `template` under `name`: each value it renders
    /// is XML-escaped (see [`Renderer::render_xml`]).
    pub(crate) fn add_xml(&mut self, name: &str, template: &Template) -> Result<(), SourceError> {
        self.xml
            .add_template_owned(name.to_owned(), template.source.clone())
            .map_err(|e| SourceError::Config {
                field: name.to_owned(),
                message: e.to_string(),
            })
    }

    /// Renders the XML body added as `name` with `vars`: the template's own
    /// text stays as written, and each value is escaped (`&`, `<`, `>`,
    /// `"`, `'`), so a value cannot close its element or add markup.
    pub(crate) fn render_xml(&self, name: &str, vars: &Vars) -> Result<String, SourceError> {
        let fail = |e: minijinja::Error| SourceError::Config {
            field: name.to_owned(),
            message: e.to_string(),
        };
        let template = self.xml.get_template(name).map_err(fail)?;
        template.render(self.context(vars)).map_err(fail)
    }

    /// Renders the path added as `name` with `vars`: the template's own text
    /// stays as written, and each value is percent-encoded as one path
    /// segment, so a value such as `../x`, `a/b`, `1?x=` or
    /// `http://elsewhere/` cannot change the path's structure or its host. A
    /// value that is empty, `.` or `..` is refused.
    pub(crate) fn render_path(&self, name: &str, vars: &Vars) -> Result<String, SourceError> {
        let fail = |e: minijinja::Error| SourceError::Config {
            field: name.to_owned(),
            message: e.to_string(),
        };
        let template = self.paths.get_template(name).map_err(fail)?;
        template.render(self.context(vars)).map_err(fail)
    }

    /// As [`Renderer::render_path`], for a path template not added ahead.
    pub(crate) fn render_path_str(
        &self,
        name: &str,
        source: &str,
        vars: &Vars,
    ) -> Result<String, SourceError> {
        self.paths
            .render_str(source, self.context(vars))
            .map_err(|e| SourceError::Config {
                field: name.to_owned(),
                message: e.to_string(),
            })
    }

    /// Renders the template added as `name` with `vars` (plus `env` and `secret`).
    pub(crate) fn render(&self, name: &str, vars: &Vars) -> Result<String, SourceError> {
        let fail = |e: minijinja::Error| SourceError::Config {
            field: name.to_owned(),
            message: e.to_string(),
        };
        let template = self.env.get_template(name).map_err(fail)?;
        template.render(self.context(vars)).map_err(fail)
    }

    /// Renders template text that was not added ahead (checked when the file was read).
    pub(crate) fn render_str(
        &self,
        name: &str,
        source: &str,
        vars: &Vars,
    ) -> Result<String, SourceError> {
        self.env
            .render_str(source, self.context(vars))
            .map_err(|e| SourceError::Config {
                field: name.to_owned(),
                message: e.to_string(),
            })
    }

    /// Evaluates `expr` (a Jinja expression, no braces) with `vars` (plus
    /// `env` and `secret`) to a JSON value, keeping its type.
    pub(crate) fn eval_json(
        &self,
        name: &str,
        expr: &str,
        vars: &Vars,
    ) -> Result<serde_json::Value, SourceError> {
        let fail = |message: String| SourceError::Config {
            field: name.to_owned(),
            message,
        };
        let compiled = self
            .env
            .compile_expression(expr)
            .map_err(|e| fail(e.to_string()))?;
        let value = compiled
            .eval(self.context(vars))
            .map_err(|e| fail(e.to_string()))?;
        if value.is_undefined() {
            return Ok(serde_json::Value::Null);
        }
        sandbox::refuse_whole(&value).map_err(|e| fail(e.to_string()))?;
        serde_json::to_value(&value).map_err(|e| fail(format!("is not JSON: {e}")))
    }

    /// Compiles the condition `template` under `name` (its key path).
    pub(crate) fn add_condition(
        &mut self,
        name: &str,
        template: &Template,
    ) -> Result<(), SourceError> {
        let condition = Condition::new(name, &template.source)?;
        self.conditions.insert(name.to_owned(), Arc::new(condition));
        Ok(())
    }

    /// Whether the condition added as `name` holds with `vars` (and no
    /// `env` or `secret`: conditions read what happened, not settings).
    pub(crate) fn holds(&self, name: &str, vars: &Vars) -> Result<bool, SourceError> {
        let fail = |message: String| SourceError::Config {
            field: name.to_owned(),
            message,
        };
        let condition = self
            .conditions
            .get(name)
            .ok_or_else(|| fail("the condition was not compiled".to_owned()))?;
        condition
            .holds(&vars.to_context())
            .map_err(|e| fail(e.to_string()))
    }
}

/// The formatter of path templates: each value as one percent-encoded path
/// segment; an empty value, `.` and `..` are refused (URL parsers resolve
/// `..` even percent-encoded, as `%2E%2E`, so it would climb the path).
fn path_segment(out: &mut Output<'_>, _: &mut State<'_, '_>, value: &Value) -> Result<(), Error> {
    sandbox::refuse_whole(value)?;
    let text = if value.is_undefined() || value.is_none() {
        String::new()
    } else {
        value.to_string()
    };
    let refuse = |why: &str| -> Result<(), Error> {
        let shown: String = text.chars().take(80).collect();
        Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "the value `{shown}` cannot be rendered into the request path: {why}; \
                 each value in a path is one path segment"
            ),
        ))
    };
    match text.as_str() {
        "" => refuse("it is empty (missing or null), which would drop a path segment"),
        "." | ".." => refuse("`.` and `..` are dot-segments, which move within the path"),
        _ => out
            .write_str(&utf8_percent_encode(&text, SEGMENT).to_string())
            .map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string())),
    }
}

/// The formatter of XML body templates: each value XML-escaped; missing
/// and null values render empty.
fn xml_text(out: &mut Output<'_>, _: &mut State<'_, '_>, value: &Value) -> Result<(), Error> {
    sandbox::refuse_whole(value)?;
    if value.is_undefined() || value.is_none() {
        return Ok(());
    }
    out.write_str(&quick_xml::escape::escape(value.to_string()))
        .map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
}

/// The variables a template sees (besides `env` and `secret`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Vars(BTreeMap<String, Value>);

impl Vars {
    /// Adds `name` = `value` (a JSON value); `None` stays undefined and renders empty.
    pub(crate) fn with(mut self, name: &str, value: Option<&serde_json::Value>) -> Self {
        if let Some(v) = value {
            self.0
                .insert(name.to_owned(), Value::from(minijinja::value::Serde(v)));
        }
        self
    }

    /// The variables as a context of their own (no `env`, no `secret`).
    pub(crate) fn to_context(&self) -> Value {
        Value::from(self.0.clone())
    }

    /// Adds `name` = an already-built template value.
    pub(crate) fn with_value(mut self, name: &str, value: Value) -> Self {
        self.0.insert(name.to_owned(), value);
        self
    }
}

/// Renders a template that reads only `env` and `secret` (e.g. the file's
/// `store:`, a webhook's `verify.secret`).
///
/// # Errors
/// A template that does not compile or render.
pub fn render_with_env(field: &str, template: &Template, env: &Env) -> Result<String, SourceError> {
    let mut renderer = Renderer::new(env);
    renderer.add(field, template)?;
    renderer.render(field, &Vars::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_render_like_env_once_loaded() {
        let t = Template::new("Bearer {{ secret.crm_token }} for {{ env.WHO }}");
        let env = Env::from_map(BTreeMap::from([("WHO".into(), "me".into())]));
        let e = render_with_env("auth.token", &t, &env).expect_err("secrets not loaded");
        assert!(e.to_string().contains("auth.token"), "{e}");
        let env = env.with_secrets(BTreeMap::from([("crm_token".into(), "tok-1".into())]));
        assert_eq!(
            render_with_env("auth.token", &t, &env).expect("renders"),
            "Bearer tok-1 for me"
        );
    }

    #[test]
    fn values_in_an_xml_body_are_escaped_and_cannot_add_markup() {
        let mut r = Renderer::new(&Env::default());
        let t = Template::new(
            "<Since attr=\"{{ cursor }}\">{{ cursor }}</Since><N>{{ n }}</N><M>{{ missing }}</M>",
        );
        r.add_xml("body.text", &t).expect("compiles");
        let hostile = serde_json::json!("2024</Since><Delete all=\"1\"/>&'x'");
        let vars = Vars::default()
            .with("cursor", Some(&hostile))
            .with("n", Some(&serde_json::json!(7)));
        let xml = r.render_xml("body.text", &vars).expect("renders");
        let escaped = "2024&lt;/Since&gt;&lt;Delete all=&quot;1&quot;/&gt;&amp;&apos;x&apos;";
        assert_eq!(
            xml,
            format!("<Since attr=\"{escaped}\">{escaped}</Since><N>7</N><M></M>")
        );
        // the same value through a plain template is left as it is
        r.add("plain", &Template::new("{{ cursor }}"))
            .expect("compiles");
        assert_eq!(
            r.render("plain", &vars).expect("renders"),
            "2024</Since><Delete all=\"1\"/>&'x'"
        );
        // env and secret are never rendered whole, here either
        r.add_xml("whole", &Template::new("{{ env }}"))
            .expect("compiles");
        assert!(r.render_xml("whole", &Vars::default()).is_err());
    }
}
