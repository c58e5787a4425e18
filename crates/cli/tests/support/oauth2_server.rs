//! A real OAuth2 server for tests: `oauth2-mock-server` from npm, installed
//! on first use into `<target>/npm-oauth2/` by [`npm::install`] and started
//! by a tiny node script on 127.0.0.1:0 with a short token lifetime.
//!
//! The script (see [`SCRIPT`]) uses the library's hooks: `beforeTokenSigning`
//! sets the JWT's `exp` to now + TTL, `beforeResponse` sets `expires_in` to
//! TTL and enforces refresh-token rotation: each refresh token works once,
//! the answer carries a new one, and an unknown or reused one gets
//! `400 {"error": "invalid_grant"}`. It prints `PORT <n>` once listening and
//! `TOKEN <grant_type> <status> <access_token> <refresh_token>` per token
//! request, which [`OAuth2Server`] collects. Nothing is skipped: when node,
//! npm or the registry is unavailable, [`OAuth2Server::start`] panics and
//! says which step failed.

use std::fs;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

#[path = "npm.rs"]
mod npm;

/// What `npm install` gets.
const PACKAGE: &str = "oauth2-mock-server@9.3.0";

/// The server script: env `TTL` (seconds), `INITIAL_REFRESH_TOKEN`.
const SCRIPT: &str = r#"
import { OAuth2Server } from 'oauth2-mock-server';
const ttl = Number(process.env.TTL || 3);
const valid = new Set([process.env.INITIAL_REFRESH_TOKEN || 'initial-refresh-token']);
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.service.on('beforeTokenSigning', (token) => {
  const now = Math.floor(Date.now() / 1000);
  token.payload.iat = now;
  token.payload.exp = now + ttl;
});
server.service.on('beforeResponse', (response, req) => {
  const grant = req.body.grant_type;
  if (grant === 'refresh_token') {
    if (!valid.has(req.body.refresh_token)) {
      response.statusCode = 400;
      response.body = { error: 'invalid_grant', error_description: 'unknown refresh token' };
    } else {
      valid.delete(req.body.refresh_token);
      valid.add(response.body.refresh_token);
    }
  }
  if (response.statusCode === 200) response.body.expires_in = ttl;
  const b = response.body;
  console.log(`TOKEN ${grant} ${response.statusCode} ${b.access_token || '-'} ${b.refresh_token || '-'}`);
});
await server.start(0, '127.0.0.1');
console.log(`PORT ${server.address().port}`);
"#;

/// One token request as the server answered it.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `client_credentials` or `refresh_token`.
    pub grant: String,
    /// 200 or 400.
    pub status: u16,
    /// The access token issued (`-` when none).
    pub access_token: String,
    /// The refresh token issued (`-` when none).
    pub refresh_token: String,
}

/// A running server; killed on drop.
pub struct OAuth2Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<TokenRequest>>>,
}

impl OAuth2Server {
    /// Starts a server issuing tokens valid `ttl_secs`, accepting
    /// `initial_refresh_token` once.
    pub async fn start(ttl_secs: u64, initial_refresh_token: &str) -> OAuth2Server {
        let dir = install();
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .current_dir(&dir)
            .env("TTL", ttl_secs.to_string())
            .env("INITIAL_REFRESH_TOKEN", initial_refresh_token)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn node (is node on PATH?)");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let log = Arc::new(Mutex::new(Vec::new()));
        let port = loop {
            let line = lines
                .next_line()
                .await
                .expect("read the server's output")
                .expect("the OAuth2 server exited before printing its port");
            if let Some(p) = line.strip_prefix("PORT ") {
                break p.trim().parse().expect("a port");
            }
        };
        let seen = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let parts: Vec<&str> = line.split_whitespace().collect();
                if let ["TOKEN", grant, status, access, refresh] = parts[..] {
                    seen.lock().unwrap().push(TokenRequest {
                        grant: grant.to_owned(),
                        status: status.parse().unwrap_or(0),
                        access_token: access.to_owned(),
                        refresh_token: refresh.to_owned(),
                    });
                }
            }
        });
        OAuth2Server { child, port, log }
    }

    /// `http://127.0.0.1:<port>/token`.
    pub fn token_url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    /// Every token request so far.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.log.lock().unwrap().clone()
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The install directory (see [`npm::install`]), with the script written.
fn install() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = npm::install("oauth2", PACKAGE, r#"{"private": true, "type": "module"}"#);
        fs::write(dir.join("server.mjs"), SCRIPT)
            .unwrap_or_else(|e| panic!("cannot write the script: {e}"));
        dir
    })
    .clone()
}
