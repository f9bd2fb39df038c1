//! Every way of authenticating and reaching a server, exercised against the
//! local control plane: client certificates (as data and as files with
//! relative paths), basic auth, a read-only user's 403s, tls-server-name,
//! proxy-url and the in-cluster service account. kubectl, given the same
//! kubeconfig, is the oracle for what the server answered.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::support::{
    expect_unverified_certificate, kubectl_or_skip, petctl_at, petctl_in, run_command, scratch,
    scrubbed, LocalServer, Run,
};

use crate::support::INSTANT_SIM;

/// `petctl local kubeconfig` for `user` in `groups`, written to `dir`.
fn user_kubeconfig(server: &LocalServer, dir: &Path, user: &str, groups: &[&str]) -> PathBuf {
    let path = dir.join(format!("{user}.yaml"));
    let state = server.state_dir();
    let mut args = vec![
        "local",
        "kubeconfig",
        "--state-dir",
        state.to_str().unwrap(),
        "--user",
        user,
        "-o",
        path.to_str().unwrap(),
    ];
    for group in groups {
        args.extend(["--group", group]);
    }
    petctl_in(dir, &args, None).expect_success();
    path
}

fn petctl_with(config: &Path, args: &[&str]) -> Run {
    let mut full = vec!["--kubeconfig", config.to_str().unwrap()];
    full.extend_from_slice(args);
    petctl_in(config.parent().unwrap(), &full, None)
}

fn kubectl_with_config(kubectl: &Path, config: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(kubectl);
    cmd.args(args)
        .env("KUBECONFIG", config)
        .env("HOME", config.parent().unwrap())
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT");
    run_command(cmd, format!("kubectl {}", args.join(" ")), None)
}

/// The value of `key:` in a kubeconfig written by `petctl local kubeconfig`.
fn field(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no {key} in\n{text}"))
}

fn decode(data: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap()
}

#[test]
fn a_read_only_user_is_refused_every_change_with_the_servers_403() {
    let server = LocalServer::start_with(INSTANT_SIM);
    petctl_at(&server, &["create", "-f", "examples/petset.yaml", "--wait"]).expect_success();
    let dir = scratch();
    let alice = user_kubeconfig(&server, dir.path(), "alice", &[]);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&alice).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "a kubeconfig with a key is private");

    let run = petctl_with(&alice, &["get", "petsets", "--no-headers"]);
    run.expect_success();
    assert!(run.stdout.starts_with("web "), "{run}");

    let forbidden = |verb: &str, resource: &str, name: Option<&str>| {
        let object = match name {
            Some(name) => format!("{resource} {name:?}"),
            None => resource.to_string(),
        };
        let plural = resource.split('.').next().unwrap();
        let group = resource.split_once('.').map_or("", |(_, g)| g);
        format!(
            "{object} is forbidden: User \"alice\" cannot {verb} resource \"{plural}\" in API group \"{group}\" in the namespace \"default\""
        )
    };
    let preflight = "which the server says you do not have (a SelfSubjectAccessReview, as `kubectl auth can-i` asks); nothing was changed";
    for (args, want) in [
        (
            vec!["scale", "web", "--replicas", "3"],
            format!(
                "error: failed to scale petset \"web\": cannot take the operation lease on petset \"web\": {}\n",
                forbidden("patch", "petsets.apps", Some("web"))
            ),
        ),
        (
            vec!["upgrade-image", "web", "nginx=nginx:1.27", "--yes"],
            format!("error: upgrade of petset \"web\" needs permission to patch petsets.apps in namespace \"default\", delete pods in namespace \"default\", {preflight}\n"),
        ),
        (
            vec!["delete", "web"],
            format!("error: failed to delete petset \"web\": the ordered delete needs permission to patch petsets.apps in namespace \"default\", delete petsets.apps in namespace \"default\", {preflight}\n"),
        ),
        (
            vec!["pause", "web"],
            format!(
                "error: cannot take the operation lease on petset \"web\": {}\n",
                forbidden("patch", "petsets.apps", Some("web"))
            ),
        ),
    ] {
        let run = petctl_with(&alice, &args);
        run.expect_code(1);
        assert!(run.stderr.ends_with(&want), "want …{want}\n{run}");
    }
    let run = petctl_with(&alice, &["create", "-f", "examples/petset.yaml"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(&forbidden("create", "services", None)),
        "{run}"
    );
    assert!(
        run.stderr
            .contains(&forbidden("create", "petsets.apps", None)),
        "{run}"
    );

    if let Some(kubectl) = kubectl_or_skip("a_read_only_user_is_refused_every_change") {
        let run = kubectl_with_config(&kubectl, &alice, &["delete", "pod", "web-0"]);
        run.expect_code(1);
        assert_eq!(
            run.stderr,
            format!(
                "Error from server (Forbidden): {}\n",
                forbidden("delete", "pods", Some("web-0"))
            )
        );
        kubectl_with_config(&kubectl, &alice, &["get", "petsets"]).expect_success();
        let whoami = kubectl_with_config(
            &kubectl,
            &alice,
            &[
                "auth",
                "whoami",
                "-o",
                "jsonpath={.status.userInfo.username}",
            ],
        );
        assert_eq!(whoami.stdout, "alice", "{whoami}");
        for (verb, resource, answer) in [
            ("list", "petsets.apps", "yes\n"),
            ("patch", "petsets.apps", "no\n"),
            ("get", "secrets", "no\n"),
        ] {
            let run = kubectl_with_config(&kubectl, &alice, &["auth", "can-i", verb, resource]);
            assert_eq!(run.stdout, answer, "{verb} {resource}: {run}");
        }
        let rules = kubectl_with_config(&kubectl, &alice, &["auth", "can-i", "--list"]);
        rules.expect_success();
        let pods = rules.stdout.lines().find(|l| l.starts_with("pods "));
        assert!(
            pods.is_some_and(|l| l.ends_with("[get list watch]")),
            "{rules}"
        );
        assert!(!rules.stdout.contains("secrets"), "{rules}");
    }

    // Nothing changed.
    let run = petctl_at(&server, &["get", "pets", "web", "--no-headers"]);
    assert_eq!(run.stdout.lines().count(), 2, "{run}");
    assert!(run.stdout.lines().all(|l| l.contains("Running")), "{run}");
}

