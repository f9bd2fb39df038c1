//! `kubectl exec` and `kubectl run -it` into pets on the local control
//! plane, with the real kubectl: the guide's identity and storage steps
//! verbatim, exit codes, stdin, stderr, a terminal, attach through
//! `kubectl run --rm`, SPDY-only kubectl 1.27, and a viewer's 403.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::local_guide::Cluster;
use crate::support::{petctl_at, petctl_in, scale_wait, FAST_SIM};

/// The guide's set, Ready; None when kubectl or the sandbox is missing
/// and the user opted out.
fn cluster() -> Option<Cluster> {
    if !sandbox_or_skip() {
        return None;
    }
    let k = Cluster::start(FAST_SIM)?;
    k.ok(&["create", "-f", "examples/petset.yaml"]);
    k.wait_ready(&["web-0", "web-1"]);
    Some(k)
}

/// bubblewrap runs exec's sandboxes; a missing one fails the test unless
/// the user opted out with `PETCTL_TEST_SKIP_EXEC=1`.
fn sandbox_or_skip() -> bool {
    if std::env::var("PETCTL_TEST_SKIP_EXEC").as_deref() == Ok("1") {
        eprintln!("skipping: PETCTL_TEST_SKIP_EXEC=1");
        return false;
    }
    assert!(
        Path::new("/usr/bin/bwrap").exists(),
        "exec needs bubblewrap (/usr/bin/bwrap): install the bubblewrap package, or set PETCTL_TEST_SKIP_EXEC=1"
    );
    true
}

fn uid(k: &Cluster, pod: &str) -> String {
    let pod = k.json(&["pod", pod]);
    pod["metadata"]["uid"].as_str().unwrap_or("").to_string()
}

/// Waits on a watch until `pod` is Ready under a uid other than `old`.
fn await_replacement(k: &Cluster, pod: &str, old: &str) {
    let watch = k.watch(&["pods"]);
    watch.wait_for(
        &format!("{pod} re-created and Ready"),
        Duration::from_secs(60),
        |e| {
            let object = &e["object"];
            crate::local_guide::name(e) == pod
                && e["type"] != "DELETED"
                && object["metadata"]["uid"] != old
                && crate::local_guide::is_ready(object)
        },
    );
    watch.stop();
}

#[test]
fn the_guides_identity_and_storage_steps_run_verbatim() {
    let Some(k) = cluster() else { return };
    for i in 0..2 {
        let pod = format!("web-{i}");
        assert_eq!(
            k.ok(&["exec", &pod, "--", "sh", "-c", "hostname"]),
            format!("{pod}\n")
        );
    }
    for i in 0..2 {
        let pod = format!("web-{i}");
        let write = "echo $(hostname) > /usr/share/nginx/html/index.html";
        assert_eq!(k.ok(&["exec", &pod, "--", "sh", "-c", write]), "");
    }
    let olds = [uid(&k, "web-0"), uid(&k, "web-1")];
    k.ok(&["delete", "po", "-l", "app=nginx"]);
    await_replacement(&k, "web-0", &olds[0]);
    await_replacement(&k, "web-1", &olds[1]);
    for i in 0..2 {
        let pod = format!("web-{i}");
        let read = k.ok(&[
            "exec",
            &pod,
            "--",
            "cat",
            "/usr/share/nginx/html/index.html",
        ]);
        assert_eq!(read, format!("{pod}\n"), "{pod} reads its claim again");
    }
    // Scale down and up: web-1 comes back with its old claim and data.
    petctl_at(&k.server, &scale_wait("web", "1", "60s")).expect_success();
    let old = uid(&k, "web-0");
    petctl_at(&k.server, &scale_wait("web", "2", "60s")).expect_success();
    k.wait_ready(&["web-1"]);
    assert_eq!(uid(&k, "web-0"), old, "web-0 was not touched");
    assert_eq!(
        k.ok(&[
            "exec",
            "web-1",
            "--",
            "cat",
            "/usr/share/nginx/html/index.html"
        ]),
        "web-1\n"
    );
    // The sandbox: the pet's FQDN in /etc/hosts, the cluster search path,
    // a private /tmp and the host's system files read-only.
    let pod = k.json(&["pod", "web-0"]);
    let ip = pod["status"]["podIP"].as_str().unwrap();
    let hosts = k.ok(&["exec", "web-0", "--", "cat", "/etc/hosts"]);
    assert!(
        hosts.ends_with(&format!(
            "{ip}\tweb-0.nginx.default.svc.cluster.local\tweb-0\n"
        )),
        "{hosts}"
    );
    let resolv = k.ok(&["exec", "web-0", "--", "cat", "/etc/resolv.conf"]);
    assert!(
        resolv.contains(
            "search default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"
        ),
        "{resolv}"
    );
    let probe = "touch /tmp/x && ls /tmp; touch /usr/bin/x 2>/dev/null || echo read-only";
    assert_eq!(
        k.ok(&["exec", "web-0", "--", "sh", "-c", probe]),
        "x\nread-only\n"
    );
}

