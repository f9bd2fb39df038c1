//! The bubblewrap command line for one sandboxed process: a pure function
//! of the [`Spec`] and what the host's filesystem looks like, so the whole
//! layout is unit-tested without running anything.
//!
//! bubblewrap 0.8 (Debian bookworm) has no overlay options, so a mount
//! target that does not exist on the host (nginx's /usr/share/nginx/html)
//! gets its writable layer from bwrap's own tmpfs root: the system
//! directory above it is rebuilt there, entry by entry, as read-only binds
//! of the host's entries, and only the missing path is created.

use std::path::{Path, PathBuf};

use super::Spec;

/// The host's system directories, shown read-only inside.
pub const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt",
];

/// What a path is on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Missing,
    Dir,
    File,
    Link(PathBuf),
}

/// The host's filesystem as the builder sees it.
pub trait HostFs {
    fn entry(&self, path: &Path) -> Entry;
    /// The names in a directory, sorted.
    fn list(&self, dir: &Path) -> Vec<String>;
}

/// The real filesystem.
pub struct RealFs;

impl HostFs for RealFs {
    fn entry(&self, path: &Path) -> Entry {
        match std::fs::symlink_metadata(path) {
            Err(_) => Entry::Missing,
            Ok(m) if m.file_type().is_symlink() => {
                Entry::Link(std::fs::read_link(path).unwrap_or_default())
            }
            Ok(m) if m.is_dir() => Entry::Dir,
            Ok(_) => Entry::File,
        }
    }

