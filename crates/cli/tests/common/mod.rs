//! Shared helpers for the end-to-end tests: a sandbox (temp dir, connector
//! file, SQLite file), running the real `holdfast` binary, reading the store
//! with sqlx, and asking the mock API what it serves.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use holdfast_mock::{MockConfig, MockServer};
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_holdfast");

/// How long one run of the binary may take before the test gives up.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Offset 0 of the mock's clock (2024-01-01T00:00:00Z); contact `id` is
/// updated at `BASE + id` seconds until it is touched.
pub const MOCK_BASE: i64 = 1_704_067_200;

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

/// Opens an existing SQLite file.
pub async fn open_pool(db: &Path) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", db.display()))
}

/// The integer primary keys of `table`, ascending.
pub async fn ids(pool: &SqlitePool, table: &str) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM \"{table}\" ORDER BY id"
    )))
    .fetch_all(pool)
    .await
    .unwrap_or_else(|e| panic!("ids of {table}: {e}"))
}

/// `count(*)` of `table`.
pub async fn count(pool: &SqlitePool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM \"{table}\""
    )))
    .fetch_one(pool)
    .await
    .unwrap_or_else(|e| panic!("count of {table}: {e}"))
}

/// `_raw` of every row of `table` by primary key `id` (as text).
pub async fn raw_by_id(pool: &SqlitePool, table: &str) -> BTreeMap<String, Value> {
    let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(id AS TEXT), _raw FROM \"{table}\""
    )))
    .fetch_all(pool)
    .await
    .unwrap_or_else(|e| panic!("rows of {table}: {e}"));
    rows.into_iter()
        .map(|(id, raw)| (id, serde_json::from_str(&raw).expect("_raw is JSON")))
        .collect()
}

/// One row of `_holdfast_runs`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub stream: String,
    pub pages: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub quarantined: i64,
    pub outcome: String,
    pub error: Option<String>,
}

/// Every run, oldest first.
pub async fn runs(pool: &SqlitePool) -> Vec<RunRow> {
    sqlx::query_as(
        "SELECT id, stream, pages, created, updated, unchanged, quarantined, outcome, error \
         FROM _holdfast_runs ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("read _holdfast_runs")
}

/// The runs of `stream`, oldest first.
pub async fn runs_of(pool: &SqlitePool, stream: &str) -> Vec<RunRow> {
    runs(pool)
        .await
        .into_iter()
        .filter(|r| r.stream == stream)
        .collect()
}

/// The saved state of `stream` (`{"cursor": …, "progress": {…}}`), if any.
pub async fn state(pool: &SqlitePool, stream: &str) -> Option<Value> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT state FROM _holdfast_state WHERE stream = ?")
            .bind(stream)
            .fetch_optional(pool)
            .await
            .expect("read _holdfast_state");
    text.map(|t| serde_json::from_str(&t).expect("state is JSON"))
}

/// Starts a mock CRM with `records` contacts on 127.0.0.1 (a free port).
pub async fn start_mock(records: u64) -> MockServer {
    start_mock_with(MockConfig {
        records,
        ..MockConfig::default()
    })
    .await
}

/// Starts a mock CRM with `config`.
pub async fn start_mock_with(config: MockConfig) -> MockServer {
    MockServer::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start mock")
}

/// GETs `url` and parses the JSON body (the request must succeed).
pub async fn get_json(url: &str) -> Value {
    let response = reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert!(
        response.status().is_success(),
        "GET {url}: {}",
        response.status()
    );
    let body = response.bytes().await.expect("body");
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("GET {url}: not JSON: {e}"))
}

