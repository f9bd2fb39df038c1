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
use crate::support::{petctl_at, test_name, LocalServer, SetManifest, FAST_SIM, NEVER_READY};

const WAIT: Duration = Duration::from_secs(60);

/// The guide's headless Service (with a named port) and a ClusterIP
/// Service over the same pets.
const SERVICES: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: nginx\n  labels:\n    app: nginx\nspec:\n  clusterIP: None\n  selector:\n    app: nginx\n  ports:\n  - port: 80\n    name: web\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: front\nspec:\n  selector:\n    app: nginx\n  ports:\n  - port: 8080\n    targetPort: web\n    name: http\n---\n";

/// The container's named port and a readiness probe the
/// `petctl.local/readiness` annotation can fail.
const PORT_AND_PROBE: &str = "        ports:\n        - containerPort: 80\n          name: web\n        readinessProbe:\n          httpGet:\n            path: /index.html\n            port: 80\n          periodSeconds: 1\n          successThreshold: 1\n          failureThreshold: 1\n";

/// The Services and the guide's set `web` of `replicas` pets.
pub fn guide(replicas: i64) -> String {
    let image = "        image: nginx:1.25\n";
    let set = SetManifest::statefulset("web")
        .service_name("nginx")
        .app("nginx")
        .replicas(replicas)
        .container("nginx", "nginx:1.25")
        .yaml();
    assert!(set.contains(image), "{set}");
    format!(
        "{SERVICES}{}",
        set.replace(image, &format!("{image}{PORT_AND_PROBE}"))
    )
}

/// A cluster (`flags`) with a watch of nginx's EndpointSlices, the guide
/// created with `replicas` pets, and `ready` of them Ready in the slice.
pub fn start_guide(flags: &[&str], replicas: i64, ready: &[&str]) -> Option<(Cluster, Watch)> {
    let k = Cluster::start(flags)?;
    let slices = k.watch(&["endpointslices", "-l", "kubernetes.io/service-name=nginx"]);
    k.ok_in(&["create", "-f", "-"], &guide(replicas));
    k.wait_ready(ready);
    slices.wait_for("the Ready pets ready in the slice", WAIT, |e| {
        ready_hosts(e) == ready
    });
    Some((k, slices))
}

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
    let Some((k, slices)) = start_guide(FAST_SIM, 2, &["web-0", "web-1"]) else {
        return;
    };
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

    // The API server's own Service.
    k.ok(&[
        "wait",
        "--for=create",
        "service/kubernetes",
        "--timeout=60s",
    ]);
    assert_eq!(
        short(server, &["kubernetes.default.svc.cluster.local"]),
        ["10.96.0.1"]
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
    let Some((k, slices)) = start_guide(NEVER_READY, 1, &[]) else {
        return;
    };
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
    let Some((k, slices)) = start_guide(FAST_SIM, 1, &["web-0"]) else {
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
fn the_cluster_domain_flag_reaches_the_dns() {
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
    // Where port 53 may be bound (root), pods' nameserver answers there too.
    let status = server.get("/petctl/status").json();
    match status["podNameserver"].as_str() {
        Some(address) => {
            let (host, port) = address.rsplit_once(':').expect("host:port");
            assert_eq!(port, "53", "{status}");
            assert!(host.starts_with("127.") && host != "127.0.0.1", "{status}");
            let out = Command::new("dig")
                .args([
                    &format!("@{host}"),
                    "+short",
                    "TXT",
                    "dns-version.pets.test",
                ])
                .output()
                .expect("run dig");
            assert_eq!(String::from_utf8_lossy(&out.stdout), "\"1.1.0\"\n");
        }
        None => assert!(
            log.contains("dns: not serving pods' nameserver on port 53"),
            "{log}"
        ),
    }
}
