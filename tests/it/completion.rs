//! Dynamic completion against a real local control plane: `petctl
//! __complete` (cobra's protocol) with the line's --kubeconfig, --context
//! and -n honoured, bash completing through a pseudo-terminal, and kubectl
//! completing `kubectl pets` through `kubectl_complete-pets`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{
    create_petset, create_ready, kubectl_or_skip, petctl_at, petctl_command, run_command, scratch,
    LocalServer, Run, SetManifest,
};

/// A server with the PetSet web of examples/petset.yaml (pets web-0 and
/// web-1), a StatefulSet wiki with two containers and no pets, and a
/// namespace tools with a StatefulSet cache.
fn cluster_with_sets() -> LocalServer {
    let server = LocalServer::start_with(crate::support::READY_AT_ONCE);
    create_petset(&server);
    let wiki = SetManifest::statefulset("wiki")
        .replicas(0)
        .container("wiki", "mediawiki:1.41")
        .container("backup", "restic:0.16");
    let cache = SetManifest::statefulset("cache")
        .namespace("tools")
        .replicas(0)
        .container("redis", "redis:7");
    let tools = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tools\n";
    let more = format!("{}---\n{tools}---\n{}", wiki.yaml(), cache.yaml());
    create_ready(&server, "more.yaml", &more);
    server
}

/// `petctl __complete WORDS` in `home`: its candidates and directive. A
/// completion must exit 0 and say nothing on stderr, whatever happens.
fn complete_in(home: &Path, env: &[(&str, &Path)], words: &[&str]) -> (Vec<String>, String) {
    let mut cmd = petctl_command(home);
    cmd.arg("__complete").args(words);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let run = run_command(cmd, format!("petctl __complete {}", words.join(" ")), None);
    parse(&run)
}

fn parse(run: &Run) -> (Vec<String>, String) {
    assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{run}");
    let mut lines: Vec<String> = run.stdout.lines().map(String::from).collect();
    let directive = lines.pop().unwrap_or_default();
    assert!(directive.starts_with(':'), "no directive line: {run}");
    (lines, directive)
}

/// `petctl __complete --kubeconfig K WORDS`: the candidates.
fn complete_at(server: &LocalServer, words: &[&str]) -> Vec<String> {
    let kubeconfig = server.kubeconfig();
    let mut full = vec!["--kubeconfig", kubeconfig.to_str().unwrap()];
    full.extend_from_slice(words);
    let home = server.dir.path().join("petctl-home");
    std::fs::create_dir_all(&home).unwrap();
    complete_in(&home, &[], &full).0
}

#[test]
fn set_pet_namespace_and_container_names_come_from_the_cluster_on_the_line() {
    let server = cluster_with_sets();
    let at = |words: &[&str]| complete_at(&server, words);
    // Bare names: every set kind; KIND/ restricts the kind, as typed.
    assert_eq!(at(&["scale", ""]), ["web", "wiki"]);
    assert_eq!(at(&["scale", "we"]), ["web"]);
    assert_eq!(at(&["delete", "sts/"]), ["sts/wiki"]);
    assert_eq!(at(&["cleanup-pvcs", "petset/"]), ["petset/web"]);
    assert_eq!(at(&["pause", "statefulset/w"]), ["statefulset/wiki"]);
    assert_eq!(at(&["resume", "deployment/"]), Vec::<String>::new());
    assert_eq!(at(&["describe", ""]), ["petset", "statefulset"]);
    assert_eq!(at(&["describe", "sts", ""]), ["wiki"]);
    assert_eq!(at(&["describe", "petset/"]), ["petset/web"]);
    assert_eq!(at(&["get", "pets", ""]), ["web", "wiki"]);
    // The namespace of the line, as a flag before or after the command.
    assert_eq!(at(&["-n", "tools", "scale", ""]), ["cache"]);
    assert_eq!(at(&["scale", "--namespace=tools", ""]), ["cache"]);
    let namespaces = at(&["scale", "-n", ""]);
    assert!(
        namespaces.contains(&"default".to_string()) && namespaces.contains(&"tools".to_string()),
        "{namespaces:?}"
    );
    assert_eq!(at(&["get", "--namespace=to"]), ["--namespace=tools"]);
    // Pets: the pods of a set, and ordinals for --pet.
    assert_eq!(at(&["get", "pods", "web"]), ["web-0", "web-1"]);
    assert_eq!(at(&["get", "po/web-"]), ["po/web-0", "po/web-1"]);
    assert_eq!(at(&["pause", "web", "--pet", ""]), ["0\tweb-0", "1\tweb-1"]);
    // Containers for CONTAINER=IMAGE, with no space after the `=`.
    let kubeconfig = server.kubeconfig();
    let home = server.dir.path().join("petctl-home");
    let (containers, directive) = complete_in(
        &home,
        &[("KUBECONFIG", &kubeconfig)],
        &["upgrade-image", "sts/wiki", ""],
    );
    assert_eq!(
        (containers, directive.as_str()),
        (
            vec![
                "wiki=\tmediawiki:1.41".to_string(),
                "backup=\trestic:0.16".to_string()
            ],
            ":6"
        )
    );
    // The local control plane, when it is running, by --local or fallback.
    let state = server.state_dir();
    let local = [("PETCTL_LOCAL_DIR", state.as_path())];
    assert_eq!(
        complete_in(&home, &local, &["scale", ""]).0,
        ["web", "wiki"]
    );
    assert_eq!(
        complete_in(&home, &local, &["--local", "-n", "tools", "get", "sts", ""]).0,
        ["cache"]
    );
    assert_eq!(
        complete_in(&home, &local, &["--context", ""]).0,
        ["petctl-local"]
    );
}