/// Every contact the mock serves now, by id (one request to `/none/contacts`).
pub async fn mock_contacts(mock_url: &str) -> BTreeMap<i64, Value> {
    let body = get_json(&format!("{mock_url}/none/contacts")).await;
    body["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|c| (c["id"].as_i64().expect("numeric id"), c.clone()))
        .collect()
}

/// The decoded value of query parameter `name` in a raw query string.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(&format!("http://x/?{query}")).expect("query parses");
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The mock's requests to `path` so far.
pub fn requests_to(mock: &MockServer, path: &str) -> u64 {
    mock.stats().by_path.get(path).copied().unwrap_or(0)
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A connector file with one connection `crm` at `base_url` and one stream
/// `contacts` with the given request/paginate lines (YAML flow mappings).
pub fn contacts_connector(base_url: &str, request: &str, paginate: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
streams:
  contacts:
    connection: crm
    request: {request}
    paginate: {paginate}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

/// One row of `_holdfast_requests` (one attempt of one request).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LoggedRequest {
    pub id: i64,
    pub run_id: Option<i64>,
    pub stream: Option<String>,
    pub connection: String,
    pub endpoint: Option<String>,
    pub at: String,
    pub method: String,
    pub url: String,
    pub status: Option<i64>,
    pub duration_ms: f64,
    pub attempt: i64,
    pub bytes: i64,
    pub error: Option<String>,
    pub message: Option<String>,
    pub waited_ms: f64,
}

/// Every row of the request log, in the order written.
pub async fn request_log(pool: &SqlitePool) -> Vec<LoggedRequest> {
    sqlx::query_as(
        "SELECT id, run_id, stream, connection, endpoint, at, method, url, status, duration_ms, \
         attempt, bytes, error, message, waited_ms FROM _holdfast_requests ORDER BY at, id",
    )
    .fetch_all(pool)
    .await
    .expect("read _holdfast_requests")
}

/// The request log's rows grouped by (run, stream, url) — the attempts of one
/// request — each group in the order the attempts were logged.
pub fn attempts_by_request(log: &[LoggedRequest]) -> Vec<Vec<&LoggedRequest>> {
    let mut groups: Vec<Vec<&LoggedRequest>> = Vec::new();
    let mut index: BTreeMap<(Option<i64>, Option<String>, String), usize> = BTreeMap::new();
    for row in log {
        let key = (row.run_id, row.stream.clone(), row.url.clone());
        match index.get(&key) {
            Some(&i) => groups[i].push(row),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![row]);
            }
        }
    }
    groups
}

// ---- validation, quarantine, drift and mapping helpers ----

/// Every contact the mock serves now, in listing order, keyless ones included
/// (one request to `/none/contacts`).
pub async fn mock_records(mock_url: &str) -> Vec<Value> {
    let body = get_json(&format!("{mock_url}/none/contacts")).await;
    body["data"].as_array().expect("data array").clone()
}

