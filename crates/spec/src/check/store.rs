//! The file's `store:` alone, for commands that need only the store (such
//! as `holdfast secrets`) even when the rest of the file has problems.

use super::context::Ctx;
use super::templates::{self, STORE_SCOPE};
use crate::env::Env;
use crate::error::Diagnostic;
use crate::model::Template;
use crate::parse;
use crate::span::SpanIndex;

/// The checked `store:` template of `text` (`None` when absent), or the
/// problems with it: a YAML syntax error, or a `store:` that is not a
/// string or not a valid template over `env`. Problems elsewhere are ignored.
pub(crate) fn store_only(text: &str, env: &Env) -> Result<Option<Template>, Vec<Diagnostic>> {
    let index = SpanIndex::build(text);
    let parsed = parse::parse(text, &index);
    let Some(raw) = parsed.raw else {
        return Err(parsed.diagnostics);
    };
    let about_store: Vec<Diagnostic> = parsed
        .diagnostics
        .into_iter()
        .filter(|d| d.key_path == "store")
        .collect();
    if !about_store.is_empty() {
        return Err(about_store);
    }
    let Some(source) = raw.store.as_ref() else {
        return Ok(None);
    };
    let mut ctx = Ctx::new(&index, env);
    let template = templates::template(&mut ctx, "store", source, STORE_SCOPE);
    let problems = ctx.finish();
    if problems.is_empty() {
        Ok(Some(template))
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn reads_store_past_other_problems() {
        let env = Env::from_map(BTreeMap::from([("DB".into(), "x.db".into())]));
        let text =
            "store: \"sqlite://{{ env.DB }}\"\nstreams: 7\nconnections: { a: { bogus: 1 } }\n";
        let t = store_only(text, &env)
            .expect("store is fine")
            .expect("present");
        assert_eq!(t.source, "sqlite://{{ env.DB }}");
        assert_eq!(store_only("streams: 7\n", &env).expect("no store"), None);
        let e = store_only("store: \"{{ env.NOPE }}\"\n", &env).expect_err("unset");
        assert!(e[0].message.contains("`NOPE` is not set"), "{e:?}");
        let e = store_only("store: [1]\n", &env).expect_err("not a string");
        assert_eq!(e[0].key_path, "store");
        assert!(store_only("store: [\n", &env).is_err(), "YAML syntax");
    }
}