    fn list(&self, dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// A path bound into the sandbox from a file or directory of the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub source: PathBuf,
    pub target: PathBuf,
    pub read_only: bool,
}

/// `bwrap` and its arguments (the program first). The command's
/// environment is the spawned process's, set by the caller.
pub fn argv(spec: &Spec, host: &dyn HostFs) -> Vec<String> {
    let mut args: Vec<String> = [
        "bwrap",
        "--die-with-parent",
        "--new-session",
        "--unshare-uts",
        "--unshare-ipc",
        "--unshare-pid",
        "--hostname",
    ]
    .map(str::to_string)
    .to_vec();
    args.push(spec.hostname.clone());
    let mut binds = spec.files.clone();
    let mut volumes = spec.mounts.clone();
    // Parents before children, so a nested mount lands on its parent's.
    volumes.sort_by_key(|b| b.target.components().count());
    binds.extend(volumes);
    // A target the host lacks (or has as a symlink) cannot be bound over a
    // read-only bind: its system directory is rebuilt on the tmpfs root.
    let rebuilt: Vec<&Path> = binds
        .iter()
        .map(|b| b.target.as_path())
        .filter(|t| !matches!(host.entry(t), Entry::Dir | Entry::File))
        .collect();
    for dir in SYSTEM_DIRS {
        expose(Path::new(dir), &rebuilt, host, &mut args);
    }
    args.extend(["--proc", "/proc", "--dev", "/dev"].map(str::to_string));
    match &spec.tmp {
        Some(dir) => args.extend(["--bind".into(), dir.display().to_string(), "/tmp".into()]),
        None => args.extend(["--tmpfs", "/tmp"].map(str::to_string)),
    }
    for bind in &binds {
        let how = if bind.read_only {
            "--ro-bind"
        } else {
            "--bind"
        };
        args.push(how.to_string());
        args.push(bind.source.display().to_string());
        args.push(bind.target.display().to_string());
    }
    args.push("--chdir".into());
    args.push(spec.working_dir.clone().unwrap_or_else(|| "/".into()));
    args.push("--".into());
    if spec.tty {
        // setsid(1) makes the terminal the session's controlling one, so
        // ^C and job control work.
        args.extend(["setsid", "--ctty", "--wait"].map(str::to_string));
    }
    args.extend(spec.command.iter().cloned());
    args
}

/// Shows the host's `path` read-only, rebuilding it (a directory on the
/// tmpfs root holding its entries) when a target under it needs writing.
fn expose(path: &Path, targets: &[&Path], host: &dyn HostFs, args: &mut Vec<String>) {
    let below: Vec<&Path> = targets
        .iter()
        .copied()
        .filter(|t| t.starts_with(path))
        .collect();
    let entry = host.entry(path);
    match entry {
        Entry::Missing => {}
        _ if below.contains(&path) => {}
        Entry::Link(target) => {
            args.push("--symlink".into());
            args.push(target.display().to_string());
            args.push(path.display().to_string());
        }
        Entry::Dir if !below.is_empty() => {
            args.push("--dir".into());
            args.push(path.display().to_string());
            for name in host.list(path) {
                expose(&path.join(name), &below, host, args);
            }
        }
        Entry::Dir | Entry::File => {
            args.push("--ro-bind".into());
            args.push(path.display().to_string());
            args.push(path.display().to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A host with a merged /usr, an nginx-less /usr/share and a
    /// symlinked resolv.conf.
    struct Fake(BTreeMap<&'static str, Entry>);

    impl HostFs for Fake {
        fn entry(&self, path: &Path) -> Entry {
            let key = path.to_str().unwrap_or("");
            self.0.get(key).cloned().unwrap_or(Entry::Missing)
        }

        fn list(&self, dir: &Path) -> Vec<String> {
            self.0
                .keys()
                .filter_map(|k| Path::new(k).strip_prefix(dir).ok())
                .filter(|rest| rest.components().count() == 1)
                .map(|rest| rest.display().to_string())
                .collect()
        }
    }

    fn host() -> Fake {
        Fake(BTreeMap::from([
            ("/usr", Entry::Dir),
            ("/usr/bin", Entry::Dir),
            ("/usr/share", Entry::Dir),
            ("/usr/share/doc", Entry::Dir),
            ("/usr/share/zoneinfo", Entry::Link("../zoneinfo".into())),
            ("/bin", Entry::Link("usr/bin".into())),
            ("/etc", Entry::Dir),
            ("/etc/passwd", Entry::File),
            ("/etc/hosts", Entry::File),
            ("/etc/resolv.conf", Entry::Link("/run/resolv.conf".into())),
        ]))
    }

    fn spec() -> Spec {
        let file = |name: &str| Bind {
            source: PathBuf::from(format!("/state/pods/u1/etc/{name}")),
            target: PathBuf::from(format!("/etc/{name}")),
            read_only: true,
        };
        Spec {
            hostname: "web-0".into(),
            files: vec![file("hosts"), file("resolv.conf")],
            mounts: vec![Bind {
                source: "/state/volumes/pvc-1".into(),
                target: "/usr/share/nginx/html".into(),
                read_only: false,
            }],
            tmp: Some("/state/pods/u1/tmp".into()),
            env: vec![],
            working_dir: None,
            command: vec!["sh".into(), "-c".into(), "hostname".into()],
            tty: false,
        }
    }

    fn pairs(args: &[String], flag: &str) -> Vec<String> {
        args.windows(3)
            .filter(|w| w[0] == flag)
            .map(|w| format!("{} {}", w[1], w[2]))
            .collect()
    }

    #[test]
    fn the_pet_gets_its_hostname_namespaces_and_command() {
        let args = argv(&spec(), &host());
        assert_eq!(args[0], "bwrap");
        let hostname = args.iter().position(|a| a == "--hostname").unwrap();
        assert_eq!(args[hostname + 1], "web-0");
        for namespace in ["uts", "ipc", "pid"] {
            assert!(
                args.contains(&format!("--unshare-{namespace}")),
                "{namespace}"
            );
        }
        // Gone with the server; no TIOCSTI into the server's terminal.
        assert!(args.contains(&"--die-with-parent".into()));
        assert!(args.contains(&"--new-session".into()));
        let tail = &args[args.len() - 6..];
        assert_eq!(tail, ["--chdir", "/", "--", "sh", "-c", "hostname"]);
        assert!(!args.contains(&"--unshare-net".to_string()), "host network");
    }

    #[test]
    fn a_missing_mount_target_rebuilds_its_system_dir_on_the_tmpfs() {
        let args = argv(&spec(), &host());
        // /usr is rebuilt: its entries bound one by one, /usr/share too.
        assert!(pairs(&args, "--ro-bind").contains(&"/usr/bin /usr/bin".into()));
        assert!(!pairs(&args, "--ro-bind").contains(&"/usr /usr".into()));
        let dirs: Vec<&String> = args
            .windows(2)
            .filter(|w| w[0] == "--dir")
            .map(|w| &w[1])
            .collect();
        assert_eq!(dirs, ["/usr", "/usr/share", "/etc"]);
        assert!(pairs(&args, "--ro-bind").contains(&"/usr/share/doc /usr/share/doc".into()));
        assert!(pairs(&args, "--symlink").contains(&"../zoneinfo /usr/share/zoneinfo".into()));
        assert!(pairs(&args, "--symlink").contains(&"usr/bin /bin".into()));
        assert!(pairs(&args, "--bind").contains(&"/state/pods/u1/tmp /tmp".into()));
        // The claim's directory is bound read-write after the layout.
        let volume = args
            .windows(3)
            .position(|w| w == ["--bind", "/state/volumes/pvc-1", "/usr/share/nginx/html"])
            .expect("the volume is bound");
        let proc = args.iter().position(|a| a == "--proc").unwrap();
        assert!(volume > proc);
    }

    #[test]
    fn a_symlinked_resolv_conf_is_replaced_not_followed() {
        let args = argv(&spec(), &host());
        let ro = pairs(&args, "--ro-bind");
        assert!(ro.contains(&"/etc/passwd /etc/passwd".into()));
        assert!(ro.contains(&"/state/pods/u1/etc/resolv.conf /etc/resolv.conf".into()));
        assert!(!pairs(&args, "--symlink")
            .iter()
            .any(|s| s.ends_with("/etc/resolv.conf")));
        // hosts exists as a file: bound over /etc's own entry.
        assert!(ro.contains(&"/state/pods/u1/etc/hosts /etc/hosts".into()));
    }

    #[test]
    fn an_existing_target_keeps_its_system_dir_whole_and_read_only_mounts_stay_so() {
        let mut spec = spec();
        spec.mounts = vec![Bind {
            source: "/state/pods/u1/volumes/cache".into(),
            target: "/usr/share/doc".into(),
            read_only: true,
        }];
        spec.files.clear();
        spec.tmp = None;
        spec.working_dir = Some("/usr/share/doc".into());
        spec.tty = true;
        spec.command = vec!["sh".into()];
        let args = argv(&spec, &host());
        let ro = pairs(&args, "--ro-bind");
        assert!(ro.contains(&"/usr /usr".into()));
        assert!(ro.contains(&"/etc /etc".into()));
        assert!(args.windows(2).any(|w| w == ["--tmpfs", "/tmp"]));
        assert!(ro.contains(&"/state/pods/u1/volumes/cache /usr/share/doc".into()));
        let chdir = args.iter().position(|a| a == "--chdir").unwrap();
        assert_eq!(args[chdir + 1], "/usr/share/doc");
        assert_eq!(
            args[args.len() - 5..],
            ["--", "setsid", "--ctty", "--wait", "sh"]
        );
    }
}
