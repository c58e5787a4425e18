//! A real full disk (a small tmpfs mounted for the test, filled with a
//! file): writes fail with a clear error, `check_writable` says so, and once
//! the filler is gone the same store (same pool, no reopening) writes again.
//!
//! Mounting needs root (CI runs as root); without the privilege the test
//! prints why it skipped.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone, Utc};
use holdfast_store::prelude::*;
use holdfast_store::{Enqueued, NewJob};
use holdfast_store_sqlite::SqliteStore;

/// More than the store's pooled connections: every one of them meets a
/// failed commit, and every one must write again afterwards.
const ROUNDS: usize = 10;

#[tokio::test]
async fn issue_13_a_commit_failing_on_a_full_disk_leaves_the_pool_usable() {
    let Some(disk) = Tmpfs::mount("4m") else {
        return;
    };
    let path = disk.path().join("store.db");
    let store = SqliteStore::open(&path.display().to_string())
        .await
        .expect("open SQLite store on the tmpfs");
    let now = Utc.timestamp_opt(1_700_000_000, 0).single().expect("time");
    store.check_writable(now).await.expect("writable at first");
    enqueue(&store, "before")
        .await
        .expect("a job before the disk fills");

    let filler = disk.fill();
    let mut refused = 0;
    for round in 0..ROUNDS {
        let name = format!("full-{round}");
        match enqueue(&store, &name).await {
            Ok(outcome) => panic!("enqueued on a full disk ({outcome:?}): it must fail"),
            Err(e) => {
                let text = e.to_string();
                if round == 0 {
                    eprintln!("full disk: {text}");
                }
                assert!(
                    text.contains("full") || text.contains("disk"),
                    "the error says the disk is full: {text}"
                );
                refused += 1;
            }
        }
        let probe = store
            .check_writable(now)
            .await
            .expect_err("check_writable fails on a full disk");
        assert!(
            probe.to_string().contains("can be written"),
            "the probe's error says what it checked: {probe}"
        );
    }
    assert_eq!(refused, ROUNDS);

    std::fs::remove_file(&filler).expect("remove the filler");
    for round in 0..ROUNDS {
        store
            .check_writable(now)
            .await
            .unwrap_or_else(|e| panic!("round {round}: writable again once there is room: {e}"));
        let outcome = enqueue(&store, &format!("after-{round}"))
            .await
            .unwrap_or_else(|e| panic!("round {round}: enqueue once there is room: {e}"));
        assert!(matches!(outcome, Enqueued::Created(_)), "{outcome:?}");
    }
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM _holdfast_jobs ORDER BY id")
        .fetch_all(store.pool())
        .await
        .expect("list jobs");
    let mut expected = vec!["before".to_owned()];
    expected.extend((0..ROUNDS).map(|r| format!("after-{r}")));
    assert_eq!(
        names, expected,
        "nothing refused was stored, nothing else lost"
    );
    assert!(
        store.leases().await.expect("leases").is_empty(),
        "the write probe leaves no lease behind"
    );
    store.close().await;
}

async fn enqueue(store: &SqliteStore, name: &str) -> Result<Enqueued, holdfast_store::StoreError> {
    let job = NewJob {
        kind: "webhook".to_owned(),
        name: name.to_owned(),
        // a few pages per job, so each commit needs room of its own
        payload: format!(r#"{{"pad":"{}"}}"#, "x".repeat(10_000)),
        unique_key: Some(name.to_owned()),
        priority: 0,
        max_attempts: 5,
        run_at: Utc::now(),
    };
    Ok(store.enqueue(&[job], Utc::now()).await?[0])
}

/// A tmpfs of a fixed size mounted on a temp dir, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`4m`); `None` (with the reason printed)
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
