//! A real GraphQL server for tests: `graphql-yoga` 5 (with `graphql` 16)
//! from npm, installed on first use by [`npm::install`], running the small
//! schema in `graphql_server.cjs` on 127.0.0.1: `products(first, after)`, a
//! Relay connection (`nodes`, `pageInfo { hasNextPage endCursor }`).

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

#[path = "npm.rs"]
mod npm;

/// What `npm install` gets.
const PACKAGE: &str = "graphql-yoga@5.24.1";

/// The manifest: `graphql` 16 is yoga's peer dependency.
const MANIFEST: &str = r#"{"private": true, "dependencies": {"graphql": "16.11.0"}}"#;

/// How the server answers (see `graphql_server.cjs`).
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Every page as asked.
    Ok,
    /// Product 3's title fails: its page has partial `data` and `errors`.
    Errors,
    /// The first request answers a `THROTTLED` error.
    ThrottleOnce,
    /// The last page says `hasNextPage: true` with a null `endCursor`.
    NullCursor,
}

/// A running GraphQL server; killed on drop.
pub struct GraphqlServer {
    _child: Child,
    port: u16,
}

impl GraphqlServer {
    /// Serves `products` products, answering as `mode` says.
    pub async fn start(products: usize, mode: Mode) -> GraphqlServer {
        let install = npm::install("graphql-yoga", PACKAGE, MANIFEST);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/graphql_server.cjs"
        );
        let mode = match mode {
            Mode::Ok => "ok",
            Mode::Errors => "errors",
            Mode::ThrottleOnce => "throttle_once",
            Mode::NullCursor => "null_cursor",
        };
        let child = Command::new("node")
            .arg(script)
            .args([port.to_string(), products.to_string(), mode.to_owned()])
            .env("NODE_PATH", install.join("node_modules"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn node (is node on PATH?)");
        let server = GraphqlServer {
            _child: child,
            port,
        };
        server.wait_ready().await;
        server
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every GraphQL request the server got: `{query, variables, operationName}`.
    pub async fn log(&self) -> Vec<serde_json::Value> {
        let text = reqwest::get(format!("{}/_log", self.url()))
            .await
            .expect("GET /_log")
            .text()
            .await
            .expect("the log");
        serde_json::from_str(&text).expect("the log is JSON")
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{}/_log", self.url()))
                .send()
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the GraphQL server did not answer on {} within 10 s",
            self.url()
        );
    }
}
