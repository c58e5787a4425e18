//! Issue 14, item 9: a failure is printed once (the run's summary line, not
//! a WARN log line as well), and a `check` error names the stream.

mod common;

use common::{Sandbox, cursor_connector, start_mock};

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_sync_is_printed_once() {
    let sandbox = Sandbox::new();
    // nothing listens on port 1: every request fails
    sandbox.write_config(
        &cursor_connector("http://127.0.0.1:1", 10, "")
            .replace("    base_url", "    retry: { attempts: 1 }\n    base_url"),
    );
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(1);
    let failed: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("127.0.0.1:1"))
        .collect();
    assert_eq!(failed.len(), 1, "the failure once: {out}");
    assert!(failed[0].starts_with("sync contacts: failed: "), "{out}");
    assert!(
        !out.stderr.contains("WARN"),
        "no log line repeats it: {out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_error_names_the_stream() {
    let mock = start_mock(30).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(
        &cursor_connector(&mock.url(), 10, "")
            .replace("param: cursor }", "param: cursor, max_pages: 1 }"),
    );
    let out = sandbox.run(&["check"]).await;
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("stream `contacts` (testing connection `crm`): "),
        "{out}"
    );
    assert!(
        out.stderr.contains("more than 1 page in one chain"),
        "{out}"
    );
}
