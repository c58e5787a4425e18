//! The next position of the strategies that read it from more than one
//! place of a page: `last_record` (the last record and `more`) and `relay`
//! (`pageInfo`).

use holdfast_spec::Path;
use serde_json::Value;

use crate::RecordsError;

/// `last_record`: the last record's `field` while `more` is true; `None`
/// when `more` is false.
///
/// # Errors
/// `more` missing or not a boolean, `more` true on an empty page, or a last
/// record without a usable `field`.
pub(super) fn last_record(
    page: u64,
    body: &Value,
    last: Option<&Value>,
    field: &str,
    more: &Path,
) -> Result<Option<String>, RecordsError> {
    let unclear = |problem: String| RecordsError::NextUnclear { page, problem };
    let more_value = match more.path.query(body).first() {
        Some(Value::Bool(b)) => *b,
        None => {
            return Err(unclear(format!(
                "`paginate.more` ({}) is missing from the body",
                more.source
            )));
        }
        Some(other) => {
            return Err(unclear(format!(
                "`paginate.more` ({}) should be true or false, found {}",
                more.source,
                cut(other)
            )));
        }
    };
    if !more_value {
        return Ok(None);
    }
    let Some(last) = last else {
        return Err(unclear(format!(
            "`paginate.more` ({}) is true on a page without records, so there is no last record \
             to continue after",
            more.source
        )));
    };
    match last.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        None | Some(Value::Null) => Err(unclear(format!(
            "the last record has no `{field}` (`paginate.field`) to continue after"
        ))),
        Some(other) => Err(unclear(format!(
            "the last record's `{field}` (`paginate.field`) should be a string or number, found {}",
            cut(other)
        ))),
    }
}

/// `relay`: `endCursor` while `hasNextPage` is true; `None` when it is false.
///
/// # Errors
/// No `pageInfo` object, `hasNextPage` missing or not a boolean, or true
/// with no `endCursor`.
pub(super) fn relay(
    page: u64,
    body: &Value,
    page_info: &Path,
) -> Result<Option<String>, RecordsError> {
    let unclear = |problem: String| RecordsError::NextUnclear { page, problem };
    let info = match page_info.path.query(body).first() {
        Some(Value::Object(info)) => info,
        None => {
            return Err(unclear(format!(
                "`paginate.page_info` ({}) is missing from the body",
                page_info.source
            )));
        }
        Some(other) => {
            return Err(unclear(format!(
                "`paginate.page_info` ({}) should be an object with `hasNextPage` and \
                 `endCursor`, found {}",
                page_info.source,
                cut(other)
            )));
        }
    };
    let more = match info.get("hasNextPage") {
        Some(Value::Bool(b)) => *b,
        None => {
            return Err(unclear(format!(
                "`{}` has no `hasNextPage` (ask for `pageInfo {{ hasNextPage endCursor }}` in the query)",
                page_info.source
            )));
        }
        Some(other) => {
            return Err(unclear(format!(
                "`{}.hasNextPage` should be true or false, found {}",
                page_info.source,
                cut(other)
            )));
        }
    };
    if !more {
        return Ok(None);
    }
    match info.get("endCursor") {
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        None | Some(Value::Null) => Err(unclear(format!(
            "`{}.hasNextPage` is true but there is no `endCursor` (ask for `pageInfo {{ \
             hasNextPage endCursor }}` in the query)",
            page_info.source
        ))),
        Some(other) => Err(unclear(format!(
            "`{}.endCursor` should be a non-empty string, found {}",
            page_info.source,
            cut(other)
        ))),
    }
}

/// A value as JSON text, cut to 80 characters.
fn cut(value: &Value) -> String {
    value.to_string().chars().take(80).collect()
}
