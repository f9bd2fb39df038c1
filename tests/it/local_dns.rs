//! The cluster DNS of `petctl local up`, asked with Debian's `dig` (UDP and
//! TCP): the guide's per-pet A records and the headless Service's SRV
//! answer follow the pets' readiness through the EndpointSlices (a pet
//! made unready drops out, one never Ready is absent, and
//! publishNotReadyAddresses keeps them), ClusterIP A and PTR records,
//! NXDOMAIN with the SOA, REFUSED outside the cluster domain; `local up`
//! and `local status` print the address, `petctl describe` marks names.
//! Every wait is a watch (kubectl wait or a kubectl watch of the slices).

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::local_guide::{Cluster, Watch};
use crate::support::{petctl_at, test_name, LocalServer, FAST_SIM, NEVER_READY};

const WAIT: Duration = Duration::from_secs(60);

/// The guide's headless Service (a named port) and set, with a readiness
/// probe the `petctl.local/readiness` annotation can fail, and a ClusterIP
/// Service over the same pets.
pub const GUIDE: &str = "apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  clusterIP: None
  selector:
    app: nginx
  ports:
  - port: 80
    name: web
---
apiVersion: v1
kind: Service
metadata:
  name: front
spec:
  selector:
    app: nginx
  ports:
  - port: 8080
    targetPort: web
    name: http
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
          name: web
        readinessProbe:
          httpGet:
            path: /index.html
            port: 80
          periodSeconds: 1
          successThreshold: 1
          failureThreshold: 1
";

/// Whether `dig` can be run; without it the test fails with a message,
/// unless the user opted out with `PETCTL_TEST_SKIP_DNS=1`.
pub fn dig_or_skip(test: &str) -> bool {
    let found = Command::new("dig").arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var("PETCTL_TEST_SKIP_DNS").as_deref() == Ok("1"),
            "{test}: dig is not installed (Debian: apt-get install dnsutils); set PETCTL_TEST_SKIP_DNS=1 to skip the DNS tests"
        );
        eprintln!("skipping {test}: dig is missing and PETCTL_TEST_SKIP_DNS=1");
    }
    found
}

/// The server's DNS address from `/petctl/status`.
pub fn dns_address(server: &LocalServer) -> (String, String) {
    let status = server.get("/petctl/status").json();
    let address = status["dns"]
        .as_str()
        .expect("status names the DNS")
        .to_string();
    let (host, port) = address.rsplit_once(':').expect("host:port");
    (host.to_string(), port.to_string())
}

