//! Conformance: the real kubectl drives `petctl local up` unmodified.
//! Skipped with a message when kubectl is missing (fails under CI=true).

use std::path::{Path, PathBuf};

use crate::support::{
    await_watch, kubectl_or_skip, kubectl_with, lines_of, stderr_lines, test_name, LocalServer,
    Run, SetManifest,
};

/// The StatefulSet "web" (2 pets of nginx:1.25, serviceName "nginx"),
/// labelled `app: web` itself too.
fn statefulset() -> String {
    SetManifest::statefulset("web")
        .label("app", "web")
        .service_name("nginx")
        .replicas(2)
        .container("nginx", "nginx:1.25")
        .yaml()
}

struct Kubectl {
    binary: PathBuf,
    server: LocalServer,
}

impl Kubectl {
    fn start() -> Option<Self> {
        let binary = kubectl_or_skip(&test_name())?;
        Some(Kubectl {
            binary,
            server: LocalServer::start(),
        })
    }

    /// `kubectl ARGS` against the server, stdout piped, to be spawned.
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(&self.binary);
        command
            .args(args)
            .env("KUBECONFIG", self.server.kubeconfig())
            .env("HOME", self.server.dir.path())
            .stdout(std::process::Stdio::piped());
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        kubectl_with(&self.binary, &self.server, args, None)
    }

    fn run_in(&self, args: &[&str], stdin: &str) -> Run {
        kubectl_with(&self.binary, &self.server, args, Some(stdin.as_bytes()))
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        run.expect_success();
        run.stdout
    }

    fn create_statefulset(&self) {
        let run = self.run_in(&["create", "-f", "-"], &statefulset());
        run.expect_success();
        assert_eq!(run.stdout, "statefulset.apps/web created\n");
    }
}

#[test]
fn version_api_versions_and_api_resources() {
    let Some(k) = Kubectl::start() else {
        return;
    };
    let version = k.ok(&["version"]);
    assert!(
        version.contains("Server Version: v1.33.0-petctl"),
        "{version}"
    );
    assert_eq!(
        k.ok(&["api-versions"]),
        "apps/v1\napps/v1alpha1\ncoordination.k8s.io/v1\ndiscovery.k8s.io/v1\npolicy/v1\nstorage.k8s.io/v1\nv1\n"
    );
    let resources = k.ok(&["api-resources", "--no-headers", "-o", "name"]);
    for name in [
        "statefulsets.apps",
        "petsets.apps",
        "controllerrevisions.apps",
        "pods",
        "namespaces",
        "persistentvolumeclaims",
    ] {
        assert!(
            resources.lines().any(|l| l == name),
            "{name} in\n{resources}"
        );
    }
    let wide = k.ok(&["api-resources", "--api-group=apps"]);
    assert!(
        wide.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["statefulsets", "sts", "apps/v1", "true", "StatefulSet"]),
        "{wide}"
    );
}

#[test]
fn create_the_petset_example_and_get_it_every_way() {
    let Some(k) = Kubectl::start() else {
        return;
    };
    let created = k.ok(&["create", "-f", "examples/petset.yaml"]);
    assert_eq!(created, "service/nginx created\npetset.apps/web created\n");
    assert_eq!(k.ok(&["get", "petsets", "-o", "name"]), "petset.apps/web\n");
    let json: serde_json::Value =
        serde_json::from_str(&k.ok(&["get", "petset", "web", "-o", "json"])).unwrap();
    assert_eq!(json["spec"]["replicas"], 2);
    assert_eq!(json["spec"]["selector"]["matchLabels"]["app"], "nginx");
    let yaml = k.ok(&["get", "svc", "nginx", "-o", "yaml"]);
    assert!(yaml.contains("clusterIP: None"), "{yaml}");
    let wide = k.ok(&["get", "svc", "-o", "wide"]);
    assert!(wide.lines().next().unwrap().starts_with("NAME"), "{wide}");
    assert!(wide.contains("nginx"), "{wide}");
    assert_eq!(
        k.ok(&["get", "svc", "-l", "app=nginx", "-o", "name"]),
        "service/nginx\n"
    );
    assert_eq!(k.ok(&["get", "svc", "-l", "app=other", "-o", "name"]), "");
    assert_eq!(
        k.ok(&[
            "get",
            "svc",
            "--field-selector",
            "metadata.name=nginx",
            "-o",
            "name"
        ]),
        "service/nginx\n"
    );
}

