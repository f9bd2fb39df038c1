//! `kubectl exec` and `kubectl run -it` into pets on the local control
//! plane, with the real kubectl: the guide's identity and storage steps
//! verbatim, exit codes, stdin, stderr, a terminal, attach through
//! `kubectl run --rm`, SPDY-only kubectl 1.27, and a viewer's 403.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::local_guide::Cluster;
use crate::support::{petctl_at, petctl_in, scale_wait, FAST_SIM};

mod terminal;
use terminal::Terminal;

/// The guide's set, Ready; None when kubectl or the sandbox is missing
/// and the user opted out.
fn cluster() -> Option<Cluster> {
    let k = sandboxed(FAST_SIM)?;
    k.ok(&["create", "-f", "examples/petset.yaml"]);
    k.wait_ready(&["web-0", "web-1"]);
    Some(k)
}

/// A server started with `flags`, when kubectl and the sandbox are there.
fn sandboxed(flags: &[&str]) -> Option<Cluster> {
    if !sandbox_or_skip() {
        return None;
    }
    Cluster::start(flags)
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
    // The pod's /tmp outlives one exec: kubectl cp (tar through exec) lands.
    k.ok(&["cp", "examples/petset.yaml", "web-0:/tmp/petset.yaml"]);
    let copied = k.ok(&["exec", "web-0", "--", "cat", "/tmp/petset.yaml"]);
    let local = std::fs::read_to_string(crate::support::repo_root().join("examples/petset.yaml"));
    assert_eq!(copied, local.unwrap());
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

    // kubectl's terminal size reaches the pet's (channel 4).
    let mut terminal = Terminal::sized(&k, "exec -it web-0 -- sh", "rows 40 cols 100");
    terminal.expect("# ");
    terminal.send("stty size\n");
    terminal.expect("40 100\r\n");
    terminal.send("exit\n");
    assert_eq!(terminal.finish(), 0);
}

#[test]
fn an_empty_dir_env_and_working_dir_are_the_containers_and_a_pending_pod_refuses() {
    let Some(k) = sandboxed(FAST_SIM) else {
        return;
    };
    let overrides = r#"{"spec": {"containers": [{
        "name": "scratch", "image": "busybox", "command": ["sleep", "3600"],
        "workingDir": "/cache",
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]
    }], "volumes": [{"name": "cache", "emptyDir": {}}]}}"#;
    let flag = format!("--overrides={overrides}");
    k.ok(&["run", "scratch", "--image", "busybox", &flag]);
    k.wait_ready(&["scratch"]);
    let write = "echo kept > note; pwd; echo $POD_NAME";
    assert_eq!(
        k.ok(&["exec", "scratch", "--", "sh", "-c", write]),
        "/cache\nscratch\n"
    );
    assert_eq!(
        k.ok(&["exec", "scratch", "--", "cat", "/cache/note"]),
        "kept\n"
    );
    let pod = k.json(&["pod", "scratch"]);
    let uid = pod["metadata"]["uid"].as_str().unwrap();
    let backing = k
        .server
        .state_dir()
        .join("pods")
        .join(uid)
        .join("volumes/cache/note");
    assert_eq!(std::fs::read_to_string(&backing).unwrap(), "kept\n");

    // A pod no node takes has no kubelet to ask.
    let pending = r#"{"spec": {"nodeSelector": {"petctl.test/none": "x"}}}"#;
    k.ok(&[
        "run",
        "pending",
        "--image",
        "busybox",
        &format!("--overrides={pending}"),
    ]);
    let refused = k.run(&["exec", "pending", "--", "true"]);
    assert_eq!(
        refused.stderr,
        "Error from server (BadRequest): pod pending does not have a host assigned\n",
        "{refused}"
    );
}