/// The id of a mock contact: its `id`, or for a contact served without one
/// (an untouched contact), the offset of its `updated_at` from [`MOCK_BASE`].
pub fn contact_id(record: &Value) -> i64 {
    if let Some(id) = record["id"].as_i64() {
        return id;
    }
    let updated = record["updated_at"].as_str().expect("updated_at");
    chrono::DateTime::parse_from_rfc3339(updated)
        .expect("updated_at is RFC 3339")
        .timestamp()
        - MOCK_BASE
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

/// A connector with one stream `contacts` over the mock's cursor listing
/// (`limit` records a page), full refresh every run, and `extra` appended
/// to the stream (indented by four spaces already).
pub fn cursor_connector(base_url: &str, limit: u64, extra: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
streams:
  contacts:
    connection: crm
    request: {{ path: /cursor/contacts, params: {{ limit: {limit} }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
{extra}"#
    )
}

/// One violation as stored in `_holdfast_quarantine.violations`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredViolation {
    pub pointer: String,
    pub message: String,
}

/// One row of `_holdfast_quarantine`, its payload and violations parsed.
#[derive(Debug, Clone)]
pub struct QuarantineEntry {
    pub id: i64,
    pub stream: String,
    pub run_id: i64,
    pub reason: String,
    pub raw: Value,
    pub violations: Vec<StoredViolation>,
    pub seen: i64,
    pub resolved_at: Option<String>,
    pub resolved_run: Option<i64>,
}

impl QuarantineEntry {
    /// The mock contact id of the payload (see [`contact_id`]).
    pub fn contact(&self) -> i64 {
        contact_id(&self.raw)
    }

    /// The violation pointers, sorted.
    pub fn pointers(&self) -> Vec<&str> {
        let mut p: Vec<&str> = self.violations.iter().map(|v| v.pointer.as_str()).collect();
        p.sort_unstable();
        p
    }
}

/// Every row of `_holdfast_quarantine` (resolved ones too), oldest first.
pub async fn quarantine_entries(pool: &SqlitePool) -> Vec<QuarantineEntry> {
    type Row = (
        i64,
        String,
        i64,
        String,
        String,
        String,
        i64,
        Option<String>,
        Option<i64>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, stream, run_id, reason, raw, violations, seen, resolved_at, resolved_run \
         FROM _holdfast_quarantine ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("read _holdfast_quarantine");
    rows.into_iter()
        .map(
            |(id, stream, run_id, reason, raw, violations, seen, resolved_at, resolved_run)| {
                let list: Vec<Value> =
                    serde_json::from_str(&violations).expect("violations are a JSON array");
                QuarantineEntry {
                    id,
                    stream,
                    run_id,
                    reason,
                    raw: serde_json::from_str(&raw).expect("raw is JSON"),
                    violations: list
                        .iter()
                        .map(|v| StoredViolation {
                            pointer: v["pointer"].as_str().expect("pointer").to_owned(),
                            message: v["message"].as_str().expect("message").to_owned(),
                        })
                        .collect(),
                    seen,
                    resolved_at,
                    resolved_run,
                }
            },
        )
        .collect()
}

/// The unresolved quarantine rows by mock contact id (each id at most once).
pub async fn open_quarantine(pool: &SqlitePool) -> BTreeMap<i64, QuarantineEntry> {
    let mut out = BTreeMap::new();
    for q in quarantine_entries(pool).await {
        if q.resolved_at.is_none() {
            let id = q.contact();
            assert!(
                out.insert(id, q).is_none(),
                "contact {id} quarantined twice"
            );
        }
    }
    out
}

/// One row of `_holdfast_drift`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DriftEntry {
    pub id: i64,
    pub stream: String,
    pub run_id: Option<i64>,
    pub kind: String,
    pub path: String,
    pub before: String,
    pub after: String,
    pub example: Option<String>,
}

/// Every row of `_holdfast_drift`, oldest first.
pub async fn drift_entries(pool: &SqlitePool) -> Vec<DriftEntry> {
    sqlx::query_as(
        "SELECT id, stream, run_id, kind, path, before, after, example FROM _holdfast_drift ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("read _holdfast_drift")
}

/// The columns of `table` as (name, declared type), in table order.
pub async fn table_columns(pool: &SqlitePool, table: &str) -> Vec<(String, String)> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid"
    )))
    .fetch_all(pool)
    .await
    .unwrap_or_else(|e| panic!("columns of {table}: {e}"))
}

// ---- webhooks, the job queue and actions ----

/// The vendors' official signing libraries in a Python venv (shared with the
/// webhook crate's tests).
#[path = "../../../webhook/tests/support/python.rs"]
pub mod python;

/// How long `holdfast serve` may take to print its address.
const SERVE_START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `holdfast serve` (killed when dropped).
pub struct Serve {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, from its first stdout line.
    pub url: String,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Serve {
    /// Starts `holdfast serve --listen 127.0.0.1:0` with `extra` arguments
    /// and environment `env`, and waits for its first line.
    pub async fn start(sandbox: &Sandbox, extra: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        Serve::spawned(sandbox.command(&args, env)).await
    }

    /// Starts `holdfast serve --listen 127.0.0.1:0` with exactly `args` after
    /// it (no sandbox `--config`/`--store` added), e.g. on another store.
    pub async fn start_raw(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut all = vec![
            "serve".to_owned(),
            "--listen".to_owned(),
            "127.0.0.1:0".to_owned(),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        Serve::spawned(raw_command(sandbox.path(), &all, env)).await
    }

    async fn spawned(mut command: Command) -> Serve {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
        let mut child = command.spawn().expect("spawn holdfast serve");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_str(&text);
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let first = tokio::time::timeout(SERVE_START_TIMEOUT, lines.next_line())
            .await
            .unwrap_or_else(|_| {
                panic!("holdfast serve printed nothing within {SERVE_START_TIMEOUT:?}")
            })
            .expect("read serve stdout");
        let Some(first) = first else {
            let status = child.wait().await.expect("reap serve");
            tokio::time::sleep(Duration::from_millis(100)).await;
            panic!(
                "holdfast serve exited ({status}) before listening\n--- stderr ---\n{}",
                stderr.lock().unwrap_or_else(|e| e.into_inner())
            );
        };
        let url = first
            .strip_prefix("holdfast serve: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line of holdfast serve: {first:?}"))
            .trim()
            .to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "serve listens on 127.0.0.1 only: {url}"
        );
        // keep draining stdout so the process never blocks on a full pipe
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Serve { child, url, stderr }
    }

