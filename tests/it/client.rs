//! `petctl create`, `get` and `describe` against the local control plane,
//! for a PetSet and a StatefulSet, with the exact output asserted (ages,
//! PV names and times of day normalized).

use crate::support::{
    create_petset, normalize, petctl_at, LocalServer, CREATE_EXAMPLE, READY_AT_ONCE,
};

#[test]
fn petset_create_wait_get_describe() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    let run = petctl_at(&server, &CREATE_EXAMPLE);
    run.expect_success();
    assert_eq!(
        run.stdout,
        "service/nginx created\npetset.apps/web created\n"
    );
    let progress = normalize(&run.stderr);
    // Ordered start: web-1 only after web-0 is Ready.
    let ready0 = progress.find("web-0: Ready").expect("web-0 Ready reported");
    let pending1 = progress
        .find("web-1: Pending")
        .expect("web-1 Pending reported");
    assert!(ready0 < pending1, "{progress}");
    assert!(
        progress.ends_with("petset \"web\": all 2 pets are Running and Ready\n"),
        "{progress}"
    );

    let run = petctl_at(&server, &["get", "petsets"]);
    run.expect_success();
    assert_eq!(
        normalize(&run.stdout),
        "NAME   DESIRED   CURRENT   AGE\nweb    2         2         <age>\n"
    );

    let run = petctl_at(&server, &["get", "pets", "web"]);
    run.expect_success();
    assert_eq!(
        normalize(&run.stdout),
        "ORDINAL   POD     STATUS    READY   RESTARTS   IMAGE                                     NODE           AGE\n\
         0         web-0   Running   1/1     0          gcr.io/google_containers/nginx-slim:0.8   local-node-0   <age>\n\
         1         web-1   Running   1/1     0          gcr.io/google_containers/nginx-slim:0.8   local-node-0   <age>\n"
    );

    let run = petctl_at(&server, &["describe", "petset", "web"]);
    run.expect_success();
    let text = normalize(&run.stdout);
    let expected_head = "Name:               web\n\
        Namespace:          default\n\
        Kind:               PetSet (apps/v1alpha1)\n";
    assert!(text.starts_with(expected_head), "{text}");
    for line in [
        "Selector:           app=nginx\n",
        "Replicas:           2 desired | 2 current | 2 ready\n",
        "Update Strategy:    OnDelete (PetSets: a pet takes a new template only when it is deleted)\n",
        "Paused:             no\n",
        "Governing Service:  nginx (headless)\n",
        // The local DNS answers for the pets once they are Ready.
        "DNS Domain:         nginx.default.svc.cluster.local (resolves)\n",
        "  ORDINAL   POD     HOSTNAME   DNS NAME                                           CLAIMS      PV                                         STATUS   IMAGE\n",
        "  0         web-0   web-0      web-0.nginx.default.svc.cluster.local (resolves)   www-web-0   pvc-<uid>   Ready    gcr.io/google_containers/nginx-slim:0.8\n",
        "  1         web-1   web-1      web-1.nginx.default.svc.cluster.local (resolves)   www-web-1   pvc-<uid>   Ready    gcr.io/google_containers/nginx-slim:0.8\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }

    let run = petctl_at(
        &server,
        &[
            "describe",
            "petset",
            "web",
            "--cluster-domain",
            "kube.local",
        ],
    );
    assert!(
        run.stdout
            .contains("DNS Domain:         nginx.default.svc.kube.local\n"),
        "{run}"
    );
}

