//! What the notes endpoint remembers: the notes created, and the answer
//! given to each idempotency key.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};

/// What the notes endpoint did, from `GET /_mock/notes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NotesLog {
    /// Notes created (each one a remote effect), oldest first.
    pub notes: Vec<Value>,
    /// Requests answered from a remembered key, creating nothing.
    pub replays: u64,
    /// Requests per idempotency key, for keys seen more than once.
    pub repeated_keys: HashMap<String, u64>,
    /// Requests that carried no `Idempotency-Key`.
    pub without_key: u64,
}

/// The remembered answers, by key.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    log: NotesLog,
    answers: HashMap<String, Value>,
    seen: HashMap<String, u64>,
}

impl Notes {
    /// What happened so far.
    pub(crate) fn log(&self) -> NotesLog {
        let mut log = self.log.clone();
        log.repeated_keys = self
            .seen
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(k, n)| (k.clone(), *n))
            .collect();
        log
    }

    /// Records one `POST /v2/notes` of `input` with idempotency `key`: the
    /// answer, whether it was replayed from an earlier request with the key,
    /// and whether this request was the first of its key.
    pub(crate) fn record(&mut self, input: &Value, key: Option<&str>) -> (Value, bool, bool) {
        if let Some(k) = key {
            *self.seen.entry(k.to_owned()).or_default() += 1;
            if let Some(previous) = self.answers.get(k) {
                self.log.replays += 1;
                return (previous.clone(), true, false);
            }
        } else {
            self.log.without_key += 1;
        }
        let id = self.log.notes.len() + 1;
        let mut note = input.clone();
        if let Some(obj) = note.as_object_mut() {
            obj.insert("id".into(), json!(id));
        }
        self.log.notes.push(note.clone());
        let answer = json!({ "note": note });
        if let Some(k) = key {
            self.answers.insert(k.to_owned(), answer.clone());
        }
        (answer, false, key.is_some())
    }
}
