//! A stream that fails before its run starts (here: its table exists with
//! another primary key) still says why on stderr, not only through the exit
//! code.

mod common;

use common::{Sandbox, contacts_connector};

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_failing_before_it_starts_says_why() {
    let mock = common::start_mock(50).await;
    let sandbox = Sandbox::new();
    let paginate = r#"{ type: cursor, next: "$.meta.next_cursor", param: cursor }"#;
    let config = contacts_connector(&mock.url(), "{ path: /v2/contacts }", paginate);
    sandbox.write_config(&config);
    sandbox.run(&["sync"]).await.expect_code(0);

    // The same table, now keyed by two fields: the store refuses it.
    sandbox.write_config(&config.replace("primary_key: id", "primary_key: [id, email]"));
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("contacts") && out.stderr.contains("primary key"),
        "stderr says which stream failed and why:\n{out}"
    );
}
