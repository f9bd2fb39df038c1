//! Kubeconfig oracle: for each fixture, `petctl config view --minify`
//! resolves to the same context, cluster, user, namespace and server (and
//! the same CA, client certificate and exec command) as the real
//! `kubectl config view --minify --flatten`. Also the error cases and the
//! overrides that `kubectl config view` does not apply.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use serde_json::Value;

use crate::support::{kubectl_or_skip, petctl_command, scratch};

/// How the fixture's files are chosen.
enum Pick {
    /// `--kubeconfig FILE`
    Explicit(&'static str),
    /// `KUBECONFIG=a:b:…` (relative names inside the fixture dir)
    Env(&'static [&'static str]),
    /// `$HOME/.kube/config`
    Home,
}

struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    pick: Pick,
    flags: &'static [&'static str],
}

const BASIC: &str = "
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example:6443
    certificate-authority: certs/ca.crt
- name: prod-cluster
  cluster:
    server: https://prod.example
    insecure-skip-tls-verify: true
users:
- name: alice
  user:
    token: alice-token
- name: bob
  user:
    client-certificate: ../keys/bob.crt
    client-key: ../keys/bob.key
contexts:
- name: dev
  context: {cluster: dev-cluster, user: alice, namespace: team-dev}
- name: prod
  context: {cluster: prod-cluster, user: bob}
- name: dev-only
  context: {cluster: dev-cluster, user: alice}
";

const SECOND: &str = "
apiVersion: v1
kind: Config
current-context: other
clusters:
- name: dev-cluster
  cluster:
    server: https://shadowed.example
- name: other-cluster
  cluster:
    server: https://other.example:8443
    tls-server-name: api.other.internal
    proxy-url: http://proxy.example:3128
users:
- name: carol
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/get-token
      args: [--cluster, other]
      interactiveMode: Never
- name: dave
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      interactiveMode: IfAvailable
contexts:
- name: other
  context: {cluster: other-cluster, user: carol, namespace: ops}
- name: dev
  context: {cluster: other-cluster, user: dave}
- name: dave
  context: {cluster: other-cluster, user: dave}
";

const NO_CURRENT: &str = "
apiVersion: v1
kind: Config
clusters:
- name: lone
  cluster: {server: 'https://lone.example'}
contexts:
- name: lone
  context: {cluster: lone, user: ''}
";

const INLINE_DATA: &str = "
apiVersion: v1
kind: Config
current-context: inline
clusters:
- name: inline
  cluster:
    server: https://inline.example
    certificate-authority-data: aW5saW5lLWNhCg==
users:
- name: inline
  user:
    client-certificate-data: aW5saW5lLWNlcnQK
    client-key-data: aW5saW5lLWtleQo=
contexts:
- name: inline
  context: {cluster: inline, user: inline, namespace: data}
";