#[test]
fn statefulset_create_get_describe_and_output_formats() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    let manifest = "tests/corpus/statefulset/website-web.yaml";
    let run = petctl_at(&server, &["create", "-f", manifest, "--wait"]);
    run.expect_success();
    assert_eq!(
        run.stdout,
        "service/nginx created\nstatefulset.apps/web created\n"
    );

    let run = petctl_at(&server, &["get", "statefulsets"]);
    assert_eq!(
        normalize(&run.stdout),
        "NAME   READY   AGE\nweb    2/2     <age>\n"
    );
    let run = petctl_at(&server, &["get", "sts", "-o", "wide"]);
    assert_eq!(
        normalize(&run.stdout),
        "NAME   READY   AGE   CONTAINERS   IMAGES\nweb    2/2     <age> nginx        registry.k8s.io/nginx-slim:0.7\n"
    );
    let run = petctl_at(&server, &["get", "sts", "web", "-o", "name"]);
    assert_eq!(run.stdout, "statefulset.apps/web\n");
    let service_name = "jsonpath={.spec.serviceName}{\"\\n\"}";
    let run = petctl_at(&server, &["get", "sts", "web", "-o", service_name]);
    assert_eq!(run.stdout, "nginx\n");
    let pods = [
        "get",
        "pods",
        "-l",
        "app=nginx",
        "--no-headers",
        "-o",
        "name",
    ];
    assert_eq!(petctl_at(&server, &pods).stdout, "pod/web-0\npod/web-1\n");
    let run = petctl_at(&server, &["get", "pvc"]);
    assert_eq!(
        normalize(&run.stdout),
        "NAME        STATUS   VOLUME                                     CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE\n\
         www-web-0   Bound    pvc-<uid>   1Gi        RWO            standard       <unset>                 <age>\n\
         www-web-1   Bound    pvc-<uid>   1Gi        RWO            standard       <unset>                 <age>\n"
    );

    let run = petctl_at(&server, &["describe", "sts/web"]);
    run.expect_success();
    let text = normalize(&run.stdout);
    for line in [
        "Kind:               StatefulSet (apps/v1)\n",
        "Update Strategy:    RollingUpdate, partition 0\n",
        "Pod Management:     OrderedReady\n",
        "  0         web-0   web-0      web-0.nginx.default.svc.cluster.local (resolves)   www-web-0   pvc-<uid>   Ready    registry.k8s.io/nginx-slim:0.7\n",
        "Revisions:\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}

#[test]
fn create_reports_each_failure_and_goes_on() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    petctl_at(&server, &["create", "-f", "examples/petset.yaml"]).expect_success();
    let run = petctl_at(&server, &["create", "-f", "examples/petset.yaml"]);
    run.expect_code(1);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "Error from server (AlreadyExists): error when creating \"examples/petset.yaml\": services \"nginx\" already exists\n\
         Error from server (AlreadyExists): error when creating \"examples/petset.yaml\": petsets.apps \"web\" already exists\n\
         error: 2 of 2 objects could not be created\n"
    );
}

#[test]
fn create_warns_about_a_missing_governing_service_and_dry_runs() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    let zk = "tests/corpus/petset/k8s-e2e-zookeeper.yaml";
    let run = petctl_at(&server, &["create", "-f", zk, "--dry-run=server"]);
    run.expect_success();
    assert_eq!(run.stdout, "petset.apps/zoo created (server dry run)\n");
    assert_eq!(
        run.stderr,
        "warning: petset \"zoo\" names the governing service \"zk\", which does not exist: its pets get no DNS names until you create it (a headless Service, clusterIP: None)\n"
    );
    let run = petctl_at(&server, &["get", "petsets"]);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "No resources found in default namespace.\n");
}

#[test]
fn get_pets_shows_missing_ordinals_and_a_paused_set_times_out_with_the_reason() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    let redis = "tests/corpus/petset/contrib-redis.yaml";
    let run = petctl_at(
        &server,
        &["create", "-f", redis, "--wait", "--timeout", "2s"],
    );
    run.expect_code(1);
    let err = normalize(&run.stderr);
    assert!(err.contains("petset \"rd\" is paused: its template says pod.alpha.kubernetes.io/initialized: \"false\""), "{err}");
    assert!(
        err.ends_with(
            "error: timed out after <age> waiting for petset \"rd\": 2 of 3 pets not Ready:\n  rd-1: Missing\n  rd-2: Missing\n  the set is paused (pod.alpha.kubernetes.io/initialized: \"false\"): resume it with petctl resume rd\n"
        ),
        "{err}"
    );
    let run = petctl_at(&server, &["get", "pets", "rd"]);
    assert_eq!(
        normalize(&run.stdout),
        "ORDINAL   POD    STATUS      READY   RESTARTS   IMAGE                      NODE           AGE\n\
         0         rd-0   Running     1/1     0          bprashanth/k8s-redis:0.1   local-node-0   <age>\n\
         1         rd-1   <missing>   -       -          -                          -              -\n\
         2         rd-2   <missing>   -       -          -                          -              -\n"
    );
}