#[test]
fn scale_label_annotate_patch_and_replace() {
    let Some(k) = Kubectl::start() else {
        return;
    };
    k.create_statefulset();
    assert_eq!(
        k.ok(&["scale", "statefulset", "web", "--replicas=3"]),
        "statefulset.apps/web scaled\n"
    );
    assert_eq!(
        k.ok(&["label", "sts", "web", "tier=db"]),
        "statefulset.apps/web labeled\n"
    );
    assert_eq!(
        k.ok(&["annotate", "sts", "web", "note=hello"]),
        "statefulset.apps/web annotated\n"
    );
    assert_eq!(
        k.ok(&["patch", "sts", "web", "-p", r#"{"spec":{"replicas":4}}"#]),
        "statefulset.apps/web patched\n"
    );
    assert_eq!(
        k.ok(&[
            "patch",
            "sts",
            "web",
            "--type=merge",
            "-p",
            r#"{"spec":{"minReadySeconds":5}}"#
        ]),
        "statefulset.apps/web patched\n"
    );
    assert_eq!(
        k.ok(&["patch", "sts", "web", "--type=json", "-p", r#"[{"op":"test","path":"/spec/replicas","value":4},{"op":"replace","path":"/spec/replicas","value":5}]"#]),
        "statefulset.apps/web patched\n"
    );
    let failed = k.run(&[
        "patch",
        "sts",
        "web",
        "--type=json",
        "-p",
        r#"[{"op":"test","path":"/spec/replicas","value":4}]"#,
    ]);
    assert_ne!(failed.code, 0, "{failed}");
    let got = k.ok(&["get", "sts", "web", "-o", "jsonpath={.spec.replicas} {.spec.minReadySeconds} {.metadata.labels.tier} {.metadata.annotations.note} {.metadata.generation}"]);
    assert_eq!(got, "5 5 db hello 5");
    // A strategic merge of the containers list by name keeps the others' fields.
    k.ok(&[
        "patch",
        "sts",
        "web",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}"#,
    ]);
    assert_eq!(
        k.ok(&[
            "get",
            "sts",
            "web",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}"
        ]),
        "nginx:1.26"
    );
    let forbidden = k.run(&[
        "patch",
        "sts",
        "web",
        "-p",
        r#"{"spec":{"serviceName":"other"}}"#,
    ]);
    assert_eq!(forbidden.code, 1);
    assert!(forbidden.stderr.contains("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"), "{forbidden}");

    // The controller is still rolling the set out and writes its status,
    // so a replace may meet a newer version: read again and retry, as any
    // client would.
    let mut replaced = None;
    for _ in 0..20 {
        let current = k.ok(&["get", "sts", "web", "-o", "yaml"]);
        let run = k.run_in(&["replace", "-f", "-"], &current);
        if run.code == 0 {
            assert_eq!(run.stdout, "statefulset.apps/web replaced\n");
            replaced = Some(current);
            break;
        }
        assert!(run.stderr.contains("the object has been modified"), "{run}");
    }
    let stale = replaced.expect("a replace with the version just read went through");
    // That replace changed nothing, so it kept the resourceVersion, as
    // kube-apiserver's GuaranteedUpdate skips a write of identical bytes.
    // A real change makes the copy stale.
    k.ok(&["label", "sts", "web", "stale=yes"]);
    let conflict = k.run_in(&["replace", "-f", "-"], &stale);
    assert_eq!(conflict.code, 1, "{conflict}");
    assert!(
        conflict.stderr.contains("Operation cannot be fulfilled on statefulsets.apps \"web\": the object has been modified; please apply your changes to the latest version and try again"),
        "{conflict}"
    );
}

#[test]
fn delete_with_cascade_grace_period_and_dry_run() {
    let Some(k) = Kubectl::start() else {
        return;
    };
    k.create_statefulset();
    assert_eq!(
        k.ok(&["delete", "sts", "web", "--dry-run=server"]),
        "statefulset.apps \"web\" deleted (server dry run)\n"
    );
    assert_eq!(
        k.ok(&["get", "sts", "-o", "name"]),
        "statefulset.apps/web\n"
    );
    for cascade in ["orphan", "background", "foreground"] {
        k.run_in(&["apply", "-f", "-"], &statefulset());
        k.ok(&["get", "sts", "web"]);
        let deleted = k.ok(&["delete", "sts", "web", &format!("--cascade={cascade}")]);
        assert_eq!(deleted, "statefulset.apps \"web\" deleted\n", "{cascade}");
        assert_eq!(k.ok(&["get", "sts", "-o", "name"]), "", "{cascade}");
    }
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n";
    k.run_in(&["create", "-f", "-"], pod).expect_success();
    assert_eq!(
        k.ok(&["delete", "pod", "p", "--grace-period=5"]),
        "pod \"p\" deleted\n"
    );
    k.run_in(&["create", "-f", "-"], pod).expect_success();
    let forced = k.run(&["delete", "pod", "p", "--grace-period=0", "--force"]);
    forced.expect_success();
    // The orphaned set's pods stay; only p is gone.
    let left = k.ok(&["get", "pods", "-o", "name"]);
    assert!(!left.lines().any(|l| l == "pod/p"), "{left}");
}

#[test]
fn typed_generators_send_protobuf_and_it_is_decoded() {
    let Some(k) = Kubectl::start() else {
        return;
    };
    assert_eq!(
        k.ok(&["create", "namespace", "db"]),
        "namespace/db created\n"
    );
    fn with_ns<'a>(args: &[&'a str]) -> Vec<&'a str> {
        [args, &["-n", "db"][..]].concat()
    }
    assert_eq!(
        k.ok(&with_ns(&[
            "create",
            "configmap",
            "cfg",
            "--from-literal=mode=primary"
        ])),
        "configmap/cfg created\n"
    );
    assert_eq!(
        k.ok(&with_ns(&[
            "create",
            "secret",
            "generic",
            "creds",
            "--from-literal=password=hunter2"
        ])),
        "secret/creds created\n"
    );
    assert_eq!(
        k.ok(&with_ns(&[
            "create",
            "service",
            "clusterip",
            "db",
            "--clusterip=None",
            "--tcp=5432:5432"
        ])),
        "service/db created\n"
    );
    let get = |args: &[&str]| k.ok(&with_ns(args));
    assert_eq!(
        get(&["get", "cm", "cfg", "-o", "jsonpath={.data.mode}"]),
        "primary"
    );
    assert_eq!(
        get(&[
            "get",
            "secret",
            "creds",
            "-o",
            "jsonpath={.type} {.data.password}"
        ]),
        "Opaque aHVudGVyMg=="
    );
    assert_eq!(
        get(&["get", "svc", "db", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].port} {.spec.ports[0].nodePort} {.spec.selector.app}"]),
        "None 5432  db"
    );
    assert_eq!(
        k.ok(&with_ns(&["create", "serviceaccount", "builder"])),
        "serviceaccount/builder created\n"
    );
    assert_eq!(
        get(&[
            "get",
            "sa",
            "builder",
            "-o",
            "jsonpath={.kind} {.metadata.namespace}"
        ]),
        "ServiceAccount db"
    );
    // A kind the local control plane does not decode says which: a Pod in
    // protobuf (kubectl's generators send pods as JSON), by hand: the
    // `k8s\0` prefix, then runtime.Unknown with typeMeta {v1, Pod}.
    let mut body = b"k8s\0".to_vec();
    body.extend_from_slice(&[
        0x0a, 0x09, 0x0a, 0x02, b'v', b'1', 0x12, 0x03, b'P', b'o', b'd',
    ]);
    body.extend_from_slice(&[0x12, 0x00]);
    k.server
        .request(
            "POST",
            "/api/v1/namespaces/db/pods",
            Some("application/vnd.kubernetes.protobuf"),
            &body,
        )
        .expect_status(
            415,
            "UnsupportedMediaType",
            "the petctl local control plane decodes protobuf bodies only for v1 Namespace, ConfigMap, Secret, Service and ServiceAccount, not v1 Pod; send it as application/json",
        );
}

