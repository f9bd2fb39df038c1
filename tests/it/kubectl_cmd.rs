//! Conformance: kubectl's own StatefulSet command tests (kubernetes
//! test/cmd/apps.sh, ported to `tests/cmd/apps.sh`) run with the real
//! kubectl against a fresh local control plane, one test per upstream
//! function.

use std::process::Command;

use crate::python_client::expect_client_passes;
use crate::support::{kubectl_or_skip, repo_root, LocalServer, INSTANT_SIM};

/// Runs `function` of tests/cmd/apps.sh and fails with its output unless
/// it passed.
fn apps_sh(function: &str) {
    // apps.sh runs the kubectl on PATH, the one this finds.
    if kubectl_or_skip(function).is_none() {
        return;
    }
    let server = LocalServer::start_with(INSTANT_SIM);
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("tests/cmd/apps.sh")).arg(function);
    expect_client_passes(&server, cmd, format!("tests/cmd/apps.sh {function}"));
}

#[test]
fn run_stateful_set_tests() {
    apps_sh("run_stateful_set_tests");
}

#[test]
fn run_statefulset_history_tests() {
    apps_sh("run_statefulset_history_tests");
}
