//! The zero-config default: with no kubeconfig anywhere, petctl starts the
//! local control plane in the default state dir, reuses it, and its state
//! (pets and claims) survives `local down` and `local up`.

use std::path::Path;

use crate::support::{normalize, petctl_in, scratch, CREATE_EXAMPLE};

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

/// What every command says when it falls back to the local control plane.
fn fallback_notice(state: &Path) -> String {
    format!(
        "petctl: no kubeconfig found (--kubeconfig, KUBECONFIG, ~/.kube/config) and not in a cluster; \
         using the local control plane (for kubectl: export KUBECONFIG={})\n",
        state.join("kubeconfig").display()
    )
}

#[test]
fn a_kubeconfig_list_naming_no_file_is_an_error_not_the_local_control_plane() {
    let home = scratch();
    let home = home.path();
    let _stop = StopOnDrop(home);
    for args in [
        &["get", "petsets"][..],
        &["scale", "web", "--replicas", "0"],
    ] {
        let mut cmd = crate::support::petctl_command(home);
        cmd.env(
            "KUBECONFIG",
            "/tmp/petctl-typo-kubeconfig:/tmp/petctl-typo-2",
        )
        .args(args);
        let run = crate::support::run_command(cmd, format!("petctl {args:?}"), None);
        run.expect_code(1);
        assert_eq!(
            run.stderr,
            "error: KUBECONFIG names no file that exists: /tmp/petctl-typo-kubeconfig, /tmp/petctl-typo-2\n",
            "{run}"
        );
        assert_eq!(run.stdout, "");
    }
    assert!(
        !home.join(".local/state/petctl").exists(),
        "no local control plane was started"
    );
}

#[test]
fn the_main_job_starts_the_local_control_plane_and_state_survives_a_restart() {
    let home = scratch();
    let home = home.path();
    let _stop = StopOnDrop(home);
    let state = home.join(".local/state/petctl/local");

    let run = petctl_in(home, &CREATE_EXAMPLE, None);
    run.expect_success();
    assert_eq!(
        run.stdout,
        "service/nginx created\npetset.apps/web created\n"
    );
    assert!(
        run.stderr.starts_with(&format!(
            "petctl: started the local control plane in {} (stop it with: petctl local down)\n{}",
            state.display(),
            fallback_notice(&state),
        )),
        "{run}"
    );
    let pid = std::fs::read_to_string(state.join("server.pid")).unwrap();

    // A second command reuses the same server, and says which it is.
    let run = petctl_in(home, &["get", "pets", "web"], None);
    run.expect_success();
    assert_eq!(run.stderr, fallback_notice(&state));
    let before = normalize(&run.stdout);

    // version and config view name the cluster in use.
    let run = petctl_in(home, &["version"], None);
    run.expect_success();
    let url = std::fs::read_to_string(state.join("kubeconfig")).unwrap();
    let url = url
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .expect("a server in the local kubeconfig")
        .to_string();
    assert!(
        run.stdout
            .ends_with(&format!("Server URL: {url}\nContext: petctl-local\n")),
        "{run}"
    );
    let run = petctl_in(home, &["config", "view", "--minify"], None);
    run.expect_success();
    assert!(run.stdout.contains(&format!("server: {url}")), "{run}");
    assert!(!run.stdout.contains("token: ey"), "{run}");
    assert_eq!(
        std::fs::read_to_string(state.join("server.pid")).unwrap(),
        pid
    );

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

#[test]
fn a_server_started_again_after_a_crash_keeps_its_flags() {
    let home = scratch();
    let home = home.path();
    let _stop = StopOnDrop(home);
    let state = home.join(".local/state/petctl/local");
    petctl_in(
        home,
        &[
            "local",
            "up",
            "--detach",
            "--nodes",
            "2",
            "--ready-delay",
            "0s",
        ],
        None,
    )
    .expect_success();
    let pid: i32 = std::fs::read_to_string(state.join("server.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let server = nix::unistd::Pid::from_raw(pid);
    nix::sys::signal::kill(server, nix::sys::signal::Signal::SIGKILL).unwrap();
    // Dead once its command line is gone (a zombie has none): no reaper
    // may be there to remove the pid.
    while std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| !c.is_empty()) {
        std::thread::yield_now();
    }

    let run = petctl_in(home, &["get", "statefulsets"], None);
    run.expect_success();
    assert!(
        run.stderr.starts_with(&format!(
            "petctl: started the local control plane in {} again, with the flags it last ran with (--nodes 2 --ready-delay 0ms) (stop it with: petctl local down)\n",
            state.display()
        )),
        "{run}"
    );
    let restarted = std::fs::read_to_string(state.join("server.pid")).unwrap();
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", restarted.trim())).unwrap();
    let words: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    assert!(
        words.windows(2).any(|w| w == [&b"--nodes"[..], b"2"])
            && words
                .windows(2)
                .any(|w| w == [&b"--ready-delay"[..], b"0ms"]),
        "the restarted server runs with the flags: {:?}",
        String::from_utf8_lossy(&cmdline)
    );
    petctl_in(home, &["local", "down"], None).expect_success();
}

#[test]
fn local_starts_the_local_control_plane_and_names_its_kubeconfig() {
    // --local, as the README's main job runs it: there is no fallback
    // notice, so the start notice itself tells kubectl users where to look.
    let home = scratch();
    let home = home.path();
    let _stop = StopOnDrop(home);
    let state = home.join(".local/state/petctl/local");
    let run = petctl_in(home, &["--local", "get", "petsets"], None);
    run.expect_success();
    assert_eq!(
        run.stderr,
        format!(
            "petctl: started the local control plane in {} (stop it with: petctl local down; for kubectl: export KUBECONFIG={})\nNo resources found in default namespace.\n",
            state.display(),
            state.join("kubeconfig").display()
        ),
        "{run}"
    );
}
