//! Child streams: parents must not form a cycle.

use super::context::Ctx;
use crate::raw::{Entries, RawStream};

/// Reports each `for_each` cycle once, at its first stream in file order.
pub(crate) fn cycles(ctx: &mut Ctx<'_>, streams: &Entries<RawStream>) {
    let parent = |name: &str| -> Option<&str> {
        let (_, raw) = streams.0.iter().find(|(n, _)| n == name)?;
        raw.for_each.as_ref()?.stream.as_deref()
    };
    let mut reported: Vec<&str> = Vec::new();
    for (name, _) in &streams.0 {
        let mut chain = vec![name.as_str()];
        let mut at = name.as_str();
        while let Some(next) = parent(at) {
            if next == at || chain.len() > streams.0.len() {
                break; // a self-parent is reported by the stream check
            }
            if next == name {
                if !chain.iter().any(|c| reported.contains(c)) {
                    chain.push(next);
                    report(ctx, &chain);
                    reported.extend(chain.iter().copied());
                }
                break;
            }
            chain.push(next);
            at = next;
        }
    }
}

fn report(ctx: &mut Ctx<'_>, chain: &[&str]) {
    let shown: Vec<String> = chain.iter().map(|c| format!("`{c}`")).collect();
    ctx.error(
        &format!("streams.{}.for_each.stream", chain[0]),
        format!("`for_each` cycle: {}", shown.join(" → ")),
        "a chain of parents must end at a stream without `for_each`; remove `for_each` from one of these",
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;
    use crate::span::SpanIndex;

    fn cycles_in(yaml: &str) -> Vec<String> {
        let streams: Entries<RawStream> =
            yaml_serde::from_str(yaml).unwrap_or_else(|e| panic!("{e}"));
        let index = SpanIndex::default();
        let env = Env::default();
        let mut ctx = Ctx::new(&index, &env);
        cycles(&mut ctx, &streams);
        ctx.finish()
            .into_iter()
            .map(|d| format!("{} @ {}", d.message, d.key_path))
            .collect()
    }

    #[test]
    fn reports_each_cycle_once() {
        let yaml = "
a: { for_each: { stream: c } }
b: { for_each: { stream: a } }
c: { for_each: { stream: b } }
d: { for_each: { stream: a } }
e: { for_each: { stream: e } }
";
        assert_eq!(
            cycles_in(yaml),
            ["`for_each` cycle: `a` → `c` → `b` → `a` @ streams.a.for_each.stream"]
        );
    }

    #[test]
    fn chains_without_cycles_pass() {
        let yaml = "
a: {}
b: { for_each: { stream: a } }
c: { for_each: { stream: b } }
x: { for_each: { stream: missing } }
";
        assert!(cycles_in(yaml).is_empty());
    }
}