/// `dig @HOST -p PORT ARGS`: its whole output.
#[track_caller]
pub fn dig(server: &LocalServer, args: &[&str]) -> String {
    let (host, port) = dns_address(server);
    let out = Command::new("dig")
        .arg(format!("@{host}"))
        .args(["-p", &port, "+time=2", "+tries=1"])
        .args(args)
        .output()
        .expect("run dig");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "dig {args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Records with single spaces between their fields.
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `dig +short`: the answers' data, sorted.
#[track_caller]
pub fn short(server: &LocalServer, args: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = dig(server, &[&["+short"], args].concat())
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn status_of(output: &str) -> &str {
    output
        .split("status: ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or("")
}

/// The slice event's endpoints that are ready, by hostname.
fn ready_hosts(event: &Value) -> Vec<String> {
    let mut hosts: Vec<String> = event["object"]["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["conditions"]["ready"] == true)
        .filter_map(|e| e["hostname"].as_str().map(str::to_string))
        .collect();
    hosts.sort();
    hosts
}

fn all_hosts(event: &Value) -> Vec<String> {
    let mut hosts: Vec<String> = event["object"]["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["hostname"].as_str().map(str::to_string))
        .collect();
    hosts.sort();
    hosts
}

/// The resourceVersion of a watch event's object.
pub fn revision(event: &Value) -> u64 {
    event["object"]["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|rv| rv.parse().ok())
        .unwrap_or(0)
}

/// The newest revision a watch has shown: later waits look past it.
pub fn seen(watch: &Watch) -> u64 {
    watch.events().iter().map(revision).max().unwrap_or(0)
}

fn pod_ip(k: &Cluster, pod: &str) -> String {
    k.json(&["pod", pod])["status"]["podIP"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[test]
fn pets_resolve_while_ready_and_drop_out_when_unready() {
    if !dig_or_skip(&test_name()) {
        return;
    }
    let Some(k) = Cluster::start(FAST_SIM) else {
        return;
    };
    let slices = k.watch(&["endpointslices", "-l", "kubernetes.io/service-name=nginx"]);
    k.ok_in(&["create", "-f", "-"], GUIDE);
    k.wait_ready(&["web-0", "web-1"]);
    slices.wait_for("both pets ready in the slice", WAIT, |e| {
        ready_hosts(e) == ["web-0", "web-1"]
    });
    let (ip0, ip1) = (pod_ip(&k, "web-0"), pod_ip(&k, "web-1"));
    let server = &k.server;

    // The guide's names, over UDP and TCP.
    assert_eq!(
        short(server, &["web-0.nginx.default.svc.cluster.local"]),
        [ip0.as_str()]
    );
    assert_eq!(
        short(server, &["+tcp", "web-1.nginx.default.svc.cluster.local"]),
        [ip1.as_str()]
    );
    let mut both = vec![ip0.clone(), ip1.clone()];
    both.sort();
    assert_eq!(short(server, &["nginx.default.svc.cluster.local"]), both);
    // `nslookup -type=srv nginx.default` after the search path: one
    // record per ready pet, weight shared, the pet's name as target.
    assert_eq!(
        short(server, &["SRV", "nginx.default.svc.cluster.local"]),
        [
            "0 50 80 web-0.nginx.default.svc.cluster.local.",
            "0 50 80 web-1.nginx.default.svc.cluster.local."
        ]
    );
    assert_eq!(
        short(
            server,
            &["SRV", "_web._tcp.nginx.default.svc.cluster.local"]
        )
        .len(),
        2
    );
    let full = dig(server, &["SRV", "nginx.default.svc.cluster.local"]);
    assert!(full.contains("flags: qr aa"), "{full}");
    assert!(
        full.contains(&format!(
            "web-0.nginx.default.svc.cluster.local. 5 IN A {ip0}"
        )),
        "{full}"
    );
    // PTR of a pet's address names it.
    assert_eq!(
        short(server, &["-x", &ip0]),
        ["web-0.nginx.default.svc.cluster.local."]
    );

    // The ClusterIP Service: its address, its reverse name, SRV to itself.
    let cluster_ip = k.json(&["service", "front"])["spec"]["clusterIP"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(
        short(server, &["front.default.svc.cluster.local"]),
        [cluster_ip.as_str()]
    );
    assert_eq!(
        short(server, &["-x", &cluster_ip]),
        ["front.default.svc.cluster.local."]
    );
    assert_eq!(
        short(
            server,
            &["SRV", "_http._tcp.front.default.svc.cluster.local"]
        ),
        ["0 100 8080 front.default.svc.cluster.local."]
    );

    // Negatives: an unknown pet is NXDOMAIN with the SOA, a known name of
    // another type is NODATA, outside the domain is REFUSED.
    let missing = dig(server, &["web-9.nginx.default.svc.cluster.local"]);
    assert_eq!(status_of(&missing), "NXDOMAIN", "{missing}");
    assert!(
        missing.contains("cluster.local. 5 IN SOA ns.dns.cluster.local."),
        "{missing}"
    );
    let nodata = dig(server, &["TXT", "front.default.svc.cluster.local"]);
    assert_eq!(status_of(&nodata), "NOERROR", "{nodata}");
    assert!(nodata.contains("ANSWER: 0"), "{nodata}");
    let outside = dig(server, &["example.com"]);
    assert_eq!(status_of(&outside), "REFUSED", "{outside}");

    // web-1 made unready drops out of A and SRV answers.
    let before = seen(&slices);
    k.ok(&["annotate", "pod", "web-1", "petctl.local/readiness=fail"]);
    k.ok(&[
        "wait",
        "--for=condition=Ready=false",
        "pod/web-1",
        "--timeout=60s",
    ]);
    slices.wait_for("web-1 unready in the slice", WAIT, |e| {
        revision(e) > before && ready_hosts(e) == ["web-0"] && all_hosts(e) == ["web-0", "web-1"]
    });
    assert_eq!(
        short(server, &["nginx.default.svc.cluster.local"]),
        [ip0.as_str()]
    );
    assert_eq!(
        short(server, &["SRV", "nginx.default.svc.cluster.local"]),
        ["0 100 80 web-0.nginx.default.svc.cluster.local."]
    );
    let gone = dig(server, &["web-1.nginx.default.svc.cluster.local"]);
    assert_eq!(status_of(&gone), "NXDOMAIN", "{gone}");

    // publishNotReadyAddresses keeps it.
    let before = seen(&slices);
    k.ok(&[
        "patch",
        "service",
        "nginx",
        "-p",
        r#"{"spec":{"publishNotReadyAddresses":true}}"#,
    ]);
    slices.wait_for("web-1 published though unready", WAIT, |e| {
        revision(e) > before
            && ready_hosts(e) == ["web-0", "web-1"]
            && e["object"]["endpoints"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["hostname"] == "web-1" && p["conditions"]["serving"] == false)
    });
    assert_eq!(
        short(server, &["web-1.nginx.default.svc.cluster.local"]),
        [ip1]
    );
    slices.stop();
}

#[test]
fn a_pet_is_absent_before_it_is_ready() {
    if !dig_or_skip(&test_name()) {
        return;
    }
    let Some(k) = Cluster::start(NEVER_READY) else {
        return;
    };
    let slices = k.watch(&["endpointslices", "-l", "kubernetes.io/service-name=nginx"]);
    k.ok_in(
        &["create", "-f", "-"],
        &GUIDE.replace("replicas: 2", "replicas: 1"),
    );
    slices.wait_for("web-0 in the slice, not ready", WAIT, |e| {
        all_hosts(e) == ["web-0"] && ready_hosts(e).is_empty()
    });
    let server = &k.server;
    for name in [
        "web-0.nginx.default.svc.cluster.local",
        "nginx.default.svc.cluster.local",
    ] {
        let answer = dig(server, &[name]);
        assert_eq!(status_of(&answer), "NXDOMAIN", "{answer}");
    }
    let srv = dig(server, &["SRV", "nginx.default.svc.cluster.local"]);
    assert_eq!(status_of(&srv), "NXDOMAIN", "{srv}");
    // The ClusterIP Service answers regardless of its endpoints.
    assert_eq!(short(server, &["front.default.svc.cluster.local"]).len(), 1);
    slices.stop();
}

#[test]
fn local_status_and_describe_show_the_dns() {
    if !dig_or_skip(&test_name()) {
        return;
    }
    let Some(k) = Cluster::start(FAST_SIM) else {
        return;
    };
    let (host, port) = dns_address(&k.server);
    assert_eq!(host, "127.0.0.1");
    let status = petctl_at(
        &k.server,
        &[
            "local",
            "status",
            "--state-dir",
            &k.server.state_dir().to_string_lossy(),
        ],
    );
    status.expect_success();
    assert!(
        status.stdout.contains(&format!(
            "DNS:      127.0.0.1:{port} (cluster domain cluster.local)"
        )),
        "{status}"
    );
    let slices = k.watch(&["endpointslices", "-l", "kubernetes.io/service-name=nginx"]);
    k.ok_in(
        &["create", "-f", "-"],
        &GUIDE.replace("replicas: 2", "replicas: 1"),
    );
    k.wait_ready(&["web-0"]);
    slices.wait_for("web-0 ready in the slice", WAIT, |e| {
        ready_hosts(e) == ["web-0"]
    });
    let describe = petctl_at(&k.server, &["describe", "statefulset", "web"]);
    describe.expect_success();
    assert!(
        describe.stdout.contains("DNS Domain:")
            && describe
                .stdout
                .contains("nginx.default.svc.cluster.local (resolves)"),
        "{describe}"
    );
    assert!(
        describe
            .stdout
            .contains("web-0.nginx.default.svc.cluster.local (resolves)"),
        "{describe}"
    );
    // A pet made unready is marked as not resolving.
    let before = seen(&slices);
    k.ok(&["annotate", "pod", "web-0", "petctl.local/readiness=fail"]);
    slices.wait_for("web-0 unready in the slice", WAIT, |e| {
        revision(e) > before && all_hosts(e) == ["web-0"] && ready_hosts(e).is_empty()
    });
    let describe = petctl_at(&k.server, &["describe", "statefulset", "web"]);
    assert!(
        describe
            .stdout
            .contains("web-0.nginx.default.svc.cluster.local (does not resolve)"),
        "{describe}"
    );
    slices.stop();
}

#[test]
fn local_up_prints_the_dns_address_and_honours_the_flags() {
    if !dig_or_skip(&test_name()) {
        return;
    }
    let server = LocalServer::start_with(&["--cluster-domain", "pets.test"]);
    let (_, port) = dns_address(&server);
    let log = std::fs::read_to_string(server.state_dir().join("server.log")).unwrap_or_default();
    assert!(
        log.contains(&format!(
            "dns: listening on 127.0.0.1:{port} (udp, tcp) for pets.test"
        )),
        "{log}"
    );
    let version = short(&server, &["TXT", "dns-version.pets.test"]);
    assert_eq!(version, ["\"1.1.0\""]);
    let outside = dig(&server, &["dns-version.cluster.local"]);
    assert_eq!(status_of(&outside), "REFUSED", "{outside}");
    let detached_dir = crate::support::scratch();
    let state = detached_dir.path().join("state");
    let state_arg = state.to_string_lossy().to_string();
    let up = crate::support::petctl_in(
        detached_dir.path(),
        &[
            "local",
            "up",
            "--detach",
            "--port",
            "0",
            "--state-dir",
            &state_arg,
        ],
        None,
    );
    up.expect_success();
    assert!(up.stdout.contains("cluster DNS at 127.0.0.1:"), "{up}");
    let down = crate::support::petctl_in(
        detached_dir.path(),
        &["local", "down", "--state-dir", &state_arg],
        None,
    );
    down.expect_success();
}