const CASES: &[Case] = &[
    Case {
        name: "single file, current context with namespace",
        files: &[("cfg/a.yaml", BASIC)],
        pick: Pick::Explicit("cfg/a.yaml"),
        flags: &[],
    },
    Case {
        name: "context override, no namespace",
        files: &[("cfg/a.yaml", BASIC)],
        pick: Pick::Explicit("cfg/a.yaml"),
        flags: &["--context", "prod"],
    },
    Case {
        name: "KUBECONFIG list, first current-context wins",
        files: &[("cfg/a.yaml", BASIC), ("cfg/b.yaml", SECOND)],
        pick: Pick::Env(&["cfg/b.yaml", "cfg/a.yaml"]),
        flags: &[],
    },
    Case {
        name: "KUBECONFIG list, first definition of a cluster wins",
        files: &[("cfg/a.yaml", BASIC), ("cfg/b.yaml", SECOND)],
        pick: Pick::Env(&["cfg/b.yaml", "cfg/a.yaml"]),
        flags: &["--context", "dev-only"],
    },
    Case {
        name: "KUBECONFIG list, first definition of a context wins",
        files: &[("cfg/a.yaml", BASIC), ("cfg/b.yaml", SECOND)],
        pick: Pick::Env(&["cfg/b.yaml", "cfg/a.yaml"]),
        flags: &["--context", "dev"],
    },
    Case {
        name: "KUBECONFIG list, other order",
        files: &[("cfg/a.yaml", BASIC), ("cfg/b.yaml", SECOND)],
        pick: Pick::Env(&["cfg/a.yaml", "cfg/b.yaml"]),
        flags: &[],
    },
    Case {
        name: "KUBECONFIG list skips missing files",
        files: &[("cfg/b.yaml", SECOND)],
        pick: Pick::Env(&["cfg/missing.yaml", "cfg/b.yaml"]),
        flags: &[],
    },
    Case {
        name: "no current-context, context chosen by flag",
        files: &[("cfg/a.yaml", NO_CURRENT), ("cfg/b.yaml", SECOND)],
        pick: Pick::Env(&["cfg/a.yaml", "cfg/b.yaml"]),
        flags: &["--context", "lone"],
    },
    Case {
        name: "empty current-context falls to the next file",
        files: &[("cfg/a.yaml", NO_CURRENT), ("cfg/b.yaml", SECOND)],
        pick: Pick::Env(&["cfg/a.yaml", "cfg/b.yaml"]),
        flags: &[],
    },
    Case {
        name: "relative exec command resolves against the file",
        files: &[("cfg/b.yaml", SECOND)],
        pick: Pick::Explicit("cfg/b.yaml"),
        flags: &[],
    },
    Case {
        name: "bare exec command stays a PATH lookup",
        files: &[("cfg/b.yaml", SECOND)],
        pick: Pick::Explicit("cfg/b.yaml"),
        flags: &["--context", "dave"],
    },
    Case {
        name: "relative client certificate and key",
        files: &[("cfg/a.yaml", BASIC)],
        pick: Pick::Explicit("cfg/a.yaml"),
        flags: &["--context", "prod"],
    },
    Case {
        name: "inline certificate data",
        files: &[("cfg/c.yaml", INLINE_DATA)],
        pick: Pick::Explicit("cfg/c.yaml"),
        flags: &[],
    },
    Case {
        name: "home kubeconfig",
        files: &[(".kube/config", BASIC)],
        pick: Pick::Home,
        flags: &[],
    },
    Case {
        name: "home kubeconfig, relative paths against ~/.kube",
        files: &[(".kube/config", BASIC)],
        pick: Pick::Home,
        flags: &["--context", "prod"],
    },
    Case {
        name: "explicit file beats KUBECONFIG",
        files: &[("cfg/a.yaml", BASIC), ("cfg/b.yaml", SECOND)],
        pick: Pick::Explicit("cfg/a.yaml"),
        flags: &[],
    },
];

/// Files the fixtures reference, relative to the fixture root.
const REFERENCED: &[(&str, &str)] = &[
    ("cfg/certs/ca.crt", "dev-ca\n"),
    ("keys/bob.crt", "bob-cert\n"),
    ("keys/bob.key", "bob-key\n"),
    (".kube/certs/ca.crt", "home-ca\n"),
    ("keys/../keys/x", ""),
];

/// What a minified kubeconfig resolves to, in comparable form.
#[derive(Debug, PartialEq)]
struct Resolution {
    context: String,
    cluster: String,
    user: String,
    namespace: String,
    server: String,
    insecure: bool,
    tls_server_name: String,
    proxy_url: String,
    ca: String,
    client_certificate: String,
    exec_command: String,
}

