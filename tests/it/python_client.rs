//! Conformance: the official Python `kubernetes` client drives the local
//! control plane. Each test runs one file of `tests/python/` with pytest
//! against its own server; the venv with the pinned client lives under
//! `CARGO_TARGET_TMPDIR`, keyed by a hash of `tests/python/requirements.txt`,
//! and is built on first use.
//!
//! Without python3 (with `venv` and `pip`) or a working install the tests
//! fail, unless `PETCTL_TEST_SKIP_PYTHON=1` says to skip them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::support::{repo_root, run_command, LocalServer, INSTANT_SIM};

const SKIP: &str = "PETCTL_TEST_SKIP_PYTHON";

fn python_dir() -> PathBuf {
    repo_root().join("tests/python")
}

/// FNV-1a: a hash that stays the same across Rust releases, so the venv is
/// rebuilt exactly when the requirements change.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The venv's python, creating the venv first if this version of the
/// requirements has none yet. Built in a private directory and renamed into
/// place, so a concurrent `cargo test` never sees a half-installed venv.
fn build_venv() -> Result<PathBuf, String> {
    let requirements = python_dir().join("requirements.txt");
    let pinned = std::fs::read(&requirements)
        .map_err(|e| format!("read {}: {e}", requirements.display()))?;
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let venv = root.join(format!("python-venv-{:016x}", fnv1a(&pinned)));
    let python = venv.join("bin/python");
    if python.is_file() {
        return Ok(python);
    }
    let building = root.join(format!(
        "python-venv-{:016x}.building-{}",
        fnv1a(&pinned),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&building);
    let mut create = Command::new("python3");
    create.args(["-m", "venv"]).arg(&building);
    let mut install = Command::new(building.join("bin/python"));
    install
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg("-r")
        .arg(&requirements);
    let built = step(create, "python3 -m venv")
        .and_then(|()| step(install, "pip install -r tests/python/requirements.txt"));
    if let Err(error) = built {
        let _ = std::fs::remove_dir_all(&building);
        return Err(error);
    }
    // Only `bin/python -m …` is used, which finds the venv relative to
    // itself, so the console scripts' shebangs naming the build directory
    // do not matter. A concurrent builder that renamed first wins.
    if std::fs::rename(&building, &venv).is_err() && !python.is_file() {
        return Err(format!("could not move the venv into {}", venv.display()));
    }
    let _ = std::fs::remove_dir_all(&building);
    Ok(python)
}

fn step(mut cmd: Command, what: &str) -> Result<(), String> {
    let output = cmd
        .env("PIP_NO_INPUT", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{what}: cannot run it: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// The venv's python, or None when it cannot be had and the user opted out
/// with `PETCTL_TEST_SKIP_PYTHON=1`. Without the opt-out a failure to build
/// it fails the test, so a skip never passes silently.
fn python_or_skip(test: &str) -> Option<PathBuf> {
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match VENV.get_or_init(build_venv) {
        Ok(python) => Some(python.clone()),
        Err(error) => {
            assert!(
                std::env::var(SKIP).as_deref() == Ok("1"),
                "{test}: the Python client harness needs python3 with venv and pip, \
                 and installs tests/python/requirements.txt; set {SKIP}=1 to skip it\n{error}"
            );
            eprintln!("skipping {test}: {error}\n({SKIP}=1)");
            None
        }
    }
}

/// Runs `tests/python/<file>` with pytest against a fresh local control
/// plane (pods Ready at once, plus `extra` flags of `local up`) and fails
/// with pytest's output unless every test passed.
fn pytest(file: &str, extra: &[&str]) {
    let Some(python) = python_or_skip(file) else {
        return;
    };
    let flags: Vec<&str> = INSTANT_SIM.iter().chain(extra).copied().collect();
    let server = LocalServer::start_with(&flags);
    let mut cmd = Command::new(&python);
    cmd.args([
        "-m",
        "pytest",
        "-q",
        "--tb=native",
        "-p",
        "no:cacheprovider",
    ])
    .arg(python_dir().join(file))
    .env("PYTHONDONTWRITEBYTECODE", "1");
    expect_client_passes(&server, cmd, format!("pytest tests/python/{file}"));
}

/// Runs `cmd` as a client of `server` and fails with the whole run unless
/// it exits 0: KUBECONFIG names the server's kubeconfig, HOME and TMPDIR
/// a scratch dir of the test's (the DynamicClient caches discovery under
/// TMPDIR), and nothing says "in a cluster".
pub(crate) fn expect_client_passes(server: &LocalServer, mut cmd: Command, shown: String) {
    let scratch = server.dir.path().join("client-home");
    std::fs::create_dir_all(&scratch).expect("create the client's scratch dir");
    cmd.env("KUBECONFIG", server.kubeconfig())
        .env("HOME", &scratch)
        .env("TMPDIR", &scratch)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .current_dir(repo_root());
    let run = run_command(cmd, shown, None);
    assert_eq!(run.code, 0, "server: {}\n{run}", server.url);
}

#[test]
fn crud_of_every_served_kind() {
    pytest("test_crud.py", &[]);
}

#[test]
fn watch_resume_bookmarks_and_timeouts() {
    // Bookmarks every second and compaction after a few writes, so both
    // are seen within the harness's time.
    pytest(
        "test_watch.py",
        &["--bookmark-interval", "1s", "--event-window", "20"],
    );
}

#[test]
fn scale_and_status_subresources() {
    pytest("test_subresources.py", &[]);
}

#[test]
fn create_from_yaml_of_examples_and_corpus() {
    pytest("test_create_from_yaml.py", &[]);
}

#[test]
fn list_paging_with_limit_and_continue() {
    pytest("test_paging.py", &["--event-window", "20"]);
}

#[test]
fn server_side_apply_conflicts_and_force() {
    pytest("test_apply.py", &[]);
}

#[test]
fn discovery_through_the_typed_and_dynamic_clients() {
    pytest("test_discovery.py", &[]);
}
