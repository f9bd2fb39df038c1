//! The test harness: run the petctl binary with a scrubbed environment and
//! capture everything needed to debug a failure.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What one run of petctl did.
#[derive(Debug)]
pub struct Run {
    pub command: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with the whole run unless it exited with `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code\n{self}");
        self
    }

    #[track_caller]
    pub fn expect_success(&self) -> &Self {
        self.expect_code(0)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\nexit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpus`, beside the checkout.
pub fn corpus_dir() -> PathBuf {
    repo_root().join("../shared/corpus")
}

/// A scratch directory that also serves as HOME for petctl runs.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("petctl-test-")
        .tempdir()
        .expect("create temp dir")
}

/// A command for the petctl binary with an environment that can never reach
/// a developer's real cluster: HOME and the XDG dirs point into `home`, and
/// no KUBECONFIG is set.
pub fn petctl_command(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_petctl"));
    cmd.env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .env_remove("PETCTL_LOCAL_DIR")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("NO_COLOR", "1")
        .current_dir(repo_root());
    cmd
}

/// Runs petctl with `args`, feeding `stdin` if given.
pub fn petctl_in(home: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = petctl_command(home);
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn petctl");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        // The child may exit before reading everything; that is its answer.
        let _ = pipe.write_all(input);
    }
    let output = child.wait_with_output().expect("wait for petctl");
    Run {
        command: format!("petctl {}", args.join(" ")),
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs petctl with `args` in a fresh scratch HOME.
pub fn petctl(args: &[&str]) -> Run {
    let home = scratch();
    petctl_in(home.path(), args, None)
}
