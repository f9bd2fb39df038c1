//! The zero-config default: with no kubeconfig anywhere, petctl starts the
//! local control plane in the default state dir, reuses it, and its state
//! (pets and claims) survives `local down` and `local up`.

use std::path::Path;

use crate::support::{normalize, petctl_in, scratch};

/// Stops, by the PID in its state dir, a server this test caused to start.
struct StopOnDrop<'a>(&'a Path);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let pid_file = self.0.join(".local/state/petctl/local/server.pid");
        if let Some(pid) = std::fs::read_to_string(pid_file)
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok())
        {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

#[test]
fn the_main_job_starts_the_local_control_plane_and_state_survives_a_restart() {
    let home = scratch();
    let home = home.path();
    let _stop = StopOnDrop(home);
    let state = home.join(".local/state/petctl/local");

    let run = petctl_in(
        home,
        &[
            "create",
            "-f",
            "examples/petset.yaml",
            "--wait",
            "--timeout",
            "60s",
        ],
        None,
    );
    run.expect_success();
    assert_eq!(
        run.stdout,
        "service/nginx created\npetset.apps/web created\n"
    );
    assert!(
        run.stderr.starts_with(&format!(
            "petctl: no kubeconfig found; started the local control plane in {} (stop it with: petctl local down)\n",
            state.display()
        )),
        "{run}"
    );
    let pid = std::fs::read_to_string(state.join("server.pid")).unwrap();

    // A second command reuses the same server, silently.
    let run = petctl_in(home, &["get", "pets", "web"], None);
    run.expect_success();
    assert_eq!(run.stderr, "");
    assert_eq!(
        std::fs::read_to_string(state.join("server.pid")).unwrap(),
        pid
    );
    let before = normalize(&run.stdout);

    petctl_in(home, &["local", "down"], None).expect_success();
    petctl_in(home, &["local", "up", "--detach"], None).expect_success();
    let run = petctl_in(home, &["get", "pets", "web"], None);
    run.expect_success();
    assert_eq!(normalize(&run.stdout), before, "every pet comes back");
    let run = petctl_in(home, &["get", "pvc", "-o", "name"], None);
    assert_eq!(
        run.stdout,
        "persistentvolumeclaim/www-web-0\npersistentvolumeclaim/www-web-1\n"
    );

    for (file, mode) in [
        ("kubeconfig", 0o600),
        ("ca.key", 0o600),
        ("token", 0o600),
        ("store.redb", 0o600),
    ] {
        let meta = std::fs::metadata(state.join(file)).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
            mode,
            "{file}"
        );
    }
    petctl_in(home, &["local", "down"], None).expect_success();
}
