//! Real third-party servers from npm for tests: a package installed on first
//! use into `<target>/npm-<name>/` (a lock file makes concurrent test
//! processes wait for the one installing it). Nothing is skipped: when node,
//! npm or the registry is unavailable, [`install`] panics and says which step
//! failed.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The directory holding `package` (`name@version`) in `node_modules/`,
/// installed on first use, with `package.json` = `manifest`. `name` names the
/// directory (`npm-<name>`).
pub fn install(name: &str, package: &str, manifest: &str) -> PathBuf {
    static DIRS: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let dirs = DIRS.get_or_init(Default::default);
    let mut dirs = dirs.lock().unwrap();
    if let Some(dir) = dirs.get(name) {
        return dir.clone();
    }
    let dir = provide(name, package, manifest).unwrap_or_else(|message| panic!("{message}"));
    dirs.insert(name.to_owned(), dir.clone());
    dir
}

fn provide(name: &str, package: &str, manifest: &str) -> Result<PathBuf, String> {
    let target = target_dir();
    fs::create_dir_all(&target).map_err(|e| format!("cannot create {}: {e}", target.display()))?;
    let dir = target.join(format!("npm-{name}"));
    let lock_path = target.join(format!("npm-{name}.lock"));
    let lock = File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    let marker = dir.join(".holdfast-package");
    let module = package.rsplit_once('@').map_or(package, |(m, _)| m);
    let installed = dir.join("node_modules").join(module).join("package.json");
    if !(installed.exists() && fs::read_to_string(&marker).ok().as_deref() == Some(package)) {
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        fs::write(dir.join("package.json"), manifest)
            .map_err(|e| format!("cannot write package.json: {e}"))?;
        let out = std::process::Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                package,
            ])
            .current_dir(&dir)
            .output()
            .map_err(|e| format!("cannot run npm (is node installed?): {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "npm install {package} failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        fs::write(&marker, package).map_err(|e| format!("cannot write the marker: {e}"))?;
    }
    Ok(dir)
}

fn target_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.ancestors().nth(2).unwrap_or(manifest);
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace.join(dir),
        _ => workspace.join("target"),
    }
}
