//! A Python virtual environment holding the official webhook signing libraries
//! from PyPI (`standardwebhooks`, `stripe`) and `schemathesis` (which checks
//! the admin API against its OpenAPI document), so that tests check our code
//! against code not written here.
//!
//! The venv lives in the cargo target directory (`$CARGO_TARGET_DIR`, else
//! `<workspace>/target`) under `py-venv/`, is created on first use and reused
//! by later runs. A lock file (`py-venv.lock`) makes concurrent test processes
//! wait for the one creating it. Nothing is skipped: when python3, its venv
//! module, pip or PyPI is unavailable, [`python`] panics and says what to fix.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// What `pip install` gets. Changing this list rebuilds the venv on next use.
pub const REQUIREMENTS: &[&str] = &[
    "standardwebhooks>=1.0,<2",
    "stripe>=16,<17",
    "schemathesis>=4.32,<5",
];

/// The path of the venv's Python interpreter, creating the venv and installing
/// [`REQUIREMENTS`] on first use.
///
/// # Panics
/// When the venv cannot be created, with a message naming the step that
/// failed and its output.
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| provide().unwrap_or_else(|message| panic!("{message}")))
        .clone()
}

/// Returns the ready venv's interpreter, building the venv under the lock if
/// it is missing, incomplete or built for other requirements.
fn provide() -> Result<PathBuf, String> {
    let target = target_dir();
    fs::create_dir_all(&target).map_err(|error| {
        format!(
            "cannot create the target directory {}: {error}",
            target.display()
        )
    })?;
    let venv = target.join("py-venv");
    let lock_path = target.join("py-venv.lock");
    let lock = File::create(&lock_path)
        .map_err(|error| format!("cannot create {}: {error}", lock_path.display()))?;
    lock.lock()
        .map_err(|error| format!("cannot lock {}: {error}", lock_path.display()))?;

    let interpreter = interpreter(&venv);
    let marker = venv.join(".holdfast-requirements");
    let wanted = REQUIREMENTS.join("\n");
    if interpreter.exists() && fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str())
    {
        return Ok(interpreter);
    }

    if venv.exists() {
        fs::remove_dir_all(&venv).map_err(|error| {
            format!(
                "cannot remove the outdated venv {}: {error}",
                venv.display()
            )
        })?;
    }
    let system_python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let mut create = Command::new(&system_python);
    create.arg("-m").arg("venv").arg(&venv);
    run(
        &mut create,
        &format!(
            "creating a Python venv at {} with `{} -m venv`",
            venv.display(),
            system_python.to_string_lossy()
        ),
        "install Python 3 with its venv module and pip (Debian: `apt-get install python3-venv`), \
         or point $PYTHON at a Python 3 interpreter",
    )?;
    let mut install = Command::new(&interpreter);
    install
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(REQUIREMENTS);
    run(
        &mut install,
        &format!("installing {} from PyPI", REQUIREMENTS.join(", ")),
        "check that PyPI is reachable from this machine (or set PIP_INDEX_URL to a mirror)",
    )?;
    fs::write(&marker, wanted)
        .map_err(|error| format!("cannot write {}: {error}", marker.display()))?;
    Ok(interpreter)
}

/// Runs `command`; on failure, says what was being done, how to fix it and
/// what the command printed.
fn run(command: &mut Command, doing: &str, fix: &str) -> Result<(), String> {
    let output: Output = command
        .output()
        .map_err(|error| format!("{doing} failed to start: {error}; {fix}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{doing} failed ({}); {fix}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// `$CARGO_TARGET_DIR` (relative to the workspace when relative), else the
/// workspace's `target/`.
fn target_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.ancestors().nth(2).unwrap_or(manifest);
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace.join(dir),
        _ => workspace.join("target"),
    }
}

/// Where a venv keeps its interpreter.
fn interpreter(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}
