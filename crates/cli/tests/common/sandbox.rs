//! A sandbox (temp dir, connector file, SQLite file) and running the real
//! `holdfast` binary in it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use sqlx::sqlite::SqlitePool;
use tempfile::TempDir;
use tokio::process::{Child, Command};

use super::tables::open_pool;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_holdfast");

/// How long one run of the binary may take before the test gives up.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// A temp dir holding one connector file and one SQLite store.
pub struct Sandbox {
    pub dir: TempDir,
    pub config: PathBuf,
    pub db: PathBuf,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("holdfast-e2e-")
            .tempdir()
            .expect("temp dir");
        let config = dir.path().join("holdfast.yaml");
        let db = dir.path().join("store.db");
        Sandbox { dir, config, db }
    }

    /// The sandbox directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the connector file.
    pub fn write_config(&self, yaml: &str) {
        std::fs::write(&self.config, yaml).expect("write connector file");
    }

    /// Writes another file into the sandbox; returns its path.
    pub fn write_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// `sqlite:///…/store.db`.
    pub fn store_url(&self) -> String {
        format!("sqlite://{}", self.db.display())
    }

    /// A command for the binary with `args`, then `--config` and `--store`
    /// of this sandbox, run in the sandbox with a clean holdfast environment.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend([
            "--config".to_owned(),
            self.config.display().to_string(),
            "--store".to_owned(),
            self.store_url(),
        ]);
        raw_command(self.path(), &all, env)
    }

    /// Runs the binary (see [`Sandbox::command`]) to the end.
    pub async fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[]).await
    }

    /// Runs the binary with extra environment variables.
    pub async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        finish(self.command(args, env)).await
    }

    /// Runs the binary with exactly `args` (no `--config`/`--store` added).
    pub async fn run_raw(&self, args: &[&str]) -> Output {
        self.run_raw_env(args, &[]).await
    }

    /// Runs the binary with exactly `args` and extra environment variables.
    pub async fn run_raw_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        finish(raw_command(self.path(), &args, env)).await
    }

    /// Starts the binary without waiting (stdout and stderr discarded).
    pub fn spawn(&self, args: &[&str]) -> Child {
        let mut cmd = self.command(args, &[]);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        cmd.spawn().expect("spawn holdfast")
    }

    /// Opens the store's SQLite file (it must exist).
    pub async fn pool(&self) -> SqlitePool {
        open_pool(&self.db).await
    }

    /// The bytes of the SQLite file and its `-wal` / `-shm` companions.
    pub fn db_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let path = PathBuf::from(format!("{}{suffix}", self.db.display()));
            if let Ok(b) = std::fs::read(&path) {
                bytes.extend(b);
            }
        }
        assert!(!bytes.is_empty(), "no SQLite file at {}", self.db.display());
        bytes
    }
}

pub fn raw_command(dir: &Path, args: &[String], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
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

async fn finish(mut cmd: Command) -> Output {
    let child = cmd.spawn().expect("spawn holdfast");
    let out = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .expect("holdfast did not finish within 60 s")
        .expect("wait for holdfast");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What one run of the binary did.
pub struct Output {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit code\n{self}");
        self
    }

    /// Both streams, for "appears nowhere" checks.
    pub fn all_text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit code: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Writes `text` to `relative` inside the sandbox (folders created); returns its path.
pub fn write_nested(sandbox: &Sandbox, relative: &str, text: &str) -> PathBuf {
    let path = sandbox.path().join(relative);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create folders");
    }
    std::fs::write(&path, text).expect("write file");
    path
}

/// Runs `holdfast secrets set NAME` with `stdin` piped in.
pub async fn set_secret(
    sandbox: &Sandbox,
    name: &str,
    stdin: &str,
    env: &[(&str, &str)],
) -> Output {
    piped(sandbox.command(&["secrets", "set", name], env), stdin).await
}

/// Runs `cmd` to the end with `stdin` piped in.
pub async fn piped(mut cmd: Command, stdin: &str) -> Output {
    use tokio::io::AsyncWriteExt as _;
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn holdfast secrets set");
    let mut pipe = child.stdin.take().expect("piped stdin");
    // A command that fails before it reads stdin closes the pipe: what it
    // printed and its exit code are the outcome, not the broken pipe.
    match pipe.write_all(stdin.as_bytes()).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => panic!("write stdin: {e}"),
    }
    drop(pipe);
    let out = child.wait_with_output().await.expect("wait");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
