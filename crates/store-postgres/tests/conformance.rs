//! The shared store suite, on a fresh PostgreSQL schema per test.

mod support;

use holdfast_store::prelude::*;

async fn fresh_store() -> (Box<dyn Store>, support::SchemaGuard) {
    let (store, guard) = support::fresh().await;
    (Box::new(store), guard)
}

holdfast_store::store_conformance!(fresh_store);
