//! Table-driven tests of coercion (`time`, `coerce`) and of the mapper.

mod coerce;
mod mapper;
mod time;

use holdfast_spec::FieldKind;
use serde_json::Value;

/// Asserts every `(input, expected)` row: `Ok(stored)` or `Err(message)`.
fn table(kind: &FieldKind, rows: &[(Value, Result<Value, &str>)]) {
    for (input, expected) in rows {
        let got = super::coerce(kind, input);
        let expected = expected.clone().map_err(str::to_owned);
        assert_eq!(got, expected, "{kind:?} of {input}");
    }
}