/// Starts `kubectl` in the background and returns its output once it exits.
/// Starts `kubectl ARGS -v=6` in the background and returns once its watch
/// on a URL containing `fragment` is in place.
fn spawn_watching(
    k: &Kubectl,
    args: &[&str],
    fragment: &str,
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = k
        .command(args)
        .arg("-v=6")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn kubectl");
    let lines = stderr_lines(&mut child);
    await_watch(&lines, fragment);
    (child, lines)
}

/// The exit code, stdout and the rest of stderr once `child` exits.
fn finish(
    child: std::process::Child,
    stderr: std::sync::mpsc::Receiver<String>,
) -> (i32, String, String) {
    let output = child.wait_with_output().expect("wait for kubectl");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr.iter().collect::<Vec<_>>().join("\n"),
    )
}

#[test]
fn get_watch_streams_a_change() {
    let Some(k) = Kubectl::start() else {
        return;
    };
    k.create_statefulset();
    let (mut watcher, _stderr) = spawn_watching(
        &k,
        &[
            "get",
            "sts",
            "web",
            "-w",
            "-o",
            "jsonpath={.spec.replicas}{\"\\n\"}",
            "--request-timeout=30s",
        ],
        "/statefulsets?",
    );
    let replicas = lines_of(watcher.stdout.take().expect("stdout"));
    k.ok(&["scale", "sts", "web", "--replicas=7"]);
    let mut seen = Vec::new();
    while !seen.iter().any(|l| l == "7") {
        match replicas.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    let _ = watcher.kill();
    let _ = watcher.wait();
    // The listed object first, then one line per MODIFIED event: the
    // controller's status writes for the new set may still arrive (each
    // printed as 2, as kubectl prints every event) before the scale's.
    let (last, before) = seen.split_last().expect("the watch printed");
    assert!(
        last == "7" && !before.is_empty() && before.iter().all(|l| l == "2"),
        "{seen:?}"
    );
}

#[test]
fn wait_for_jsonpath() {
    let Some(k) = Kubectl::start() else {
        return;
    };
    k.create_statefulset();
    let (waiter, stderr) = spawn_watching(
        &k,
        &[
            "wait",
            "sts/web",
            "--for=jsonpath={.spec.replicas}=6",
            "--timeout=20s",
        ],
        "/statefulsets?",
    );
    k.ok(&["scale", "sts", "web", "--replicas=6"]);
    let (code, stdout, stderr) = finish(waiter, stderr);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "statefulset.apps/web condition met\n"),
        "{stderr}"
    );
}