#[test]
fn get_errors_name_the_object() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    let run = petctl_at(&server, &["get", "pets", "nope"]);
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: petset or statefulset \"nope\" not found in namespace \"default\"\n"
    );
    let run = petctl_at(&server, &["get", "petset", "nope"]);
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: petset \"nope\" not found in namespace \"default\"\n"
    );
    let run = petctl_at(&server, &["get", "petsetz"]);
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: the server doesn't have a resource type \"petsetz\"; did you mean \"petsets\"?\n"
    );
    let run = petctl_at(&server, &["get", "pods", "-o", "table"]);
    run.expect_code(2);
}

#[test]
fn version_shows_client_and_server() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    let run = petctl_at(&server, &["version"]);
    run.expect_success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("Client Version: v{}", env!("CARGO_PKG_VERSION"))
    );
    assert!(lines[1].starts_with("Server Version: v1."), "{run}");
    let run = crate::support::petctl(&["version", "--client", "-o", "json"]);
    run.expect_success();
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v["clientVersion"]["gitVersion"],
        format!("v{}", env!("CARGO_PKG_VERSION"))
    );
    assert!(v.get("serverVersion").is_none());
}

/// Starts `petctl ARGS` against `server` and streams its stdout lines.
fn stream(
    server: &LocalServer,
    args: &[&str],
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let kubeconfig = server.kubeconfig();
    let home = server.dir.path().join("watch-home");
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = crate::support::petctl_command(&home);
    cmd.args(["--kubeconfig", kubeconfig.to_str().unwrap()])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let lines = crate::support::lines_of(child.stdout.take().unwrap());
    (child, lines)
}

/// Lines from `lines` until `done` holds for them, or 30 s have passed.
fn read_until(
    lines: &std::sync::mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    done: impl Fn(&[String]) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done(seen) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
}

#[test]
fn get_watch_streams_changes() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    let (mut child, lines) = stream(
        &server,
        &["get", "pods", "--watch", "--no-headers", "-o", "name"],
    );
    petctl_at(&server, &["create", "-f", "examples/petset.yaml"]).expect_success();
    let mut seen = Vec::new();
    read_until(&lines, &mut seen, |seen| {
        seen.iter().any(|l| l == "pod/web-1")
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.iter().any(|l| l == "pod/web-0"), "{seen:?}");
    assert!(
        seen.iter().any(|l| l == "pod/web-1"),
        "the watch must stream the second pet too: {seen:?}"
    );
}

#[test]
fn get_pets_watch_prints_a_row_per_change_and_missing_pets() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    petctl_at(&server, &["create", "-f", "examples/petset.yaml", "--wait"]).expect_success();
    let (mut child, lines) = stream(&server, &["get", "pets", "web", "--watch"]);
    let mut seen = Vec::new();
    read_until(&lines, &mut seen, |seen| seen.len() >= 3);
    petctl_at(&server, &["scale", "web", "--replicas", "1", "--wait"]).expect_success();
    let gone = |l: &String| l.starts_with("1 ") && l.contains("web-1") && l.contains("<missing>");
    read_until(&lines, &mut seen, |seen| seen.iter().any(gone));
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen[0].starts_with("ORDINAL   POD     STATUS"), "{seen:?}");
    assert!(seen[1].starts_with("0         web-0   Running"), "{seen:?}");
    assert!(seen[2].starts_with("1         web-1   Running"), "{seen:?}");
    assert!(
        seen.iter().any(gone),
        "web-1 shows as missing once gone: {seen:?}"
    );
    assert!(
        !seen[3..].iter().any(|l| l.starts_with("ORDINAL")),
        "one header: {seen:?}"
    );
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::io::Read;
    let server = LocalServer::start_with(READY_AT_ONCE);
    let kubeconfig = server.kubeconfig();
    let mut cmd = crate::support::petctl_command(server.dir.path());
    cmd.args([
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "completion",
        "bash",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // Read one byte, then hang up, like `petctl ... | head -c1`.
    let mut stdout = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    stdout.read_exact(&mut one).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "exit {status:?}, stderr: {stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn a_discovery_cache_miss_asks_the_server_again() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    petctl_at(&server, &["create", "-f", "examples/petset.yaml"]).expect_success();
    // A stale cache entry for this address that knows no set kinds.
    let host = server.url.trim_start_matches("https://").replace(':', "_");
    let cache = server
        .dir
        .path()
        .join("petctl-home/.cache/petctl/discovery")
        .join(host);
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join("served.json"),
        r#"{"resources":[["apps/v1",["deployments"]]]}"#,
    )
    .unwrap();
    let run = petctl_at(
        &server,
        &["get", "pets", "web", "-o", "jsonpath={.items[*].name}"],
    );
    run.expect_success();
    assert_eq!(run.stdout, "web-0 web-1");
    let refreshed = std::fs::read_to_string(cache.join("served.json")).unwrap();
    assert!(
        refreshed.contains("petsets"),
        "the cache is rewritten: {refreshed}"
    );
}

