//! Tests for shapes: observing, drift, schema inference.

mod drift;
mod infer;
mod observe;

use serde_json::Value;

use super::Shape;

/// The shape of `records`.
fn shape_of<'a>(records: impl IntoIterator<Item = &'a Value>) -> Shape {
    let mut shape = Shape::default();
    for r in records {
        shape.observe(r);
    }
    shape
}
