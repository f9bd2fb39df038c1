//! The sandbox an exec'd command runs in, so that it sees the pet's
//! identity: bubblewrap with the pod's hostname (a UTS namespace), its own
//! PID and IPC namespaces, a mount namespace holding the host's system
//! directories read-only, a private /tmp, the container's volumes at their
//! mount paths and the kubelet-written /etc/hosts and /etc/resolv.conf.
//!
//! It does not isolate the network (pets share the host's) nor the user:
//! the command runs as the server's user. See docs/exec.md.

mod argv;
mod pod;

use std::path::PathBuf;
use std::process::{Command, Stdio};

pub use self::argv::{argv, Bind, RealFs};
pub use self::pod::{container, env, hostname, hosts_file, mounts, resolv_conf, volumes, Volume};

/// Everything one sandboxed process needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub hostname: String,
    /// Generated files bound over the host's (/etc/hosts, /etc/resolv.conf,
    /// /etc/hostname).
    pub files: Vec<Bind>,
    /// The container's volumeMounts.
    pub mounts: Vec<Bind>,
    /// The pod's own /tmp, kept across its execs (`kubectl cp` then
    /// `exec`); None: a fresh tmpfs.
    pub tmp: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    /// Where it starts: the container's workingDir, else `/`.
    pub working_dir: Option<String>,
    /// The host's program of that name and its arguments.
    pub command: Vec<String>,
    /// On a pseudo-terminal of its own, which is its controlling one.
    pub tty: bool,
}

/// Why bubblewrap could not build a sandbox, and what would let it.
fn refusal(stderr: &str, root: bool) -> String {
    let why = format!(
        "bubblewrap cannot create the pod's namespaces here ({})",
        stderr.trim()
    );
    if root {
        format!("{why}: the kernel refuses them even to root")
    } else {
        format!(
            "{why}: run the server as root, or allow unprivileged user namespaces \
             (sysctl kernel.unprivileged_userns_clone=1, or kernel.apparmor_restrict_unprivileged_userns=0)"
        )
    }
}

/// Where the per-pod files live: `<state>/pods/<uid>`.
pub fn pod_dir(state: &std::path::Path, uid: &str) -> PathBuf {
    state.join("pods").join(uid)
}

/// Whether this server can run sandboxes: decided once, at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Ready,
    Unavailable(String),
}

impl Availability {
    /// Runs `bwrap` once with the namespaces exec needs.
    pub fn probe() -> Self {
        let probe = Command::new("bwrap")
            .args([
                "--die-with-parent",
                "--unshare-uts",
                "--unshare-ipc",
                "--unshare-pid",
                "--hostname",
                "probe",
                "--ro-bind",
                "/",
                "/",
                "--proc",
                "/proc",
                "--dev",
                "/dev",
                "--",
                "true",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output();
        let root = rustix::process::geteuid().is_root();
        match probe {
            Ok(out) if out.status.success() => Availability::Ready,
            Ok(out) => {
                Availability::Unavailable(refusal(&String::from_utf8_lossy(&out.stderr), root))
            }
            Err(err) => Availability::Unavailable(format!(
                "bubblewrap (bwrap) is not installed ({err}); install the bubblewrap package"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refusal_says_why_and_what_would_help() {
        let denied = "bwrap: No permissions to creating new namespace";
        assert_eq!(
            super::refusal(&format!("{denied}\n"), false),
            format!(
                "bubblewrap cannot create the pod's namespaces here ({denied}): run the server as root, \
                 or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, \
                 or kernel.apparmor_restrict_unprivileged_userns=0)"
            )
        );
        assert!(super::refusal(denied, true).ends_with("the kernel refuses them even to root"));
    }
}