#[test]
fn exec_carries_exit_codes_stdin_stderr_and_a_terminal() {
    let Some(k) = cluster() else { return };
    let exit = k.run(&["exec", "web-0", "--", "sh", "-c", "exit 3"]);
    assert_eq!(exit.code, 3, "{exit}");
    assert_eq!(
        exit.stderr, "command terminated with exit code 3\n",
        "{exit}"
    );
    assert_eq!(
        k.ok_in(&["exec", "-i", "web-0", "--", "cat"], "hi\n"),
        "hi\n"
    );
    let both = k.run(&["exec", "web-0", "--", "sh", "-c", "echo out; echo err >&2"]);
    assert_eq!(
        (both.code, both.stdout.as_str(), both.stderr.as_str()),
        (0, "out\n", "err\n"),
        "{both}"
    );
    // Errors before the stream opens are the apiserver's.
    let missing = k.run(&["exec", "nope", "--", "true"]);
    assert_eq!(
        missing.stderr, "Error from server (NotFound): pods \"nope\" not found\n",
        "{missing}"
    );
    let container = k.run(&["exec", "web-0", "-c", "php", "--", "true"]);
    assert!(
        container
            .stderr
            .contains("container php is not valid for pod web-0"),
        "{container}"
    );
    assert_ne!(container.code, 0);

    let mut terminal = Terminal::start(&k, "exec -it web-0 -- sh");
    terminal.send("hostname\n");
    terminal.expect("web-0\r\n");
    terminal.send("test -t 0 && echo on-a-terminal; exit 4\n");
    terminal.expect("on-a-terminal\r\n");
    assert_eq!(terminal.finish(), 4);
}

#[test]
fn kubectl_run_it_attaches_to_the_container_and_rm_leaves_no_pod() {
    if !sandbox_or_skip() {
        return;
    }
    let Some(k) = Cluster::start(FAST_SIM) else {
        return;
    };
    let mut terminal = Terminal::start(
        &k,
        "run -i --tty --image busybox dns-test --restart=Never --rm /bin/sh",
    );
    terminal.send("hostname\n");
    terminal.expect("dns-test\r\n");
    terminal.send("exit\n");
    assert_eq!(terminal.finish(), 0, "{}", terminal.text());
    assert!(
        terminal.text().contains("pod \"dns-test\" deleted"),
        "{}",
        terminal.text()
    );
    let gone = k.run(&["get", "pod", "dns-test"]);
    assert_eq!(
        gone.stderr, "Error from server (NotFound): pods \"dns-test\" not found\n",
        "{gone}"
    );

    // Without a terminal: stdin's end ends the shell, its code is kubectl's.
    let run = k.run_in(
        &[
            "run",
            "-i",
            "--image",
            "busybox",
            "t2",
            "--restart=Never",
            "--rm",
            "--",
            "sh",
        ],
        "hostname; exit 7\n",
    );
    assert_eq!(run.code, 7, "{run}");
    assert!(run.stdout.starts_with("t2\n"), "{run}");
    let pods = k.json(&["pods"]);
    assert_eq!(pods["items"], Value::Array(vec![]), "no pod remains");
}