fn text(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Content of a `*-data` field, or of the file its path field names.
fn content(section: &Value, field: &str) -> String {
    let data = text(section, &format!("/{field}-data"));
    if data == "DATA+OMITTED" {
        return data;
    }
    if !data.is_empty() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        return String::from_utf8(bytes).unwrap();
    }
    let path = text(section, &format!("/{field}"));
    if path.is_empty() {
        return String::new();
    }
    assert!(
        Path::new(&path).is_absolute(),
        "petctl must resolve {field} to an absolute path: {path}"
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn resolution(v: &Value) -> Resolution {
    let cluster = &v["clusters"][0]["cluster"];
    let user = &v["users"][0]["user"];
    let ns = text(v, "/contexts/0/context/namespace");
    Resolution {
        context: text(v, "/current-context"),
        cluster: text(v, "/clusters/0/name"),
        user: text(v, "/users/0/name"),
        namespace: if ns.is_empty() { "default".into() } else { ns },
        server: text(cluster, "/server"),
        insecure: cluster["insecure-skip-tls-verify"]
            .as_bool()
            .unwrap_or(false),
        tls_server_name: text(cluster, "/tls-server-name"),
        proxy_url: text(cluster, "/proxy-url"),
        ca: content(cluster, "certificate-authority"),
        client_certificate: content(user, "client-certificate"),
        exec_command: text(user, "/exec/command"),
    }
}

fn lay_out(root: &Path, case: &Case) {
    for (name, body) in case.files.iter().chain(REFERENCED) {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, body).unwrap();
    }
    std::fs::create_dir_all(root.join("cfg/bin")).unwrap();
}

fn configure(cmd: &mut Command, root: &Path, case: &Case) {
    cmd.env("HOME", root).env_remove("KUBECONFIG");
    match &case.pick {
        Pick::Explicit(file) => {
            cmd.arg("--kubeconfig").arg(root.join(file));
            // An explicit file must win over KUBECONFIG.
            cmd.env("KUBECONFIG", root.join("cfg/b.yaml"));
        }
        Pick::Env(files) => {
            let list = std::env::join_paths(files.iter().map(|f| root.join(f))).unwrap();
            cmd.env("KUBECONFIG", list);
        }
        Pick::Home => {}
    }
    cmd.args(case.flags);
}

#[test]
fn config_view_minify_matches_kubectl() {
    let Some(kubectl) = kubectl_or_skip("config_view_minify_matches_kubectl") else {
        return;
    };
    let mut failures = Vec::new();
    for case in CASES {
        let dir = scratch();
        let root = dir.path();
        lay_out(root, case);

        let mut k = Command::new(&kubectl);
        k.args([
            "config",
            "view",
            "--minify",
            "--flatten",
            "--raw",
            "-o",
            "json",
        ]);
        configure(&mut k, root, case);
        let k_out = k.output().unwrap();
        assert!(
            k_out.status.success(),
            "{}: kubectl failed: {}",
            case.name,
            String::from_utf8_lossy(&k_out.stderr)
        );
        let expected = resolution(&serde_json::from_slice(&k_out.stdout).unwrap());

        let mut p = petctl_command(root);
        p.args(["config", "view", "--minify", "-o", "json"]);
        configure(&mut p, root, case);
        let p_out = p.output().unwrap();
        if !p_out.status.success() {
            failures.push(format!(
                "{}: petctl failed: {}",
                case.name,
                String::from_utf8_lossy(&p_out.stderr)
            ));
            continue;
        }
        let mut actual = resolution(&serde_json::from_slice(&p_out.stdout).unwrap());
        // petctl never prints embedded secrets; kubectl --raw does. Compare
        // inline data by presence only.
        if actual.ca == "DATA+OMITTED" && !expected.ca.is_empty() {
            actual.ca = expected.ca.clone();
        }
        if actual.client_certificate == "DATA+OMITTED" && !expected.client_certificate.is_empty() {
            actual.client_certificate = expected.client_certificate.clone();
        }
        // kubectl --flatten leaves an exec command as written; petctl makes
        // a relative one absolute against the kubeconfig's directory.
        if expected.exec_command.starts_with("./") {
            let dir = match &case.pick {
                Pick::Explicit(f) => root.join(f).parent().unwrap().to_path_buf(),
                _ => root.join("cfg"),
            };
            assert_eq!(
                actual.exec_command,
                dir.join(&expected.exec_command).to_string_lossy(),
                "{}",
                case.name
            );
            actual.exec_command = expected.exec_command.clone();
        }
        if actual != expected {
            failures.push(format!(
                "{}:\n  kubectl: {expected:?}\n  petctl:  {actual:?}",
                case.name
            ));
        }
    }
    assert!(CASES.len() >= 15, "the oracle needs at least 15 fixtures");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn petctl_with(root: &Path, kubeconfig: &str, args: &[&str]) -> crate::support::Run {
    for (name, body) in REFERENCED {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, body).unwrap();
    }
    let path = root.join("cfg/config.yaml");
    std::fs::write(&path, kubeconfig).unwrap();
    let mut full = vec![
        "--kubeconfig",
        path.to_str().unwrap(),
        "config",
        "view",
        "--minify",
        "-o",
        "json",
    ];
    full.extend_from_slice(args);
    crate::support::petctl_in(root, &full, None)
}

/// Overrides that `kubectl config view` ignores but every other kubectl
/// command applies (client-go's ClientConfig).
#[test]
fn cluster_and_user_overrides_replace_the_contexts_own() {
    let dir = scratch();
    let run = petctl_with(
        dir.path(),
        BASIC,
        &["--cluster", "prod-cluster", "--user", "bob"],
    );
    run.expect_success();
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let r = resolution(&v);
    assert_eq!(
        (r.context.as_str(), r.cluster.as_str(), r.user.as_str()),
        ("dev", "prod-cluster", "bob")
    );
    assert_eq!(
        (r.server.as_str(), r.insecure),
        ("https://prod.example", true)
    );
    assert_eq!(r.namespace, "team-dev");
    assert_eq!(r.client_certificate, "bob-cert\n");
}

#[test]
fn overrides_apply_to_the_resolved_config() {
    let dir = scratch();
    let run = petctl_with(
        dir.path(),
        BASIC,
        &[
            "-n",
            "other-ns",
            "--server",
            "https://override.example",
            "--token",
            "t0k",
            "--insecure-skip-tls-verify",
        ],
    );
    run.expect_success();
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(text(&v, "/contexts/0/context/namespace"), "other-ns");
    assert_eq!(
        text(&v, "/clusters/0/cluster/server"),
        "https://override.example"
    );
    assert_eq!(
        v["clusters"][0]["cluster"]["insecure-skip-tls-verify"],
        true
    );
    // The insecure flag drops the CA, as client-go does.
    assert_eq!(
        v["clusters"][0]["cluster"].get("certificate-authority"),
        None
    );
    assert_eq!(text(&v, "/users/0/user/token"), "REDACTED");
    assert!(
        !run.stdout.contains("t0k") && !run.stdout.contains("alice-token"),
        "{}",
        run.stdout
    );
}

#[test]
fn secrets_are_redacted() {
    let dir = scratch();
    for args in [&[][..], &["--context", "inline"][..]] {
        let run = petctl_with(dir.path(), INLINE_DATA, args);
        run.expect_success();
        for secret in ["aW5saW5lLWNhCg==", "aW5saW5lLWNlcnQK", "aW5saW5lLWtleQo="] {
            assert!(!run.stdout.contains(secret), "{}", run.stdout);
        }
        assert!(run.stdout.contains("DATA+OMITTED"), "{}", run.stdout);
    }
}

#[test]
fn bad_kubeconfigs_get_clear_errors() {
    let dir = scratch();
    let root = dir.path();
    let missing = root.join("nope.yaml");
    let cases: Vec<(Vec<String>, Option<&str>, String)> = vec![
        (
            vec!["--kubeconfig".into(), missing.display().to_string()],
            None,
            format!("error: cannot read kubeconfig {}: No such file or directory (os error 2)\n", missing.display()),
        ),
        (
            vec!["--context".into(), "nope".into()],
            Some(BASIC),
            "error: cannot resolve the kubeconfig: context \"nope\" not found in the kubeconfig (it has: dev, prod, dev-only)\n".into(),
        ),
        (
            vec!["--user".into(), "mallory".into()],
            Some(BASIC),
            "error: cannot resolve the kubeconfig: user \"mallory\" not found in the kubeconfig (it has: alice, bob)\n".into(),
        ),
        (
            vec![],
            Some("apiVersion: v1\nkind: Config\ncurrent-context: ghost\n"),
            "error: cannot resolve the kubeconfig: context \"ghost\" not found in the kubeconfig\n".into(),
        ),
    ];
    for (args, body, expected) in cases {
        let path = root.join("config.yaml");
        if let Some(body) = body {
            std::fs::write(&path, body).unwrap();
        }
        let mut full: Vec<String> = Vec::new();
        if body.is_some() {
            full.extend(["--kubeconfig".to_string(), path.display().to_string()]);
        }
        full.extend(args);
        full.extend(["config", "view", "--minify"].map(String::from));
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let run = crate::support::petctl_in(root, &refs, None);
        run.expect_code(1);
        assert_eq!(run.stderr, expected, "{run}");
    }

    let path = root.join("broken.yaml");
    std::fs::write(&path, "clusters: [\n").unwrap();
    let run = crate::support::petctl_in(
        root,
        &["--kubeconfig", path.to_str().unwrap(), "config", "view"],
        None,
    );
    run.expect_code(1);
    assert!(
        run.stderr
            .starts_with(&format!("error: invalid kubeconfig {}: ", path.display())),
        "{run}"
    );
}
