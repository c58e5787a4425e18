//! Endpoint templates: calls that differ only in ids, UUIDs, dates or
//! hashes in their paths are one endpoint, `/api/contacts/{contact_id}`.
//! A segment becomes a parameter only when the capture confirms it: several
//! calls sent different values there, or the value came from an earlier
//! answer. An id-shaped segment seen once with no origin stays as written.

use std::collections::BTreeMap;

use super::capture::Call;
use super::trace::{Place, Sent};

/// One endpoint: a method and a path with parameters.
#[derive(Debug, Clone)]
pub struct Template {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path's segments.
    pub segments: Vec<Seg>,
    /// The kept calls it groups, in capture order.
    pub calls: Vec<usize>,
    /// What templating decided and why, per parameter or kept segment.
    pub notes: Vec<String>,
}

/// A path segment of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    /// A fixed segment.
    Lit(String),
    /// A parameter: its name.
    Param(String),
}

impl Template {
    /// `/api/contacts/{contact_id}`.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for s in &self.segments {
            out.push('/');
            match s {
                Seg::Lit(l) => out.push_str(l),
                Seg::Param(p) => {
                    out.push('{');
                    out.push_str(p);
                    out.push('}');
                }
            }
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }

    /// `GET /api/contacts/{contact_id}`.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path())
    }

    /// The parameters' positions and names.
    pub fn params(&self) -> Vec<(usize, &str)> {
        self.segments
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Seg::Param(p) => Some((i, p.as_str())),
                Seg::Lit(_) => None,
            })
            .collect()
    }
}

/// Whether a path segment looks like an identifier: a number, a UUID, a
/// date, a long hex hash, or a long token mixing letters and digits.
pub fn is_id_like(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let all_digits = !s.is_empty() && digits == s.len();
    let uuid = s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    let date = s.len() == 10
        && s.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    let hex = s.len() >= 12 && s.chars().all(|c| c.is_ascii_hexdigit()) && digits > 0;
    let token = s.len() >= 16
        && digits > 0
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    all_digits || uuid || date || hex || token
}

/// Groups the calls into templates; also returns each call's template.
pub fn templates(calls: &[Call], sent: &[Sent]) -> (Vec<Template>, Vec<usize>) {
    // Calls with the same method, origin and path shape (id-like segments
    // blanked) are candidates for one template.
    let mut groups: BTreeMap<(String, String, Vec<String>), Vec<usize>> = BTreeMap::new();
    for (i, c) in calls.iter().enumerate() {
        let shape = c
            .segments()
            .iter()
            .map(|s| {
                if is_id_like(s) {
                    "\u{0}".to_owned()
                } else {
                    s.clone()
                }
            })
            .collect();
        groups
            .entry((c.method.clone(), c.origin(), shape))
            .or_default()
            .push(i);
    }
    let mut out: Vec<Template> = Vec::new();
    let mut of_call = vec![0; calls.len()];
    let mut ordered: Vec<_> = groups.into_iter().collect();
    ordered.sort_by_key(|(_, members)| members[0]);
    for ((method, _, shape), members) in ordered {
        let segs: Vec<Vec<String>> = members.iter().map(|&i| calls[i].segments()).collect();
        let mut notes = Vec::new();
        let mut param_at = vec![false; shape.len()];
        for (pos, s) in shape.iter().enumerate() {
            if s != "\u{0}" {
                continue;
            }
            let mut values: Vec<&str> = segs.iter().map(|v| v[pos].as_str()).collect();
            values.sort_unstable();
            values.dedup();
            let traced = members.iter().any(|&i| {
                sent.iter()
                    .any(|v| v.call == i && v.place == Place::Path(pos) && v.origin.is_some())
            });
            if values.len() >= 2 {
                param_at[pos] = true;
                notes.push(format!(
                    "segment {} is a parameter: {} calls sent {} different values",
                    pos + 1,
                    members.len(),
                    values.len()
                ));
            } else if traced {
                param_at[pos] = true;
                notes.push(format!(
                    "segment {} is a parameter: seen once, but its value came from an earlier answer",
                    pos + 1
                ));
            } else {
                notes.push(format!(
                    "segment {} looks like an id but was seen once with no origin: kept as written",
                    pos + 1
                ));
            }
        }
        // Calls that differ in a segment kept as written are different templates.
        let mut split: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
        for (k, &i) in members.iter().enumerate() {
            let key = segs[k]
                .iter()
                .enumerate()
                .map(|(p, s)| {
                    if param_at[p] {
                        String::new()
                    } else {
                        s.clone()
                    }
                })
                .collect();
            split.entry(key).or_default().push(i);
        }
        let mut parts: Vec<_> = split.into_iter().collect();
        parts.sort_by_key(|(_, m)| m[0]);
        for (key, calls_of) in parts {
            let mut segments = Vec::new();
            for (p, lit) in key.iter().enumerate() {
                if param_at[p] {
                    segments.push(Seg::Param(param_name(&key, p, &segments)));
                } else {
                    segments.push(Seg::Lit(lit.clone()));
                }
            }
            for &i in &calls_of {
                of_call[i] = out.len();
            }
            out.push(Template {
                method: method.clone(),
                segments,
                calls: calls_of,
                notes: notes.clone(),
            });
        }
    }
    (out, of_call)
}

/// `contacts/{…}` → `contact_id`; the first segment → `id`; names unique.
fn param_name(key: &[String], pos: usize, before: &[Seg]) -> String {
    let base = match pos.checked_sub(1).and_then(|p| key.get(p)) {
        Some(prev) if !prev.is_empty() => {
            format!(
                "{}_id",
                crate::names::singular(&crate::names::identifier(prev, "item"))
            )
        }
        _ => "id".to_owned(),
    };
    let taken = |n: &str| before.iter().any(|s| *s == Seg::Param(n.to_owned()));
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|n| !taken(n))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_uuids_dates_and_hashes_look_like_ids_words_do_not() {
        for id in [
            "17",
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "2024-06-01",
            "9f86d081884c7d65",
            "cus_9s6XKzkNRiz8i3",
        ] {
            assert!(is_id_like(id), "{id}");
        }
        for word in [
            "contacts",
            "v2",
            "api",
            "me",
            "deadbeef",
            "export-all-records",
        ] {
            assert!(!is_id_like(word), "{word}");
        }
    }
}
