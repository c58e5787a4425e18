//! `holdfast serve` on a store whose disk fills up, then gets room again
//! (issue 13): while full, webhooks are refused with 503 (never
//! acknowledged and lost) and `/readyz` says not ready and why; once the
//! disk has room, the same process (no restart) is ready again, accepts the
//! redelivered webhooks and applies them.
//!
//! The disk is a small tmpfs mounted for the test (CI runs as root); where
//! this process may not mount, the test prints why it skipped. On
//! PostgreSQL, whose server cannot be filled cheaply, commits are refused
//! by a deferred constraint trigger instead, then allowed again.
#![allow(clippy::disallowed_macros)] // a test's own output is captured by the harness

mod common;
#[path = "../../store-postgres/tests/support/mod.rs"]
mod pg;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Sandbox, Serve, local_client, open_pool, post, wait_drained};
use serde_json::{Value, json};

const SECRET: &str = "issue-13-disk-full";
/// Webhooks sent while the disk is full (and sent again after).
const WHILE_FULL: i64 = 8;

const CONFIG: &str = r#"
connections:
  crm: { base_url: "http://127.0.0.1:9" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    map: { email: "$.email" }
webhooks:
  crm_events:
    path: /hooks/crm
    verify: { scheme: hmac_sha256, secret: "{{ env.HOOK_SECRET }}", header: X-Signature, encoding: hex }
    event_id: "$.id"
    route: [ { stream: contacts, record: "$.data" } ]
"#;

/// A contact event (padded, so each needs pages of its own) and its signature.
fn signed_event(contact: i64) -> (String, Vec<(String, String)>) {
    let body = json!({
        "id": format!("evt-{contact}"),
        "data": { "id": contact, "email": format!("c{contact}@example.com"), "notes": "n".repeat(6000) }
    })
    .to_string();
    let signature = common::hmac_sha256_hex(SECRET, body.as_bytes());
    (body, vec![("X-Signature".to_owned(), signature)])
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = client.get(url).send().await.expect("GET");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("read body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

async fn send(client: &reqwest::Client, serve: &Serve, contact: i64) -> (u16, Value) {
    let (body, headers) = signed_event(contact);
    post(client, &format!("{}/hooks/crm", serve.url), &headers, body)
        .await
        .expect("POST webhook")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_serve_recovers_from_a_full_disk_without_a_restart() {
    let Some(disk) = Tmpfs::mount("8m") else {
        return;
    };
    let sandbox = Sandbox::new();
    sandbox.write_config(CONFIG);
    let db = disk.path().join("store.db");
    let store = format!("sqlite://{}", db.display());
    let mut serve = Serve::start_raw(
        &sandbox,
        &[
            "--config",
            &sandbox.config.display().to_string(),
            "--store",
            &store,
        ],
        &[("HOOK_SECRET", SECRET)],
    )
    .await;
    let client = local_client();
    let ready = format!("{}/readyz", serve.url);
    let pool = open_pool(&db).await;

    assert_eq!(get(&client, &ready).await.0, 200, "ready at first");
    let (status, answer) = send(&client, &serve, 1).await;
    assert_eq!(status, 200, "{answer}");
    wait_drained(&pool, Duration::from_secs(30)).await;

    let filler = disk.fill();
    let (status, answer) = get(&client, &ready).await;
    eprintln!("disk full: /readyz {status} {answer}");
    assert_eq!(status, 503, "not ready on a full disk: {answer}");
    let why = answer["error"].as_str().unwrap_or_default();
    assert!(
        why.contains("cannot be written") && why.contains("full"),
        "says why: {why}"
    );
    let mut acknowledged = vec![1];
    for contact in 100..100 + WHILE_FULL {
        let (status, answer) = send(&client, &serve, contact).await;
        eprintln!("disk full: webhook {contact}: {status} {answer}");
        assert!(
            status == 503 || status == 200,
            "refused with 503 or (room found) acknowledged: {status} {answer}"
        );
        if status == 200 {
            acknowledged.push(contact);
        }
    }
    assert!(
        acknowledged.len() == 1,
        "a full disk refuses webhooks; acknowledged: {acknowledged:?}"
    );

    std::fs::remove_file(&filler).expect("remove the filler");
    let freed = Instant::now();
    let (status, answer) = loop {
        let (status, answer) = get(&client, &ready).await;
        if status == 200 || freed.elapsed() > Duration::from_secs(30) {
            break (status, answer);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    eprintln!(
        "room again: /readyz {status} {answer} after {:?}",
        freed.elapsed()
    );
    assert_eq!(status, 200, "ready again without a restart: {answer}");
    // the vendor delivers the refused events again
    for contact in 100..100 + WHILE_FULL {
        let (status, answer) = send(&client, &serve, contact).await;
        assert_eq!(
            (status, &answer["status"]),
            (200, &json!("queued")),
            "webhook {contact} once there is room: {answer}"
        );
    }
    wait_drained(&pool, Duration::from_secs(30)).await;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM contacts ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("read contacts");
    let mut expected = vec![1];
    expected.extend(100..100 + WHILE_FULL);
    assert_eq!(ids, expected, "every event applied, nothing lost");
    let dead: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _holdfast_jobs WHERE state <> 'done'")
        .fetch_one(&pool)
        .await
        .expect("count jobs");
    assert_eq!(dead, 0, "no job left behind");
    assert!(
        serve.child.try_wait().expect("poll serve").is_none(),
        "the same serve process throughout"
    );
    eprintln!("serve stderr:\n{}", serve.stderr());
    pool.close().await;
    serve.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_serve_recovers_from_refused_commits_on_postgres() {
    let schema = pg::schema_name();
    let _guard = pg::SchemaGuard::new(schema.clone());
    let url = pg::url();
    let sep = if url.contains('?') { '&' } else { '?' };
    // two pooled connections: each meets failed commits, each is reused after
    let store = format!("{url}{sep}schema={schema}&application_name={schema}&pool_max=2");
    let sandbox = Sandbox::new();
    sandbox.write_config(CONFIG);
    let mut serve = Serve::start_raw(
        &sandbox,
        &[
            "--config",
            &sandbox.config.display().to_string(),
            "--store",
            &store,
        ],
        &[("HOOK_SECRET", SECRET)],
    )
    .await;
    let client = local_client();
    let ready = format!("{}/readyz", serve.url);
    let mut admin = pg::connect().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET search_path TO \"{schema}\""
    )))
    .execute(&mut admin)
    .await
    .expect("set search_path");

    assert_eq!(get(&client, &ready).await.0, 200, "ready at first");
    let (status, answer) = send(&client, &serve, 1).await;
    assert_eq!(status, 200, "{answer}");

    sqlx::raw_sql(
        "CREATE TABLE refuse_commits (why TEXT NOT NULL);
         CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF EXISTS (SELECT 1 FROM refuse_commits) THEN
             RAISE EXCEPTION 'commit refused by the test';
           END IF;
           RETURN NULL;
         END $$;
         CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON _holdfast_jobs
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit();
         CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON _holdfast_leases
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit();
         INSERT INTO refuse_commits VALUES ('test');",
    )
    .execute(&mut admin)
    .await
    .expect("set up the refusing triggers");
    let (status, answer) = get(&client, &ready).await;
    eprintln!("commits refused: /readyz {status} {answer}");
    assert_eq!(status, 503, "not ready while commits fail: {answer}");
    let why = answer["error"].as_str().unwrap_or_default();
    assert!(
        why.contains("cannot be written") && why.contains("commit refused by the test"),
        "says why: {why}"
    );
    for contact in 100..100 + WHILE_FULL {
        let (status, answer) = send(&client, &serve, contact).await;
        assert_eq!(
            status, 503,
            "webhook {contact} refused, not acknowledged: {answer}"
        );
    }

    sqlx::query("DELETE FROM refuse_commits")
        .execute(&mut admin)
        .await
        .expect("allow commits again");
    let (status, answer) = get(&client, &ready).await;
    assert_eq!(status, 200, "ready again without a restart: {answer}");
    for contact in 100..100 + WHILE_FULL {
        let (status, answer) = send(&client, &serve, contact).await;
        assert_eq!(
            (status, &answer["status"]),
            (200, &json!("queued")),
            "webhook {contact} once commits pass: {answer}"
        );
    }
    let mut expected = vec![1];
    expected.extend(100..100 + WHILE_FULL);
    let deadline = Instant::now() + Duration::from_secs(30);
    let ids = loop {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT (id::text)::bigint AS n FROM contacts ORDER BY n")
                .fetch_all(&mut admin)
                .await
                .expect("read contacts");
        if ids == expected || Instant::now() > deadline {
            break ids;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(ids, expected, "every event applied, nothing lost");
    assert!(
        serve.child.try_wait().expect("poll serve").is_none(),
        "the same serve process throughout"
    );
    serve.kill().await;
    let _ = sqlx::Connection::close(admin).await;
}

/// A tmpfs of a fixed size mounted on a temp dir, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`8m`); `None` (with the reason printed)
    /// when this process may not mount.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            let denied = [
                "permission denied",
                "not permitted",
                "only root",
                "must be superuser",
            ]
            .iter()
            .any(|w| why.to_lowercase().contains(w));
            assert!(denied, "mount -t tmpfs failed for another reason: {why}");
            eprintln!(
                "SKIPPED issue_13 disk-full test: mounting a tmpfs needs root here ({})",
                why.trim()
            );
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the disk has no room left; its path.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("create filler");
        for chunk in [64 * 1024, 4096, 1] {
            let bytes = vec![0u8; chunk];
            while file.write_all(&bytes).is_ok() {}
        }
        let _ = file.flush();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}