#[test]
fn kubectl_run_it_attaches_to_the_container_and_rm_leaves_no_pod() {
    let Some(k) = sandboxed(FAST_SIM) else {
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
fn a_session_outlives_the_connection_timeouts_and_dies_with_its_client_or_pod() {
    let mut flags = FAST_SIM.to_vec();
    flags.extend(["--idle-timeout", "1s", "--header-timeout", "1s"]);
    let Some(k) = sandboxed(&flags) else {
        return;
    };
    k.ok(&["create", "-f", "examples/petset.yaml"]);
    k.wait_ready(&["web-0", "web-1"]);
    // An upgraded connection is no longer the header or idle clock's.
    let slow = "read line; sleep 2; echo \"$line\"";
    let echoed = k.ok_in(&["exec", "-i", "web-0", "--", "sh", "-c", slow], "late\n");
    assert_eq!(echoed, "late\n");

    // The client goes: the process tree goes. The command holds a FIFO in
    // the pet's volume open; its end is the test's EOF.
    let claim = k.json(&["pvc", "www-web-0"]);
    let volume = claim["spec"]["volumeName"].as_str().unwrap().to_string();
    let pv = k.json(&["pv", &volume]);
    let fifo = Path::new(pv["spec"]["hostPath"]["path"].as_str().unwrap()).join("held");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let hold = "exec sleep 301 > /usr/share/nginx/html/held";
    let mut client = spawn(&k, &["exec", "web-0", "--", "sh", "-c", hold]);
    let closed = held_until_closed(&fifo);
    client.kill().expect("kill kubectl");
    let _ = client.wait();
    closed
        .recv_timeout(Duration::from_secs(30))
        .expect("the sandboxed process outlived its client");

    // The pod goes: the session ends with the reason.
    let started = "echo started; exec sleep 302";
    let mut client = spawn(&k, &["exec", "web-1", "--", "sh", "-c", started]);
    let stdout = crate::support::lines_of(client.stdout.take().expect("stdout"));
    let ended = crate::support::lines_of(client.stderr.take().expect("stderr"));
    assert_eq!(
        stdout.recv_timeout(Duration::from_secs(30)).as_deref(),
        Ok("started")
    );
    k.ok(&["delete", "pod", "web-1", "--wait=false"]);
    let line = ended
        .recv_timeout(Duration::from_secs(30))
        .expect("kubectl exec outlived its pod");
    assert_eq!(line, "error: the pod was deleted");
    assert_eq!(client.wait().unwrap().code(), Some(1));
}

/// kubectl with `args`, left running with its stdout and stderr piped.
fn spawn(k: &Cluster, args: &[&str]) -> Child {
    Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", k.server.kubeconfig())
        .env("HOME", k.server.dir.path().join("kubectl-home"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kubectl")
}

/// Opens `fifo` for reading (once a writer has it) and reports when every
/// writer has closed it.
fn held_until_closed(fifo: &Path) -> mpsc::Receiver<()> {
    let (opened_tx, opened) = mpsc::channel();
    let (closed_tx, closed) = mpsc::channel();
    let fifo = fifo.to_path_buf();
    std::thread::spawn(move || {
        let mut reader = std::fs::File::open(&fifo).expect("open the fifo");
        let _ = opened_tx.send(());
        let _ = std::io::Read::read_to_end(&mut reader, &mut Vec::new());
        let _ = closed_tx.send(());
    });
    opened
        .recv_timeout(Duration::from_secs(30))
        .expect("the sandboxed process never opened the fifo");
    closed
}

#[test]
fn spdy_only_kubectl_1_27_and_1_29_get_a_clear_error_at_once() {
    let Some(k) = cluster() else { return };
    let run = |version: &str, websockets: bool| {
        let old = Path::new("/usr/lib/google-cloud-sdk/bin").join(format!("kubectl.{version}"));
        if !old.exists() {
            eprintln!("skipping: {} is not installed", old.display());
            return None;
        }
        let started = Instant::now();
        let mut cmd = Command::new("timeout");
        cmd.arg("30")
            .arg(&old)
            .args(["exec", "web-0", "--", "hostname"])
            .env("KUBECONFIG", k.server.kubeconfig())
            .env("HOME", k.server.dir.path().join("kubectl-home"));
        if websockets {
            cmd.env("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "true");
        }
        let out = cmd.output().expect("run an older kubectl");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "kubectl {version} hung"
        );
        Some(out)
    };
    for version in ["1.27", "1.29"] {
        let Some(out) = run(version, false) else {
            continue;
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{version}: {stderr}");
        assert_eq!(
            stderr,
            "Error from server (BadRequest): this local control plane serves exec and attach over WebSocket only, \
             not SPDY/3.1: use kubectl 1.30 or newer, or set KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true with kubectl 1.29\n",
            "{version}"
        );
    }
    // kubectl 1.29 speaks WebSocket when asked to.
    if let Some(out) = run("1.29", true) {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            (out.status.code(), out.stdout.as_slice()),
            (Some(0), &b"web-0\n"[..]),
            "{stderr}"
        );
    }
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

/// The guide's member discovery, from inside a pet: its resolv.conf names
/// the cluster DNS, so the short names of the guide resolve through the
/// search path. Where the server could not bind port 53 (not root), there
/// is no pods' nameserver, and the log says so.
#[test]
fn pets_find_each_other_through_the_cluster_dns_inside_exec() {
    let Some(k) = cluster() else { return };
    let status = k.server.get("/petctl/status").json();
    let Some(nameserver) = status["podNameserver"].as_str() else {
        let log =
            std::fs::read_to_string(k.server.state_dir().join("server.log")).unwrap_or_default();
        assert!(
            log.contains("dns: not serving pods' nameserver on port 53"),
            "{log}"
        );
        eprintln!("skipping the lookups: the server could not bind port 53");
        return;
    };
    let (host, _) = nameserver.rsplit_once(':').expect("host:port");
    let resolv = k.ok(&["exec", "web-0", "--", "cat", "/etc/resolv.conf"]);
    assert!(
        resolv.starts_with(&format!("nameserver {host}\n")),
        "{resolv}"
    );
    let ip = |pod: &str| {
        k.json(&["pod", pod])["status"]["podIP"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let hosts = k.ok(&["exec", "web-0", "--", "getent", "hosts", "web-1.nginx"]);
    assert_eq!(
        hosts.split_whitespace().collect::<Vec<_>>(),
        [
            ip("web-1").as_str(),
            "web-1.nginx.default.svc.cluster.local"
        ],
        "{hosts}"
    );
    // The guide's commands, as its dns-test pod ran them.
    let lookup = k.ok(&["exec", "web-1", "--", "nslookup", "web-0.nginx"]);
    assert!(
        lookup.contains("Name:\tweb-0.nginx.default.svc.cluster.local\nAddress: ")
            && lookup.contains(&ip("web-0")),
        "{lookup}"
    );
    let srv = k.ok(&[
        "exec",
        "web-0",
        "--",
        "nslookup",
        "-type=srv",
        "nginx.default",
    ]);
    for pet in ["web-0", "web-1"] {
        assert!(
            srv.contains(&format!("{pet}.nginx.default.svc.cluster.local.")),
            "{srv}"
        );
    }
}

/// Where bubblewrap cannot create namespaces (an unprivileged server on a
/// kernel that forbids user namespaces), exec is refused with the reason.
/// The kernel's refusal is played by a `bwrap` on the server's PATH that
/// answers as bubblewrap does there; the pods themselves still run.
#[test]
fn exec_is_refused_with_the_reason_where_namespaces_are_unavailable() {
    let fake = tempfile::tempdir().unwrap();
    let bwrap = fake.path().join("bwrap");
    std::fs::write(
        &bwrap,
        "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&bwrap, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        fake.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let server = crate::support::LocalServer::start_configured(|cmd| {
        cmd.args(FAST_SIM).env("PATH", &path);
    });
    let Some(k) = Cluster::on(server) else { return };
    k.ok(&["create", "-f", "examples/petset.yaml"]);
    k.wait_ready(&["web-0"]);
    let run = k.run(&["exec", "web-0", "--", "hostname"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr
            .contains("bubblewrap cannot create the pod's namespaces here")
            && run
                .stderr
                .contains("No permissions to creating new namespace"),
        "{run}"
    );
    assert!(run.stdout.is_empty(), "{run}");
}
