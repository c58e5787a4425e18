//! Where a bulk stream stands, saved with each committed page: the job's
//! id from the moment it exists, then the files and how far they were read.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::SourceError;

/// A bulk stream's position (`{"at": "bulk", "stage": "poll", "job": "…"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BulkPosition {
    /// Always `bulk`, so a position of another kind is not mistaken for one.
    pub(crate) at: String,
    /// The export job.
    pub(crate) job: String,
    /// What is left to do.
    #[serde(flatten)]
    pub(crate) stage: Stage,
}

/// What is left to do for a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub(crate) enum Stage {
    /// Wait until the job is done.
    Poll,
    /// Read the files from `file`, skipping its first `record` records.
    Download {
        /// The file URLs the job handed out (no connection credentials).
        urls: Vec<String>,
        /// The file being read (0-based).
        file: usize,
        /// Records of that file already committed.
        record: u64,
        /// Records of earlier files committed.
        done: u64,
        /// How many records the job said it exported, if it says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rows: Option<u64>,
    },
}

impl BulkPosition {
    /// Polling `job`.
    pub(crate) fn poll(job: &str) -> Self {
        BulkPosition {
            at: "bulk".to_owned(),
            job: job.to_owned(),
            stage: Stage::Poll,
        }
    }

    /// Reads a saved position of `stream`.
    pub(crate) fn parse(stream: &str, value: &Value) -> Result<Self, SourceError> {
        serde_json::from_value::<BulkPosition>(value.clone())
            .ok()
            .filter(|p| p.at == "bulk")
            .ok_or_else(|| {
                SourceError::Other(format!(
                    "the saved position {value} is not a bulk export's position of stream \
                     `{stream}`; run with --full-refresh to start over"
                ))
            })
    }

    /// As JSON, for [`Page::next`](crate::source::Page::next).
    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn positions_read_as_documented() {
        assert_eq!(
            BulkPosition::poll("exp_1").to_value(),
            json!({"at": "bulk", "job": "exp_1", "stage": "poll"})
        );
        let p = BulkPosition::parse(
            "s",
            &json!({"at": "bulk", "job": "j", "stage": "download", "urls": ["u"],
                    "file": 0, "record": 10, "done": 0}),
        )
        .expect("parses");
        assert!(matches!(
            p.stage,
            Stage::Download {
                record: 10,
                rows: None,
                ..
            }
        ));
        assert!(BulkPosition::parse("s", &json!({"cursor": "x"})).is_err());
    }
}