    /// What it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// SIGKILL, then reap.
    pub async fn kill(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// A reqwest client for 127.0.0.1 (never through a proxy).
pub fn local_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("reqwest client")
}

/// POSTs `body` to `url` with `headers`; the status and the body (JSON, or
/// `{"text": …}` when not JSON).
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    body: impl Into<reqwest::Body>,
) -> Result<(u16, Value), reqwest::Error> {
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    for (k, v) in headers {
        request = request.header(k.as_str(), v.as_str());
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    let value = serde_json::from_slice(&bytes).unwrap_or_else(
        |_| serde_json::json!({ "text": String::from_utf8_lossy(&bytes).into_owned() }),
    );
    Ok((status, value))
}

/// Signs requests with the vendors' official libraries (`sign.py` of the
/// webhook crate, one Python process for all): each request is
/// `{scheme, secret, id, timestamp, body}`; returns the headers to send.
pub fn sign_webhooks(requests: &[Value]) -> Vec<Vec<(String, String)>> {
    use std::io::Write as _;
    if requests.is_empty() {
        return Vec::new();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../webhook/tests/fixtures/sign.py");
    let mut child = std::process::Command::new(python::python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("sign.py runs");
    writer
        .join()
        .expect("writer thread")
        .expect("sign.py reads its input");
    assert!(
        output.status.success(),
        "{} failed ({}):\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("sign.py prints UTF-8");
    let signed: Vec<Vec<(String, String)>> = stdout
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("a JSON line");
            v["headers"]
                .as_object()
                .expect("a headers object")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("a string").to_owned()))
                .collect()
        })
        .collect();
    assert_eq!(signed.len(), requests.len(), "one line per request");
    signed
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// One row of `_holdfast_jobs`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub unique_key: Option<String>,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub result: Option<String>,
}

/// Every job, by id.
pub async fn jobs(pool: &SqlitePool) -> Vec<JobRow> {
    sqlx::query_as(
        "SELECT id, kind, name, unique_key, state, attempts, last_error, result \
         FROM _holdfast_jobs ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("read _holdfast_jobs")
}

/// Jobs still to do now or later (`ready` or `running`).
pub async fn pending_jobs(pool: &SqlitePool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM _holdfast_jobs WHERE state IN ('ready', 'running')")
        .fetch_one(pool)
        .await
        .expect("count pending jobs")
}

/// Waits until no job is `ready` or `running` (panics after `limit`).
pub async fn wait_drained(pool: &SqlitePool, limit: Duration) {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let pending = pending_jobs(pool).await;
        if pending == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pending} job(s) still ready or running after {limit:?}: {:?}",
            jobs(pool)
                .await
                .into_iter()
                .filter(|j| j.state == "ready" || j.state == "running")
                .take(5)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `holdfast queue --json`, parsed.
pub async fn queue_json(sandbox: &Sandbox) -> Value {
    let out = sandbox.run(&["queue", "--json"]).await;
    out.expect_code(0);
    serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("`holdfast queue --json` is not JSON: {e}\n{out}"))
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
    pipe.write_all(stdin.as_bytes()).await.expect("write stdin");
    drop(pipe);
    let out = child.wait_with_output().await.expect("wait");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The lowercase hex HMAC-SHA256 of `body` under `secret` (the `hmac_sha256`
/// scheme's and GitHub's signature, computed as the vendors document it).
pub fn hmac_sha256_hex(secret: &str, body: &[u8]) -> String {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
