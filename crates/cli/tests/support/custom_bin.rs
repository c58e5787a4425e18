//! The custom-source binary (`examples/custom_source.rs`, a `holdfast` built
//! with `Holdfast::new().source(…)`), built by cargo once per test process
//! into the target directory of the `holdfast` binary under test, and ways
//! to run it like `common` runs the stock one.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::common::{Output, Sandbox};

/// The example binary, built now if it is missing or stale (cargo decides).
///
/// Examples have no `CARGO_BIN_EXE_*`, so the test asks the cargo running it
/// to build the example into the same target directory and profile as the
/// `holdfast` under test: a no-op when `cargo test` built it already.
pub fn custom_bin() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(build).clone()
}

fn build() -> PathBuf {
    let holdfast = Path::new(env!("CARGO_BIN_EXE_holdfast"));
    let profile_dir = holdfast.parent().expect("the binary's folder");
    let target_dir = profile_dir.parent().expect("the target folder");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let mut cargo = std::process::Command::new(env!("CARGO"));
    cargo
        .args([
            "build",
            "--workspace",
            "--example",
            "custom_source",
            "--manifest-path",
        ])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .stdin(Stdio::null());
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cargo.arg("--release");
    }
    let out = cargo.output().expect("run cargo");
    assert!(
        out.status.success(),
        "cargo build --example custom_source failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exe = profile_dir
        .join("examples")
        .join(format!("custom_source{}", std::env::consts::EXE_SUFFIX));
    assert!(exe.exists(), "no {} after the build", exe.display());
    exe
}

/// `bin` with `args`, then the sandbox's `--config` and `--store`, in the
/// sandbox with a clean holdfast environment plus `env`.
pub fn command(bin: &Path, sandbox: &Sandbox, args: &[&str], env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .arg("--config")
        .arg(&sandbox.config)
        .arg("--store")
        .arg(sandbox.store_url())
        .current_dir(sandbox.path())
        .env_remove("HOLDFAST_STORE")
        .env_remove("HOLDFAST_CONFIG")
        .env_remove("HOLDFAST_LOG")
        .env_remove("RUST_LOG")
        .kill_on_drop(true)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `bin` (see [`command`]) to the end (60 s at most).
pub async fn run(bin: &Path, sandbox: &Sandbox, args: &[&str], env: &[(&str, String)]) -> Output {
    let child = command(bin, sandbox, args, env).spawn().expect("spawn");
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("finished within 60 s")
        .expect("wait");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `bin serve --listen 127.0.0.1:0 --workers 1` on the sandbox.
pub struct CustomServe {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl CustomServe {
    /// Starts it and waits for the line with its address.
    pub async fn start(bin: &Path, sandbox: &Sandbox, env: &[(&str, String)]) -> CustomServe {
        use tokio::io::{AsyncBufReadExt as _, BufReader};
        let args = ["serve", "--listen", "127.0.0.1:0", "--workers", "1"];
        let mut cmd = command(bin, sandbox, &args, env);
        cmd.stderr(Stdio::inherit()).env("HOLDFAST_LOG", "warn");
        let mut child = cmd.spawn().expect("spawn serve");
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("serve printed its address within 30 s")
            .expect("read stdout")
            .expect("serve exited before listening");
        let url = first
            .strip_prefix("holdfast serve: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
            .trim()
            .to_owned();
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        CustomServe { child, url }
    }

    /// SIGTERM, then waits for a clean exit.
    pub async fn stop(&mut self) {
        let pid = self.child.id().expect("running");
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("serve stopped within 30 s of SIGTERM")
            .expect("wait");
        assert!(status.success(), "serve exited with {status}");
    }
}
