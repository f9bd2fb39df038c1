//! Endpoints and EndpointSlices with the real kubectl: `kubectl get
//! endpoints,endpointslices` with upstream's columns, the objects' shapes
//! as the endpoints and endpointslice controllers write them, a slice's
//! watch timeline as a pet goes unready and back, a Service without a
//! selector left alone, and a terminating namespace emptied of both.

use std::time::Duration;

use serde_json::Value;

use crate::local_dns::{revision, seen, start_guide};
use crate::local_guide::Cluster;
use crate::support::FAST_SIM;

const WAIT: Duration = Duration::from_secs(60);

/// The `ready` condition of `host` in a slice watch event.
fn ready_of(event: &Value, host: &str) -> Option<bool> {
    event["object"]["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["hostname"] == host)
        .and_then(|e| e["conditions"]["ready"].as_bool())
}

#[test]
fn endpoints_and_slices_have_upstreams_shapes_and_columns() {
    let Some((k, slices)) = start_guide(FAST_SIM, 2, &["web-0", "web-1"]) else {
        return;
    };
    let ip = |pod: &str| {
        k.json(&["pod", pod])["status"]["podIP"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let (ip0, ip1) = (ip("web-0"), ip("web-1"));

    let endpoints = k.json(&["endpoints", "nginx"]);
    assert_eq!(
        endpoints["metadata"]["labels"],
        serde_json::json!({"app": "nginx", "service.kubernetes.io/headless": "",
                           "endpoints.kubernetes.io/managed-by": "endpoint-controller"})
    );
    let subset = &endpoints["subsets"][0];
    assert_eq!(
        subset["ports"],
        serde_json::json!([{"name": "web", "port": 80, "protocol": "TCP"}])
    );
    let first = &subset["addresses"][0];
    assert_eq!(first["hostname"], "web-0", "{endpoints}");
    assert_eq!(first["targetRef"]["kind"], "Pod");
    assert_eq!(first["targetRef"]["name"], "web-0");
    assert!(
        first["nodeName"].as_str().is_some_and(|n| !n.is_empty()),
        "{first}"
    );
    // The ClusterIP Service's named targetPort resolves to the container's.
    let front = k.json(&["endpoints", "front"]);
    assert_eq!(front["subsets"][0]["ports"][0]["port"], 80, "{front}");
    assert!(
        front["subsets"][0]["addresses"][0]
            .get("hostname")
            .is_none(),
        "{front}"
    );

    let list = k.json(&["endpointslices", "-l", "kubernetes.io/service-name=nginx"]);
    let slice = &list["items"][0];
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    assert!(
        slice["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("nginx-")),
        "{slice}"
    );
    assert_eq!(slice["metadata"]["generateName"], "nginx-");
    assert_eq!(slice["addressType"], "IPv4");
    assert_eq!(
        slice["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    let owner = &slice["metadata"]["ownerReferences"][0];
    assert_eq!(
        (
            owner["kind"].as_str(),
            owner["name"].as_str(),
            owner["controller"].as_bool(),
            owner["blockOwnerDeletion"].as_bool()
        ),
        (Some("Service"), Some("nginx"), Some(true), Some(true))
    );
    assert_eq!(
        slice["endpoints"][0]["conditions"],
        serde_json::json!({"ready": true, "serving": true, "terminating": false})
    );
    assert_eq!(
        slice["ports"],
        serde_json::json!([{"name": "web", "protocol": "TCP", "port": 80}])
    );

    // kubectl's columns, as kube-apiserver's printers give them.
    let table = k.ok(&["get", "endpoints,endpointslices"]);
    let lines: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(lines.contains(&vec!["NAME", "ENDPOINTS", "AGE"]), "{table}");
    assert!(
        lines.contains(&vec!["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]),
        "{table}"
    );
    let mut pair = [format!("{ip0}:80"), format!("{ip1}:80")];
    pair.sort();
    let row = lines
        .iter()
        .find(|l| l.first() == Some(&"endpoints/nginx"))
        .unwrap_or_else(|| panic!("{table}"));
    let mut shown: Vec<String> = row[1].split(',').map(str::to_string).collect();
    shown.sort();
    assert_eq!(shown, pair, "{table}");
    let slice_row = lines
        .iter()
        .find(|l| {
            l.first()
                .is_some_and(|n| n.starts_with("endpointslice.discovery.k8s.io/nginx-"))
        })
        .unwrap_or_else(|| panic!("{table}"));
    assert_eq!(slice_row[1..3], ["IPv4", "80"], "{table}");

    // The slice's timeline while web-1 goes unready and back.
    let before = seen(&slices);
    k.ok(&["annotate", "pod", "web-1", "petctl.local/readiness=fail"]);
    slices.wait_for("web-1 unready", WAIT, |e| {
        revision(e) > before && ready_of(e, "web-1") == Some(false)
    });
    let not_ready = k.json(&["endpoints", "nginx"]);
    assert_eq!(
        not_ready["subsets"][0]["notReadyAddresses"][0]["hostname"], "web-1",
        "{not_ready}"
    );
    let unready_at = seen(&slices);
    k.ok(&[
        "annotate",
        "pod",
        "web-1",
        "petctl.local/readiness=pass",
        "--overwrite",
    ]);
    slices.wait_for("web-1 ready again", WAIT, |e| {
        revision(e) > unready_at && ready_of(e, "web-1") == Some(true)
    });
    let events = slices.stop();
    let states: Vec<Option<bool>> = events.iter().map(|e| ready_of(e, "web-1")).collect();
    let mut changes: Vec<Option<bool>> = states.clone();
    changes.dedup();
    let tail: Vec<Option<bool>> = changes.iter().rev().take(3).rev().copied().collect();
    assert_eq!(tail, [Some(true), Some(false), Some(true)], "{states:?}");
    // Every write went through the registry under kube-controller-manager.
    let managers = &k.json(&[
        "endpointslices",
        "-l",
        "kubernetes.io/service-name=nginx",
        "--show-managed-fields",
    ])["items"][0]["metadata"]["managedFields"];
    assert!(
        managers
            .as_array()
            .into_iter()
            .flatten()
            .all(|m| m["manager"] == "kube-controller-manager"),
        "{managers}"
    );
}

#[test]
fn selectorless_services_are_left_alone_and_namespaces_take_theirs_along() {
    let Some(k) = Cluster::start(FAST_SIM) else {
        return;
    };
    k.ok(&["create", "namespace", "shop"]);
    let manual = "apiVersion: v1
kind: Service
metadata:
  name: manual
  namespace: shop
spec:
  ports:
  - port: 5432
---
apiVersion: v1
kind: Endpoints
metadata:
  name: manual
  namespace: shop
subsets:
- addresses:
  - ip: 192.0.2.10
  ports:
  - port: 5432
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: shop
spec:
  selector:
    app: db
  ports:
  - port: 5432
";
    k.ok_in(&["create", "-f", "-"], manual);
    // A selected Service with no pods gets empty Endpoints and a
    // placeholder slice.
    k.ok(&[
        "wait",
        "--for=create",
        "endpoints/db",
        "-n",
        "shop",
        "--timeout=60s",
    ]);
    let slices = k.watch(&[
        "endpointslices",
        "-n",
        "shop",
        "-l",
        "kubernetes.io/service-name=db",
    ]);
    let placeholder = slices.wait_for("db's placeholder slice", WAIT, |_| true);
    assert_eq!(
        placeholder["object"]["endpoints"],
        Value::Null,
        "{placeholder}"
    );
    slices.stop();
    let db = k.json(&["endpoints", "db", "-n", "shop"]);
    assert!(db.get("subsets").is_none(), "{db}");
    let table = k.ok(&["get", "endpoints", "db", "-n", "shop"]);
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|l| l.split_whitespace().nth(1) == Some("<none>")),
        "{table}"
    );
    // The user's Endpoints of the selector-less Service are untouched and
    // it has no slice.
    let user = k.json(&["endpoints", "manual", "-n", "shop"]);
    assert_eq!(user["subsets"][0]["addresses"][0]["ip"], "192.0.2.10");
    assert!(user["metadata"].get("labels").is_none(), "{user}");
    let owned = k.json(&[
        "endpointslices",
        "-n",
        "shop",
        "-l",
        "kubernetes.io/service-name=manual",
    ]);
    assert_eq!(owned["items"], serde_json::json!([]), "{owned}");

    // A bad slice is refused with the field named.
    let bad = k.run_in(
        &["create", "-f", "-"],
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: bad\n  namespace: shop\naddressType: IPv5\nendpoints: []\n",
    );
    assert_ne!(bad.code, 0, "{bad}");
    assert!(
        bad.stderr
            .contains("addressType: Unsupported value: \"IPv5\""),
        "{bad}"
    );

    // The terminating namespace deletes them all, then itself.
    k.ok(&["delete", "namespace", "shop", "--wait=false"]);
    k.wait_gone(&["namespace/shop"]);
    let left = k.run(&[
        "get",
        "endpoints,endpointslices",
        "-n",
        "shop",
        "-o",
        "name",
    ]);
    assert_eq!(left.stdout.trim(), "", "{left}");
}

#[test]
fn the_kubernetes_service_names_the_api_server() {
    let Some(k) = Cluster::start(FAST_SIM) else {
        return;
    };
    let port: u16 = k
        .server
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the server's port");
    k.ok(&[
        "wait",
        "--for=create",
        "endpointslice/kubernetes",
        "--timeout=60s",
    ]);
    let service = k.json(&["service", "kubernetes"]);
    assert_eq!(service["spec"]["clusterIP"], "10.96.0.1", "{service}");
    assert_eq!(
        service["spec"]["ports"],
        serde_json::json!([{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}])
    );
    assert_eq!(service["metadata"]["labels"]["component"], "apiserver");
    let endpoints = k.json(&["endpoints", "kubernetes"]);
    assert_eq!(
        endpoints["subsets"],
        serde_json::json!([{"addresses": [{"ip": "127.0.0.1"}],
                            "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}])
    );
    let slice = k.json(&["endpointslice", "kubernetes"]);
    assert_eq!(
        slice["endpoints"][0]["addresses"],
        serde_json::json!(["127.0.0.1"])
    );
    assert_eq!(slice["ports"][0]["port"], port);
    assert!(slice["metadata"]["labels"]
        .get("endpointslice.kubernetes.io/managed-by")
        .is_none());
    let table = k.ok(&["get", "endpoints", "kubernetes"]);
    assert!(table.contains(&format!("127.0.0.1:{port}")), "{table}");
}
