//! Secrets: sealed bytes kept by name, replaced, listed and deleted.

use super::at;
use crate::prelude::*;

/// A secret reads back byte for byte with its time; setting it again
/// replaces it; deleting says whether there was one.
pub async fn kept_replaced_and_deleted(store: &dyn Store) {
    assert!(store.secrets().await.expect("list").is_empty());
    let sealed: Vec<u8> = (0u8..=255).collect();
    store
        .put_secret("crm_token", &sealed, at(1))
        .await
        .expect("put");
    store
        .put_secret("alpha", &[0, 1, 2], at(2))
        .await
        .expect("put");
    let listed = store.secrets().await.expect("list");
    let names: Vec<&str> = listed.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["alpha", "crm_token"], "sorted by name");
    assert_eq!(
        listed[1].sealed, sealed,
        "every byte kept (NUL and 0xff too)"
    );
    assert_eq!(listed[1].updated_at, at(1));

    store
        .put_secret("crm_token", &[9, 9], at(3))
        .await
        .expect("replace");
    let listed = store.secrets().await.expect("list");
    assert_eq!(listed.len(), 2, "replaced, not added");
    assert_eq!(listed[1].sealed, [9, 9]);
    assert_eq!(listed[1].updated_at, at(3));

    assert!(store.delete_secret("crm_token").await.expect("delete"));
    assert!(
        !store
            .delete_secret("crm_token")
            .await
            .expect("delete again")
    );
    let listed = store.secrets().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "alpha");
}
