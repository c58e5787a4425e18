//! A real REST server for tests: `json-server` 0.17 from npm (installed on
//! first use by [`npm::install`]), serving a `db.json` on 127.0.0.1. Its
//! listings paginate with `_page`/`_limit` and answer with
//! `Link: <…>; rel="first", <…>; rel="next", <…>; rel="last"` (several links
//! in one header) and `X-Total-Count`.
//!
//! The package's own binary is run directly rather than through `npx`: `npx`
//! runs it as a child process, which would outlive a killed `npx`.

use std::process::Stdio;
use std::time::Duration;

use tempfile::TempDir;
use tokio::process::{Child, Command};

#[path = "npm.rs"]
mod npm;

/// What `npm install` gets.
const PACKAGE: &str = "json-server@0.17.4";

/// A running json-server; killed on drop.
pub struct JsonServer {
    _child: Child,
    _dir: TempDir,
    port: u16,
}

impl JsonServer {
    /// Serves `db` (a `db.json` document: collection name → array of records).
    pub async fn start(db: &serde_json::Value) -> JsonServer {
        let install = npm::install("json-server", PACKAGE, r#"{"private": true}"#);
        let dir = tempfile::tempdir().expect("temp dir");
        let db_path = dir.path().join("db.json");
        std::fs::write(&db_path, db.to_string()).expect("write db.json");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(install.join("node_modules/.bin/json-server"))
            .args(["--port", &port.to_string(), "--host", "127.0.0.1"])
            .arg(&db_path)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn json-server (is node on PATH?)");
        let server = JsonServer {
            _child: child,
            _dir: dir,
            port,
        };
        server.wait_ready().await;
        server
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{}/db", self.url()))
                .send()
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("json-server did not answer on {} within 10 s", self.url());
    }
}
