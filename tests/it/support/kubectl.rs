//! The real kubectl in the tests: found on PATH (or skipped only when the
//! user opts out), run against a test's server with nothing but its
//! kubeconfig, and its `-v=6` log read to know when a watch is in place.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{repo_root, run_command, LocalServer, Run};

/// The real kubectl, or None when it is not installed and the user opted
/// out with `PETCTL_TEST_SKIP_KUBECTL=1`. Without that opt-out a missing
/// kubectl fails the test, so a skip never passes silently.
pub fn kubectl_or_skip(test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("kubectl"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("PETCTL_TEST_SKIP_KUBECTL").as_deref() == Ok("1"),
            "{test}: kubectl is not on PATH; install it, or set PETCTL_TEST_SKIP_KUBECTL=1 to skip the conformance tests"
        );
        eprintln!("skipping {test}: kubectl is not on PATH and PETCTL_TEST_SKIP_KUBECTL=1");
    }
    found
}

/// Runs the real kubectl (`binary`) against `server`, with only the
/// server's kubeconfig and a scratch HOME.
pub fn kubectl_with(
    binary: &Path,
    server: &LocalServer,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Run {
    let home = server.dir.path().join("kubectl-home");
    let _ = std::fs::create_dir_all(&home);
    let mut cmd = Command::new(binary);
    cmd.args(args)
        .env("KUBECONFIG", server.kubeconfig())
        .env("HOME", &home)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .current_dir(repo_root());
    run_command(
        cmd,
        format!("{} {}", binary.display(), args.join(" ")),
        stdin,
    )
}

/// Blocks until a kubectl run with `-v=6` logs that its watch request on a
/// URL containing `fragment` was answered (client-go logs a response when
/// its headers arrive, so the watch is then in place); panics after 30 s.
/// Returns the lines read.
#[track_caller]
pub fn await_watch(lines: &std::sync::mpsc::Receiver<String>, fragment: &str) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let answered = line.contains("watch=true")
                    && line.contains(fragment)
                    && line.contains("200 OK");
                seen.push(line);
                if answered {
                    return seen;
                }
            }
            Err(_) => panic!(
                "no watch on {fragment:?} was answered:\n{}",
                seen.join("\n")
            ),
        }
    }
}
