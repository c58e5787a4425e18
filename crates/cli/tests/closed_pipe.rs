//! Issue 14, item 7: output to a pipe whose reader has gone never panics,
//! and the exit code stays the one the command meant
//! (`holdfast sync --config bad.yaml 2>&1 | head -4`).

mod common;

use std::fmt::Write as _;
use std::process::Stdio;

use common::*;

/// Where the binary's stdout and stderr go: captured, or a pipe whose read
/// end is closed before the binary starts.
#[derive(Clone, Copy, Debug)]
enum Closed {
    Stdout,
    Stderr,
    Both,
}

/// Runs `args` (with the sandbox's `--config`/`--store`) with the ends of
/// `ends` closed; returns the exit code and whatever the open end got.
async fn run_closed(sandbox: &Sandbox, args: &[&str], ends: Closed) -> (Option<i32>, String) {
    let mut cmd = sandbox.command(args, &[]);
    let closed = || {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        Stdio::from(writer)
    };
    match ends {
        Closed::Stdout => cmd.stdout(closed()),
        Closed::Stderr => cmd.stderr(closed()),
        Closed::Both => cmd.stdout(closed()).stderr(closed()),
    };
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        cmd.spawn().expect("spawn holdfast").wait_with_output(),
    )
    .await
    .expect("holdfast finished")
    .expect("wait for holdfast");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// A connector file with 300 streams on a connection that does not exist:
/// 300 errors, far more than a pipe buffer holds in one write.
fn bad_config() -> String {
    let mut yaml =
        String::from("connections:\n  crm:\n    base_url: \"http://127.0.0.1:1\"\nstreams:\n");
    for i in 0..300 {
        let _ = write!(
            yaml,
            "  stream_{i}:\n    connection: nope_{i}\n    request: {{ path: /contacts }}\n    records: \"$.data[*]\"\n    primary_key: id\n"
        );
    }
    yaml
}

#[tokio::test]
async fn a_bad_config_on_a_closed_pipe_exits_2_without_a_panic() {
    let sandbox = Sandbox::new();
    sandbox.write_config(&bad_config());
    // the errors are what the reader would have seen
    let full = sandbox.run(&["sync"]).await;
    full.expect_code(2);
    assert!(full.stderr.contains("nope_299"), "{full}");
    for command in ["sync", "check"] {
        for ends in [Closed::Stderr, Closed::Both, Closed::Stdout] {
            let (code, text) = run_closed(&sandbox, &[command], ends).await;
            assert_eq!(code, Some(2), "{command} with {ends:?}: {text}");
            assert!(
                !text.contains("panicked"),
                "{command} with {ends:?}: {text}"
            );
        }
    }
}

#[tokio::test]
async fn listings_and_json_on_a_closed_pipe_keep_their_exit_code() {
    let mock = start_mock(3000).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "{}  broken:\n    connection: down\n    request: {{ path: /contacts }}\n    records: \"$.data[*]\"\n    primary_key: id\n",
        cursor_connector(&mock.url(), 10, "")
    ).replace(
        "streams:",
        "  down:\n    base_url: \"http://127.0.0.1:1\"\n    retry: { attempts: 1 }\nstreams:",
    ));
    let first = sandbox.run(&["sync", "--json"]).await;
    let meant = first.code;
    assert_ne!(meant, Some(0), "one stream cannot connect: {first}");
    // the JSON result goes to a closed stdout: the failure's exit code stays
    for ends in [Closed::Stdout, Closed::Both] {
        let (code, text) =
            run_closed(&sandbox, &["sync", "--json", "contacts", "broken"], ends).await;
        assert_eq!(code, meant, "sync --json with {ends:?}: {text}");
        assert!(!text.contains("panicked"), "{text}");
    }
    // a long listing into a closed stdout
    for args in [
        &["runs", "--limit", "1000"][..],
        &["runs", "--requests", "1"][..],
        &["status"][..],
    ] {
        for ends in [Closed::Stdout, Closed::Stderr, Closed::Both] {
            let (code, text) = run_closed(&sandbox, args, ends).await;
            assert_eq!(code, Some(0), "{args:?} with {ends:?}: {text}");
            assert!(!text.contains("panicked"), "{args:?} with {ends:?}: {text}");
        }
    }
}
