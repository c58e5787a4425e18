//! A running `holdfast serve`, requests to it, and signed webhooks.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::{Child, Command};

use super::python;
use super::sandbox::{Sandbox, raw_command};

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

    /// `GET path` (with `token` as a bearer token, if any): the status and the JSON answer.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = local_client().get(format!("{}{path}", self.url));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.expect("GET");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).expect("a JSON answer"))
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

/// `holdfast queue --json`, parsed.
pub async fn queue_json(sandbox: &Sandbox) -> Value {
    let out = sandbox.run(&["queue", "--json"]).await;
    out.expect_code(0);
    serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("`holdfast queue --json` is not JSON: {e}\n{out}"))
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