/// The server's kubeconfig with two contexts: alpha (this server, in
/// namespace tools) and beta (nothing listening), the current one.
fn two_contexts(server: &LocalServer) -> PathBuf {
    let text = std::fs::read_to_string(server.kubeconfig()).unwrap();
    let clusters = text.replacen(
        "clusters:\n",
        "clusters:\n- name: dead\n  cluster:\n    server: https://127.0.0.1:1\n",
        1,
    );
    let head = &clusters[..clusters.find("contexts:").unwrap()];
    let edited = format!(
        "{head}contexts:
- name: alpha
  context:
    cluster: petctl-local
    user: petctl-local
    namespace: tools
- name: beta
  context:
    cluster: dead
    user: petctl-local
current-context: beta
"
    );
    let path = server.dir.path().join("two-contexts.yaml");
    std::fs::write(&path, edited).unwrap();
    path
}

#[test]
fn contexts_come_from_the_kubeconfig_and_the_context_on_the_line_is_used() {
    let server = cluster_with_sets();
    let kubeconfig = two_contexts(&server);
    let home = server.dir.path().join("petctl-home");
    let k = kubeconfig.to_str().unwrap();
    let complete = |words: &[&str]| complete_in(&home, &[], words).0;
    assert_eq!(
        complete(&["--kubeconfig", k, "--context", ""]),
        ["alpha", "beta"]
    );
    assert_eq!(
        complete(&["get", "--kubeconfig", k, "--context=a"]),
        ["--context=alpha"]
    );
    assert_eq!(
        complete(&["--kubeconfig", k, "--context", "alpha", "scale", ""]),
        ["cache"]
    );
    assert_eq!(
        complete(&[
            "--context",
            "alpha",
            "-n",
            "default",
            "--kubeconfig",
            k,
            "scale",
            ""
        ]),
        ["web", "wiki"]
    );
    // KUBECONFIG counts as for every command.
    assert_eq!(
        complete_in(
            &home,
            &[("KUBECONFIG", &kubeconfig)],
            &["--context", "alpha", "get", "sts", ""]
        )
        .0,
        ["cache"]
    );
    // The current context's server does not answer: nothing, and soon.
    let started = Instant::now();
    let (names, directive) = complete_in(&home, &[], &["--kubeconfig", k, "scale", ""]);
    assert_eq!((names, directive.as_str()), (vec![], ":4"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn with_no_cluster_running_completion_offers_no_names_and_starts_nothing() {
    let home = scratch();
    let state = home.path().join("state");
    let local = [("PETCTL_LOCAL_DIR", state.as_path())];
    for words in [
        &["scale", ""][..],
        &["--local", "describe", "petset", "w"],
        &["get", "-n", ""],
        &["pause", "web", "--pet", ""],
        &["--context", ""],
        &["--kubeconfig", "/nonexistent", "scale", ""],
    ] {
        assert_eq!(
            complete_in(home.path(), &local, words),
            (vec![], ":4".to_string()),
            "{words:?}"
        );
    }
    assert!(
        !state.exists(),
        "completion must not start the local control plane"
    );
    // What clap knows needs no cluster.
    let (flags, _) = complete_in(home.path(), &local, &["scale", "--rep"]);
    assert_eq!(flags, ["--replicas\tThe number of pets wanted"]);
}

/// A directory for PATH with `petctl` and the given other names linked to
/// the binary under test, and PATH with it first.
fn bin_dir(dir: &Path, names: &[&str]) -> (PathBuf, std::ffi::OsString) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in names {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_petctl"), bin.join(name)).unwrap();
    }
    let path = std::env::join_paths(
        std::iter::once(bin.clone())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    (bin, path)
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// An interactive bash on a pseudo-terminal (util-linux `script`), fed
/// keystrokes and read back.
struct Terminal {
    child: std::process::Child,
    output: mpsc::Receiver<Vec<u8>>,
    seen: String,
}

impl Terminal {
    fn type_keys(&mut self, keys: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits until the terminal has shown `fragment` since the last wait.
    fn expect(&mut self, fragment: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(at) = self.seen.find(fragment) {
                self.seen.drain(..at + fragment.len());
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.seen.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => panic!(
                    "the terminal never showed {fragment:?}; it showed:\n{}",
                    self.seen
                ),
            }
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn bash_completes_set_names_from_the_cluster_on_a_terminal() {
    if !on_path("bash") || !on_path("script") {
        eprintln!("skipping bash_completes_set_names_from_the_cluster_on_a_terminal: bash or util-linux script is not on PATH");
        return;
    }
    let server = cluster_with_sets();
    let (_, path) = bin_dir(server.dir.path(), &["petctl"]);
    let script_file = server.dir.path().join("petctl.bash");
    let run = petctl_at(&server, &["completion", "bash"]);
    std::fs::write(&script_file, run.expect_success().stdout.as_bytes()).unwrap();
    let home = server.dir.path().join("bash-home");
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = crate::support::scrubbed(Command::new("script"), &home);
    cmd.args(["-q", "-e", "-c", "bash --norc --noprofile -i", "/dev/null"])
        .env("PATH", &path)
        .env("KUBECONFIG", server.kubeconfig())
        .env("PS1", "$ ")
        .env("TERM", "dumb")
        .env("INPUTRC", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("spawn script");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, output) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut term = Terminal {
        child,
        output,
        seen: String::new(),
    };
    // The quotes keep the typed command from showing the marker itself.
    term.type_keys(&format!("source {}; echo RE''ADY\n", script_file.display()));
    term.expect("READY");
    // Two sets start with w: TAB TAB lists them, then one more letter and
    // TAB completes the name; Ctrl-A and echo show the line as completed.
    term.type_keys("petctl scale w\t\t");
    term.expect("wiki");
    term.type_keys("e\t\x01echo LI''NE: \n");
    term.expect("LINE: petctl scale web\r\n");
    // The namespace on the line is honoured: the only set in tools.
    term.type_keys("petctl -n tools scale \t\x01echo LI''NE: \n");
    term.expect("LINE: petctl -n tools scale cache\r\n");
    term.type_keys("exit\n");
}

#[test]
fn kubectl_completes_the_pets_plugin_through_kubectl_complete_pets() {
    let Some(kubectl) =
        kubectl_or_skip("kubectl_completes_the_pets_plugin_through_kubectl_complete_pets")
    else {
        return;
    };
    let server = cluster_with_sets();
    let kubectl_complete = |path: &std::ffi::OsString, words: &[&str]| {
        let home = server.dir.path().join("kubectl-home");
        std::fs::create_dir_all(&home).unwrap();
        let mut cmd = Command::new(&kubectl);
        cmd.args(["__complete", "pets"])
            .args(words)
            .env("PATH", path)
            .env("HOME", &home)
            .env("KUBECONFIG", server.kubeconfig())
            .env_remove("KUBERNETES_SERVICE_HOST");
        let run = run_command(
            cmd,
            format!("kubectl __complete pets {}", words.join(" ")),
            None,
        );
        assert_eq!(run.code, 0, "{run}");
        run.stdout
            .lines()
            .filter(|l| !l.starts_with(':'))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    // kubectl_complete-pets as a link to petctl, recognised by its name.
    let links = server.dir.path().join("links");
    let (_, path) = bin_dir(&links, &["kubectl-pets", "kubectl_complete-pets"]);
    assert_eq!(kubectl_complete(&path, &["scale", ""]), ["web", "wiki"]);
    assert_eq!(
        kubectl_complete(&path, &["-n", "tools", "delete", ""]),
        ["cache"]
    );
    // Or the script `petctl completion kubectl-plugin` prints.
    let scripted = server.dir.path().join("scripted");
    let (bin, path) = bin_dir(&scripted, &["kubectl-pets"]);
    let run = petctl_at(&server, &["completion", "kubectl-plugin"]);
    let completer = bin.join("kubectl_complete-pets");
    std::fs::write(&completer, run.expect_success().stdout.as_bytes()).unwrap();
    std::fs::set_permissions(
        &completer,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    assert_eq!(kubectl_complete(&path, &["describe", "sts", ""]), ["wiki"]);
}
