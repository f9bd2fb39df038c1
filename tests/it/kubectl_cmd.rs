//! Conformance: kubectl's own StatefulSet command tests (kubernetes
//! test/cmd/apps.sh, ported to `tests/cmd/apps.sh`) run with the real
//! kubectl against a fresh local control plane, one test per upstream
//! function.

use std::process::Command;

use crate::support::{kubectl_or_skip, repo_root, run_command, LocalServer, INSTANT_SIM};

/// Runs `function` of tests/cmd/apps.sh and fails with its output unless
/// it passed.
fn apps_sh(function: &str) {
    // apps.sh runs the kubectl on PATH, the one this finds.
    if kubectl_or_skip(function).is_none() {
        return;
    }
    let server = LocalServer::start_with(INSTANT_SIM);
    let home = server.dir.path().join("kubectl-home");
    std::fs::create_dir_all(&home).expect("create kubectl home");
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("tests/cmd/apps.sh"))
        .arg(function)
        .env("KUBECONFIG", server.kubeconfig())
        .env("HOME", &home)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .current_dir(repo_root());
    let run = run_command(cmd, format!("tests/cmd/apps.sh {function}"), None);
    assert_eq!(run.code, 0, "server: {}\n{run}", server.url);
}

#[test]
fn run_stateful_set_tests() {
    apps_sh("run_stateful_set_tests");
}

#[test]
fn run_statefulset_history_tests() {
    apps_sh("run_statefulset_history_tests");
}