#[test]
fn client_certificates_as_data_and_as_files_with_relative_paths() {
    let server = LocalServer::start_with(INSTANT_SIM);
    let dir = scratch();
    let admin = user_kubeconfig(&server, dir.path(), "ops", &["system:masters"]);
    petctl_with(&admin, &["create", "-f", "examples/petset.yaml", "--wait"]).expect_success();
    petctl_with(&admin, &["scale", "web", "--replicas", "1", "--wait"]).expect_success();

    // The same credentials as files, named relative to the kubeconfig.
    let text = std::fs::read_to_string(&admin).unwrap();
    let nested = dir.path().join("nested");
    std::fs::create_dir_all(nested.join("pki")).unwrap();
    std::fs::write(
        nested.join("pki/ca.crt"),
        decode(&field(&text, "certificate-authority-data:")),
    )
    .unwrap();
    std::fs::write(
        nested.join("pki/ops.crt"),
        decode(&field(&text, "client-certificate-data:")),
    )
    .unwrap();
    std::fs::write(
        nested.join("pki/ops.key"),
        decode(&field(&text, "client-key-data:")),
    )
    .unwrap();
    let files = nested.join("config");
    std::fs::write(
        &files,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: pki/ca.crt\ncontexts:\n- name: c\n  context: {{cluster: c, user: ops, namespace: default}}\nusers:\n- name: ops\n  user:\n    client-certificate: pki/ops.crt\n    client-key: pki/ops.key\n",
            server.url
        ),
    )
    .unwrap();
    let run = petctl_in(
        dir.path(),
        &[
            "--kubeconfig",
            files.to_str().unwrap(),
            "get",
            "pets",
            "web",
            "--no-headers",
        ],
        None,
    );
    run.expect_success();
    assert_eq!(run.stdout.lines().count(), 1, "{run}");

    // Neither -v=8 nor config view shows the key.
    let key = std::fs::read_to_string(nested.join("pki/ops.key")).unwrap();
    let key_line = key.lines().nth(1).unwrap();
    let run = petctl_with(&admin, &["get", "petsets", "-v=8"]);
    run.expect_success();
    assert!(!run.stderr.contains(key_line) && !run.stdout.contains(key_line));
    let run = petctl_with(&admin, &["config", "view", "--minify"]);
    run.expect_success();
    assert!(
        run.stdout.contains("client-key-data: DATA+OMITTED"),
        "{run}"
    );
    assert!(!run.stdout.contains(&field(&text, "client-key-data:")));

    if let Some(kubectl) = kubectl_or_skip("client_certificates_as_data_and_as_files") {
        kubectl_with_config(&kubectl, &files, &["get", "pods"]).expect_success();
    }
}

#[test]
fn basic_auth_users_of_a_legacy_server() {
    let auth = scratch();
    let file = auth.path().join("basic-auth.csv");
    std::fs::write(
        &file,
        "viewpw,viewer,1\nadminpw,root,2,\"system:masters\"\n",
    )
    .unwrap();
    let mut flags = INSTANT_SIM.to_vec();
    flags.extend(["--basic-auth-file", file.to_str().unwrap()]);
    let server = LocalServer::start_with(&flags);
    let config = |user: &str, password: &str| {
        let path = auth.path().join(format!("{user}-{password}.yaml"));
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: {}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\nusers:\n- name: u\n  user:\n    username: {user}\n    password: {password}\n",
                server.url,
                server.state_dir().join("ca.crt").display()
            ),
        )
        .unwrap();
        path
    };
    let root = config("root", "adminpw");
    petctl_with(&root, &["create", "-f", "examples/petset.yaml"]).expect_success();
    let run = petctl_with(&root, &["get", "petsets", "-v=8"]);
    run.expect_success();
    assert!(!run.stderr.contains("adminpw"), "{run}");

    let viewer = config("viewer", "viewpw");
    petctl_with(&viewer, &["get", "petsets"]).expect_success();
    let run = petctl_with(&viewer, &["scale", "web", "--replicas", "0"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains(r#"User "viewer" cannot patch resource "petsets""#),
        "{run}"
    );

    let run = petctl_with(&config("root", "wrong"), &["get", "petsets"]);
    run.expect_code(1);
    assert_eq!(run.stderr, "error: Unauthorized\n");
}

/// A minimal HTTP CONNECT proxy on 127.0.0.1 that records each target.
struct ConnectProxy {
    url: String,
    targets: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = targets.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let _ = tunnel(client, &seen);
                });
            }
        });
        ConnectProxy { url, targets }
    }

    fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

