//! `petctl local up --detach`, `status` and `down`: start in the background,
//! report, stop gracefully.

use crate::support::{petctl_in, scratch};

#[test]
fn up_detach_status_and_down() {
    let home = scratch();
    let state = home.path().join("state");
    let state_arg = state.to_str().unwrap();
    let up = petctl_in(
        home.path(),
        &[
            "local",
            "up",
            "--detach",
            "--port",
            "0",
            "--state-dir",
            state_arg,
        ],
        None,
    );
    up.expect_success();
    assert!(
        up.stdout
            .starts_with("local control plane running at https://127.0.0.1:"),
        "{up}"
    );
    assert!(
        up.stdout
            .contains(&format!("kubeconfig: {state_arg}/kubeconfig")),
        "{up}"
    );
    assert!(up.stdout.contains("cluster DNS at 127.0.0.1:"), "{up}");
    let again = petctl_in(
        home.path(),
        &["local", "up", "--detach", "--state-dir", state_arg],
        None,
    );
    assert_eq!(again.code, 1, "{again}");
    assert!(again.stderr.contains("is already running"), "{again}");

    let status = petctl_in(
        home.path(),
        &["local", "status", "--state-dir", state_arg],
        None,
    );
    status.expect_success();
    let pid = std::fs::read_to_string(state.join("server.pid")).unwrap();
    assert!(
        status.stdout.contains(&format!("PID:      {}", pid.trim())),
        "{status}"
    );
    assert!(status.stdout.contains("  namespaces: 4"), "{status}");

    let down = petctl_in(
        home.path(),
        &["local", "down", "--state-dir", state_arg],
        None,
    );
    down.expect_success();
    assert_eq!(
        down.stdout,
        format!("local control plane stopped (pid {})\n", pid.trim())
    );
    assert!(!state.join("server.pid").exists());
    let log = std::fs::read_to_string(state.join("server.log")).unwrap();
    assert!(
        log.contains("received a termination signal") && log.contains("stopped"),
        "{log}"
    );
    let status = petctl_in(
        home.path(),
        &["local", "status", "--state-dir", state_arg],
        None,
    );
    assert_eq!(status.code, 1, "{status}");
}

#[test]
fn the_state_dir_defaults_to_petctl_local_dir_then_xdg() {
    let home = scratch();
    let down = petctl_in(home.path(), &["local", "down"], None);
    down.expect_success();
    let xdg = home.path().join(".local/state/petctl/local");
    assert_eq!(
        down.stdout,
        format!("no local control plane is running in {}\n", xdg.display())
    );
    let mut cmd = crate::support::petctl_command(home.path());
    let output = cmd
        .args(["local", "down"])
        .env("PETCTL_LOCAL_DIR", "/tmp/petctl-elsewhere")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "no local control plane is running in /tmp/petctl-elsewhere\n"
    );
}