/// Runs `petctl ARGS` on a pseudo-terminal, with or without NO_COLOR;
/// None when `script` is missing.
fn on_a_terminal(server: &LocalServer, args: &str, no_color: bool) -> Option<String> {
    let (mut cmd, shown) = crate::support::on_a_terminal(server, args, "xterm")?;
    if !no_color {
        cmd.env_remove("NO_COLOR");
    }
    let run = crate::support::run_command(cmd, shown, None);
    Some(run.stdout + &run.stderr)
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    let escape = "\u{1b}[";
    let Some(coloured) = on_a_terminal(
        &server,
        "create -f examples/petset.yaml --wait --timeout 60s",
        false,
    ) else {
        return;
    };
    assert!(coloured.contains("\u{1b}[32mReady"), "{coloured:?}");
    let Some(coloured) = on_a_terminal(&server, "get petset nope", false) else {
        return;
    };
    assert!(
        coloured.contains(
            "\u{1b}[31m\u{1b}[1merror\u{1b}[0m: petset \"nope\" not found in namespace \"default\""
        ),
        "{coloured:?}"
    );
    let Some(plain) = on_a_terminal(&server, "get petset nope", true) else {
        return;
    };
    assert!(!plain.contains(escape), "{plain:?}");

    // Piped, without NO_COLOR: plain too.
    let home = server.dir.path().join("petctl-home");
    let mut cmd = crate::support::petctl_command(&home);
    cmd.env_remove("NO_COLOR").args([
        "--kubeconfig",
        server.kubeconfig().to_str().unwrap(),
        "get",
        "petset",
        "nope",
    ]);
    let run = crate::support::run_command(cmd, "petctl get petset nope".into(), None);
    run.expect_code(1);
    assert!(!run.stderr.contains(escape), "{run}");
}

/// Events belong to an object by uid: a set deleted and created again
/// under the same name does not inherit the old one's, as in kubectl.
#[test]
fn describe_shows_no_events_of_a_deleted_set_of_the_same_name() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    create_petset(&server);
    let run = petctl_at(&server, &["describe", "petset", "web"]);
    assert!(
        run.stdout.contains("Events:\n"),
        "the first set has events: {run}"
    );
    petctl_at(&server, &["delete", "-f", "examples/petset.yaml", "--wait"]).expect_success();
    let manifest =
        std::fs::read_to_string(crate::support::repo_root().join("examples/petset.yaml"))
            .unwrap()
            .replace("replicas: 2", "replicas: 0");
    let path = server.dir.path().join("web-0-replicas.yaml");
    std::fs::write(&path, manifest).unwrap();
    petctl_at(&server, &["create", "-f", path.to_str().unwrap()]).expect_success();
    let run = petctl_at(&server, &["describe", "petset", "web"]);
    run.expect_success();
    assert!(
        run.stdout.ends_with("Events:             <none>\n"),
        "{run}"
    );
    if let Some(kubectl) = crate::support::kubectl_or_skip(
        "describe_shows_no_events_of_a_deleted_set_of_the_same_name",
    ) {
        let theirs =
            crate::support::kubectl_with(&kubectl, &server, &["describe", "petset", "web"], None);
        let last = theirs.stdout.lines().last().unwrap_or("");
        assert!(
            last.starts_with("Events:") && last.ends_with("<none>"),
            "kubectl agrees: {theirs}"
        );
    }
}