fn tunnel(client: TcpStream, seen: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
    }
    let target = match request.split_whitespace().collect::<Vec<_>>()[..] {
        ["CONNECT", target, _] => target.to_string(),
        _ => return Ok(()),
    };
    seen.lock().unwrap().push(target.clone());
    let upstream = TcpStream::connect(&target)?;
    (&client).write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let (mut up_read, mut down_write) = (upstream.try_clone()?, client.try_clone()?);
    std::thread::spawn(move || std::io::copy(&mut up_read, &mut down_write));
    std::io::copy(&mut reader, &mut &upstream)?;
    Ok(())
}

/// The admin kubeconfig with `extra` lines added to the cluster stanza.
fn with_cluster_lines(server: &LocalServer, dir: &Path, name: &str, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(server.kubeconfig()).unwrap();
    let text = text.replacen(
        "    certificate-authority-data:",
        &format!("{extra}    certificate-authority-data:"),
        1,
    );
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn tls_server_name_and_proxy_url() {
    let server = LocalServer::start_with(INSTANT_SIM);
    let dir = scratch();
    let kubectl = kubectl_or_skip("tls_server_name_and_proxy_url");

    let good = with_cluster_lines(
        &server,
        dir.path(),
        "good",
        "    tls-server-name: localhost\n",
    );
    petctl_with(&good, &["get", "petsets"]).expect_success();
    let bad = with_cluster_lines(
        &server,
        dir.path(),
        "bad",
        "    tls-server-name: db.example.com\n",
    );
    let run = petctl_with(&bad, &["get", "petsets"]);
    expect_unverified_certificate(&run, &server.url);
    if let Some(kubectl) = &kubectl {
        kubectl_with_config(kubectl, &good, &["get", "pods"]).expect_success();
        assert_ne!(kubectl_with_config(kubectl, &bad, &["get", "pods"]).code, 0);
    }

    let proxy = ConnectProxy::start();
    let proxied = with_cluster_lines(
        &server,
        dir.path(),
        "proxied",
        &format!("    proxy-url: {}\n", proxy.url),
    );
    petctl_with(&proxied, &["create", "-f", "examples/petset.yaml"]).expect_success();
    let authority = server.url.trim_start_matches("https://").to_string();
    assert!(
        proxy.targets().contains(&authority),
        "{:?}",
        proxy.targets()
    );
    if let Some(kubectl) = &kubectl {
        let before = proxy.targets().len();
        kubectl_with_config(kubectl, &proxied, &["get", "petsets"]).expect_success();
        assert!(
            proxy.targets().len() > before,
            "kubectl went through the proxy too"
        );
    }
}

#[test]
fn in_cluster_service_account() {
    // The service account lives at a fixed path; a private mount namespace
    // puts one there without touching the machine's /run.
    let probe = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount -t tmpfs none /run"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipping in_cluster_service_account: cannot make a private mount namespace (unshare -m)");
        return;
    }
    let server = LocalServer::start_with(INSTANT_SIM);
    petctl_at(&server, &["create", "-f", "examples/petset.yaml"]).expect_success();
    let dir = scratch();
    let account = dir.path().join("serviceaccount");
    std::fs::create_dir_all(&account).unwrap();
    std::fs::write(account.join("token"), server.token()).unwrap();
    std::fs::copy(server.state_dir().join("ca.crt"), account.join("ca.crt")).unwrap();
    std::fs::write(account.join("namespace"), "default\n").unwrap();
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let script = format!(
        "mount -t tmpfs none /run && mkdir -p /run/secrets/kubernetes.io && cp -r {} /run/secrets/kubernetes.io/ && exec {} get pets web --no-headers",
        account.display(),
        env!("CARGO_BIN_EXE_petctl")
    );
    let mut unshare = Command::new("unshare");
    unshare.args(["-m", "sh", "-c", &script]);
    let mut cmd = scrubbed(unshare, dir.path());
    cmd.env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", &port);
    let run = run_command(cmd, format!("in-cluster: {script}"), None);
    run.expect_success();
    assert_eq!(run.stdout.lines().count(), 2, "{run}");
}
