//! Which streams run, in which order: parents before their children.

use crate::source::StreamInfo;

/// A sync cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A selected stream the source does not have; the message names the
    /// streams it has (or the nearest one).
    #[error("{}", holdfast_spec::no_such_stream(.name, .known.iter().map(String::as_str)))]
    UnknownStream {
        /// The name asked for.
        name: String,
        /// The source's streams.
        known: Vec<String>,
    },
}

/// The streams named in `selected` (all when empty), ordered so a parent
/// runs before its children when both are selected, otherwise in source order.
///
/// # Errors
/// An unknown stream (its message names the ones that exist).
pub fn plan(streams: Vec<StreamInfo>, selected: &[String]) -> Result<Vec<StreamInfo>, PlanError> {
    for name in selected {
        if !streams.iter().any(|s| &s.name == name) {
            return Err(PlanError::UnknownStream {
                name: name.clone(),
                known: streams.iter().map(|s| s.name.clone()).collect(),
            });
        }
    }
    let chosen: Vec<StreamInfo> = streams
        .into_iter()
        .filter(|s| selected.is_empty() || selected.contains(&s.name))
        .collect();
    let mut ordered: Vec<StreamInfo> = Vec::with_capacity(chosen.len());
    fn visit(i: usize, chosen: &[StreamInfo], ordered: &mut Vec<StreamInfo>, depth: usize) {
        let s = &chosen[i];
        if ordered.iter().any(|o| o.name == s.name) || depth > chosen.len() {
            return;
        }
        if let Some(parent) = &s.parent
            && let Some(p) = chosen.iter().position(|c| c.name == parent.stream)
        {
            visit(p, chosen, ordered, depth + 1);
        }
        ordered.push(s.clone());
    }
    for i in 0..chosen.len() {
        visit(i, &chosen, &mut ordered, 0);
    }
    Ok(ordered)
}
