//! Token states: sealed bytes and a plain status per connection, replaced
//! in place and read back one or all.

use super::at;
use crate::TokenStatus;
use crate::prelude::*;

/// A token state reads back byte for byte with its status; saving it again
/// replaces it.
pub async fn kept_replaced_and_listed(store: &dyn Store) {
    assert!(store.load_token("crm").await.expect("load").is_none());
    let sealed: Vec<u8> = (0u8..=255).collect();
    let status = TokenStatus {
        auth_type: "oauth2".into(),
        expires_at: Some(at(10)),
        last_refresh_at: Some(at(1)),
        last_outcome: Some("ok".into()),
        consecutive_failures: 0,
        needs_reauth: false,
    };
    store
        .save_token("crm", &sealed, &status, at(1))
        .await
        .expect("save");
    let kept = store.load_token("crm").await.expect("load").expect("kept");
    assert_eq!(kept.sealed, sealed, "every byte kept");
    assert_eq!(kept.status, status);
    assert_eq!(kept.updated_at, at(1));

    let refused = TokenStatus {
        expires_at: None,
        last_outcome: Some("refused: invalid_grant".into()),
        consecutive_failures: 3,
        needs_reauth: true,
        ..status
    };
    store
        .save_token("crm", &[7], &refused, at(2))
        .await
        .expect("replace");
    store
        .save_token("billing", &[1], &TokenStatus::default(), at(3))
        .await
        .expect("save");
    let all = store.tokens().await.expect("list");
    let names: Vec<&str> = all.iter().map(|t| t.connection.as_str()).collect();
    assert_eq!(names, ["billing", "crm"], "one per connection, by name");
    assert_eq!(all[1].sealed, [7]);
    assert_eq!(all[1].status, refused);
}