#[test]
fn logs_follow_lasts_as_long_as_the_container_runs() {
    use std::io::BufRead;
    let Some(k) = Kubectl::start() else {
        return;
    };
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n";
    k.run_in(&["create", "-f", "-"], pod).expect_success();
    k.ok(&["wait", "--for=condition=Ready", "pod/p", "--timeout=60s"]);
    let mut child = k
        .command(&["logs", "-f", "p"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn kubectl logs -f");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("read the log");
    assert!(
        first.starts_with("[petctl local kubelet] container c started from image busybox"),
        "{first}"
    );
    // A change that does not end the run keeps the stream open.
    k.ok(&["label", "pod", "p", "seen=yes"]);
    assert!(
        child.try_wait().expect("kubectl").is_none(),
        "kubectl logs -f returned early"
    );
    k.ok(&["delete", "pod", "p", "--grace-period=1", "--wait=false"]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("kubectl logs -f ends with the pod");
    assert!(status.expect("kubectl").success());
}

/// Every installed kubectl version creates and reads objects.
#[test]
fn every_installed_kubectl_version_works() {
    let Some(default) = kubectl_or_skip("every_installed_kubectl_version_works") else {
        return;
    };
    let server = LocalServer::start();
    let dir = Path::new("/usr/lib/google-cloud-sdk/bin");
    let mut binaries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("kubectl.1."))
                })
                .collect()
        })
        .unwrap_or_default();
    binaries.sort();
    binaries.push(default);
    for (i, binary) in binaries.iter().enumerate() {
        let name = format!("cm{i}");
        let manifest =
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: b\n");
        let created = kubectl_with(
            binary,
            &server,
            &["create", "-f", "-"],
            Some(manifest.as_bytes()),
        );
        assert_eq!(
            created.stdout,
            format!("configmap/{name} created\n"),
            "{created}"
        );
        let got = kubectl_with(
            binary,
            &server,
            &["get", "configmap", &name, "-o", "jsonpath={.data.a}"],
            None,
        );
        assert_eq!(got.stdout, "b", "{got}");
    }
}

/// The guide's `kubectl scale petset web --replicas=5`, through the
/// petsets/scale subresource (which only the local control plane serves: a
/// 1.4 server had none), and the pets come up in order.
#[test]
fn kubectl_scale_petset_as_in_the_guide() {
    let Some(k) = Kubectl::start() else {
        return;
    };
    k.ok(&["create", "-f", "examples/petset.yaml"]);
    assert_eq!(
        k.ok(&["scale", "petset", "web", "--replicas=3"]),
        "petset.apps/web scaled\n"
    );
    k.ok(&["wait", "--for=create", "pod/web-2", "--timeout=60s"]);
    k.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/web-2",
        "--timeout=60s",
    ]);
    assert_eq!(
        k.ok(&["get", "petset", "web", "-o", "jsonpath={.spec.replicas}"]),
        "3"
    );
    let scale = k.ok(&[
        "get",
        "--raw",
        "/apis/apps/v1alpha1/namespaces/default/petsets/web/scale",
    ]);
    let scale: serde_json::Value = serde_json::from_str(&scale).unwrap();
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(scale["status"]["selector"], "app=nginx");
}