#[test]
fn spdy_only_kubectl_1_27_gets_a_clear_error_at_once() {
    let Some(k) = cluster() else { return };
    let old = Path::new("/usr/lib/google-cloud-sdk/bin/kubectl.1.27");
    if !old.exists() {
        eprintln!("skipping: {} is not installed", old.display());
        return;
    }
    let started = Instant::now();
    let mut cmd = Command::new("timeout");
    cmd.arg("30")
        .arg(old)
        .args(["exec", "web-0", "--", "hostname"])
        .env("KUBECONFIG", k.server.kubeconfig());
    let out = cmd.output().expect("run kubectl 1.27");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "Error from server (BadRequest): this local control plane serves exec and attach over WebSocket only, \
         not SPDY/3.1: use kubectl 1.30 or newer, or set KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true with kubectl 1.29\n"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_viewer_may_not_exec_or_attach() {
    let Some(k) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alice.yaml");
    let state = k.server.state_dir();
    petctl_in(
        dir.path(),
        &[
            "local",
            "kubeconfig",
            "--state-dir",
            state.to_str().unwrap(),
            "--user",
            "alice",
            "-o",
            config.to_str().unwrap(),
        ],
        None,
    )
    .expect_success();
    for (verb, sub) in [("exec", "exec"), ("attach", "attach")] {
        let mut args = vec![verb, "web-0"];
        if verb == "exec" {
            args.extend(["--", "hostname"]);
        }
        let out = Command::new("kubectl")
            .args(&args)
            .env("KUBECONFIG", &config)
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("run kubectl");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "pods \"web-0\" is forbidden: User \"alice\" cannot create resource \"pods/{sub}\" in API group \"\" in the namespace \"default\""
            )),
            "{stderr}"
        );
    }
}

/// kubectl on a pseudo-terminal (util-linux `script`), read as it writes.
struct Terminal {
    child: Child,
    output: mpsc::Receiver<Vec<u8>>,
    seen: Vec<u8>,
}

impl Terminal {
    fn start(k: &Cluster, args: &str) -> Self {
        let kubectl = crate::support::kubectl_or_skip("terminal").expect("kubectl");
        let home = k.server.dir.path().join("kubectl-home");
        let _ = std::fs::create_dir_all(&home);
        let mut child = Command::new("script")
            .args([
                "-qec",
                &format!("{} {args}", kubectl.display()),
                "/dev/null",
            ])
            .env("KUBECONFIG", k.server.kubeconfig())
            .env("HOME", &home)
            .env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn script");
        let mut stdout = child.stdout.take().expect("stdout");
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(&mut stdout);
            loop {
                let chunk = match reader.fill_buf() {
                    Ok([]) | Err(_) => return,
                    Ok(chunk) => chunk.to_vec(),
                };
                reader.consume(chunk.len());
                if tx.send(chunk).is_err() {
                    return;
                }
            }
        });
        Terminal {
            child,
            output,
            seen: Vec::new(),
        }
    }

    fn send(&mut self, keys: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin.write_all(keys.as_bytes()).expect("type");
        stdin.flush().expect("flush");
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Reads until `fragment` has appeared; panics after 30 s.
    #[track_caller]
    fn expect(&mut self, fragment: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.text().contains(fragment) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(_) => panic!(
                    "no {fragment:?} on the terminal; it shows:\n{}",
                    self.text()
                ),
            }
        }
    }

    /// Reads to the end and returns the exit code; panics after 60 s.
    fn finish(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!("kubectl did not end; the terminal shows:\n{}", self.text());
                }
            }
        }
        self.child.wait().expect("wait").code().unwrap_or(-1)
    }
}
