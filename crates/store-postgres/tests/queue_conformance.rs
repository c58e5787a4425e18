//! The shared job queue and webhook event suite, on a fresh PostgreSQL
//! schema per test.

mod support;

use holdfast_store::prelude::*;

async fn fresh_queue() -> (Box<dyn Store>, support::SchemaGuard) {
    let (store, guard) = support::fresh().await;
    (Box::new(store), guard)
}

holdfast_store::queue_conformance!(fresh_queue);
