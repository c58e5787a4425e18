//! Child streams: a path parameter that a list one level up can fill
//! (`/issues/{issue_number}/comments` under `/issues`, whose records have
//! `number`) becomes `for_each` over that list instead of an environment
//! variable. Only parents that are not children themselves: a template
//! sees its own parent's record, not its grandparent's.

use super::names::{singular, snake};
use super::operation::{Candidate, resource};

/// Names a `for_each` alias may not take (they mean something else in
/// templates).
const RESERVED: &[&str] = &["env", "cursor", "secret"];

/// Turns each candidate whose last path parameter a parent fills into a
/// child of it. `paths[i]` is the path of `candidates[i]` as written.
pub(crate) fn link(candidates: &mut [Candidate], paths: &[String]) {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| (paths[i].len(), i));
    let mut linked = vec![false; candidates.len()];
    for &i in &order {
        let Some((param, env)) = candidates[i].path_envs.last().cloned() else {
            continue;
        };
        let placeholder = format!("/{{{param}}}");
        let Some(cut) = paths[i].rfind(&placeholder) else {
            continue;
        };
        let prefix = &paths[i][..cut];
        let parent = (0..candidates.len()).find(|&j| j != i && !linked[j] && paths[j] == prefix);
        let Some(j) = parent else {
            continue;
        };
        let parent_resource = resource(&paths[j]);
        let Some(field) = feeding_field(&param, &parent_resource, &candidates[j].fields) else {
            continue;
        };
        let alias = alias_for(&parent_resource);
        let parent_name = candidates[j].stream.name.clone();
        let child = &mut candidates[i];
        child.stream.path = child.stream.path.replace(
            &format!("{{{{ env.{env} }}}}"),
            &format!("{{{{ {alias}.{field} }}}}"),
        );
        child.stream.for_each = Some((parent_name.clone(), alias));
        child.envs.retain(|(name, _)| *name != env);
        child.path_envs.pop();
        child.stream.note.push_str(&format!(
            "\none request chain per record of `{parent_name}`: its `{field}` fills `{{{param}}}`"
        ));
        linked[i] = true;
    }
}

/// The parent record's field that fills path parameter `param`.
fn feeding_field(param: &str, parent_resource: &str, fields: &[String]) -> Option<String> {
    let p = snake(param);
    let single = singular(parent_resource);
    let mut candidates = vec![p.clone()];
    if let Some(rest) = p.strip_prefix(&format!("{single}_")) {
        candidates.push(rest.to_owned());
    }
    if p.ends_with("_id") {
        candidates.push("id".into());
    }
    candidates
        .into_iter()
        .find_map(|c| fields.iter().find(|f| snake(f) == c).cloned())
}

fn alias_for(parent_resource: &str) -> String {
    let single = singular(parent_resource);
    let ok = single.starts_with(|c: char| c.is_ascii_alphabetic())
        && single
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&single.as_str());
    if ok { single } else { "parent".into() }
}
