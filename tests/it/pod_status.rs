//! Conformance: the STATUS of a pod is the same in `petctl get pods` and in
//! the real `kubectl get pods` (the server's Table), for terminated, init
//! and waiting containers alike: both come from the model's `printPod`.

use serde_json::{json, Value};

use crate::support::{kubectl_or_skip, kubectl_with, petctl_at, LocalServer};

/// A pod bound to a node no simulated kubelet serves, so the status the
/// test writes is the status that stays.
fn pod(name: &str, init: bool) -> Value {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": "elsewhere", "containers": [{"name": "app", "image": "nginx:1.25"}]}});
    if init {
        pod["spec"]["initContainers"] = json!([{"name": "setup", "image": "busybox:1.36"}]);
    }
    pod
}

/// `(name, has an init container, status, the STATUS kubectl prints)`.
fn cases() -> Vec<(&'static str, bool, Value, &'static str)> {
    let terminated = |t: Value| {
        json!({"phase": "Running", "containerStatuses": [
        {"name": "app", "ready": false, "restartCount": 1, "image": "nginx:1.25", "imageID": "",
         "state": {"terminated": t}}]})
    };
    vec![
        (
            "oom",
            false,
            terminated(json!({"reason": "OOMKilled", "exitCode": 137})),
            "OOMKilled",
        ),
        (
            "error",
            false,
            terminated(json!({"reason": "Error", "exitCode": 1})),
            "Error",
        ),
        (
            "exit-code",
            false,
            terminated(json!({"exitCode": 3})),
            "ExitCode:3",
        ),
        (
            "signal",
            false,
            terminated(json!({"exitCode": 137, "signal": 9})),
            "Signal:9",
        ),
        (
            "init-error",
            true,
            json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "setup", "ready": false, "restartCount": 0, "image": "busybox:1.36", "imageID": "",
                 "state": {"terminated": {"reason": "Error", "exitCode": 1}}}]}),
            "Init:Error",
        ),
        (
            "init-running",
            true,
            json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "setup", "ready": false, "restartCount": 0, "image": "busybox:1.36", "imageID": "",
                 "state": {"running": {}}}]}),
            "Init:0/1",
        ),
        (
            "evicted",
            false,
            json!({"phase": "Failed", "reason": "Evicted"}),
            "Evicted",
        ),
    ]
}

/// The STATUS column of each row of a `get pods` table, by pod name.
fn statuses(table: &str) -> Vec<(String, String)> {
    let mut lines = table.lines();
    let header = lines.next().unwrap_or_default();
    let column = header.find("STATUS").expect("a STATUS column");
    lines
        .map(|line| {
            let name = line.split_whitespace().next().unwrap_or_default();
            let status = line[column..].split_whitespace().next().unwrap_or_default();
            (name.to_string(), status.to_string())
        })
        .collect()
}

#[test]
fn terminated_init_and_waiting_reasons_match_kubectl() {
    let Some(kubectl) = kubectl_or_skip("terminated_init_and_waiting_reasons_match_kubectl") else {
        return;
    };
    let server = LocalServer::start();
    let mut want = Vec::new();
    for (name, init, status, shown) in cases() {
        let created = server.post_json("/api/v1/namespaces/default/pods", &pod(name, init));
        assert_eq!(created.status, 201, "create {name}: {}", created.body);
        let mut object = created.json();
        object["status"] = status;
        let path = format!("/api/v1/namespaces/default/pods/{name}/status");
        let body = object.to_string();
        let put = server.request("PUT", &path, Some("application/json"), body.as_bytes());
        assert_eq!(put.status, 200, "PUT {path}: {}", put.body);
        want.push((name.to_string(), shown.to_string()));
    }
    want.sort();
    let petctl = petctl_at(&server, &["get", "pods"]);
    petctl.expect_success();
    let kubectl = kubectl_with(&kubectl, &server, &["get", "pods"], None);
    kubectl.expect_success();
    assert_eq!(statuses(&kubectl.stdout), want, "kubectl\n{kubectl}");
    assert_eq!(statuses(&petctl.stdout), want, "petctl\n{petctl}");
}
