//! Nodes and their loss, with the real kubectl and `petctl local node`,
//! asserted on recorded watch timelines: a stopped node goes Unknown after
//! the grace period and is tainted unreachable, its pets go not Ready, a
//! pet marked for deletion there stays Terminating (no second pet while
//! the first may still run, kubernetes#54368) until the node starts again;
//! the scheduler keeps pets off cordoned, tainted, unselected and
//! anti-affine nodes with upstream's FailedScheduling message, and places
//! them once uncordoned or given a node (`local node add`).

use std::time::Duration;

use serde_json::Value;

use crate::local_guide::Cluster;
use crate::support::{petctl_at, LocalServer, SetManifest, FAST_SIM, READY_AT_ONCE};
use crate::timeline::{by_revision, last_state, ready, terminating, text, Resource, Timeline};

const WAIT: Duration = Duration::from_secs(60);
const UNREACHABLE: &str = "node.kubernetes.io/unreachable";

/// The set `name` with `lines` (YAML at the pod spec's indentation) in its
/// pod spec.
pub fn set_with_pod_spec(set: SetManifest, lines: &str) -> String {
    let yaml = set.yaml();
    let at = "      containers:\n";
    assert_eq!(yaml.matches(at).count(), 1, "{yaml}");
    yaml.replace(at, &format!("{lines}{at}"))
}

/// Required anti-affinity of the pets of `app` on kubernetes.io/hostname.
pub fn spread(app: &str) -> String {
    format!(
        "      affinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n          - topologyKey: kubernetes.io/hostname\n            labelSelector:\n              matchLabels:\n                app: {app}\n"
    )
}

/// `petctl local node ARGS` against the cluster's state dir.
#[track_caller]
fn node(k: &Cluster, args: &[&str]) -> String {
    node_at(&k.server, args)
}

#[track_caller]
fn node_at(server: &LocalServer, args: &[&str]) -> String {
    let state = server.state_dir();
    let mut all = vec!["local", "node"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--state-dir", state.to_str().expect("utf-8 path")]);
    let run = petctl_at(server, &all);
    if run.code != 0 {
        panic!("{run}\n--- server log ---\n{}", server.log_tail());
    }
    run.stdout
}

/// The messages of the events of `reason` about `object` (kind/name).
fn event_messages(k: &Cluster, reason: &str, object: &str) -> Vec<String> {
    let (kind, name) = object.split_once('/').unwrap_or(("", object));
    let selector = format!("reason={reason},involvedObject.kind={kind},involvedObject.name={name}");
    let events = k.json(&["events", "-A", "--field-selector", &selector]);
    events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| text(e, "/message").to_string())
        .collect()
}

fn pod_uid(pods: &std::collections::BTreeMap<String, Value>, name: &str) -> String {
    pods.get(name)
        .map(|p| text(p, "/metadata/uid").to_string())
        .unwrap_or_default()
}

/// The set `web` of nginx pets behind its Service `nginx`.
fn web(replicas: i64) -> SetManifest {
    SetManifest::statefulset("web")
        .container("nginx", "nginx:1.25")
        .with_service("nginx")
        .replicas(replicas)
}

#[test]
fn a_stopped_node_keeps_its_evicted_pet_terminating_until_it_starts() {
    let flags = [FAST_SIM, &["--nodes", "2", "--node-monitor-grace", "2s"]].concat();
    let Some(k) = Cluster::start(&flags) else {
        return;
    };
    let timeline = Timeline::start(&k.server, "default");
    // The pets spread over both nodes and leave an unreachable one after 3 s.
    let tolerate = format!(
        "      tolerations:\n      - key: {UNREACHABLE}\n        operator: Exists\n        effect: NoExecute\n        tolerationSeconds: 3\n"
    );
    let set = web(2).grace_period(1);
    k.ok_in(
        &["create", "-f", "-"],
        &set_with_pod_spec(set, &(tolerate + &spread("web"))),
    );
    k.wait_ready(&["web-0", "web-1"]);
    let lost = k.ok(&["get", "pod", "web-0", "-o", "jsonpath={.spec.nodeName}"]);
    let other = k.ok(&["get", "pod", "web-1", "-o", "jsonpath={.spec.nodeName}"]);
    assert_ne!(lost, other, "anti-affinity spreads the pets");
    let lease = k.json(&["lease", "-n", "kube-node-lease", &lost]);
    assert_eq!(text(&lease, "/spec/holderIdentity"), lost);
    assert_eq!(lease["spec"]["leaseDurationSeconds"], 2);

    assert_eq!(node(&k, &["stop", &lost]), format!("node/{lost} stopped\n"));
    let node_ref = format!("node/{lost}");
    k.ok(&[
        "wait",
        "--for=condition=Ready=Unknown",
        &node_ref,
        "--timeout=30s",
    ]);
    let taints = k.ok(&[
        "get",
        &node_ref,
        "-o",
        "jsonpath={.spec.taints[*].key}:{.spec.taints[*].effect}",
    ]);
    assert_eq!(
        taints,
        format!("{UNREACHABLE} {UNREACHABLE}:NoSchedule NoExecute")
    );
    let listed = node(&k, &["list"]);
    assert!(
        listed.contains(&format!("{lost}   NotReady   stopped")),
        "{listed}"
    );
    k.ok(&[
        "wait",
        "--for=condition=Ready=false",
        "pod/web-0",
        "--timeout=30s",
    ]);
    timeline.wait_for("web-0 to be marked for deletion", WAIT, |e| {
        last_state(e, Resource::Pod)
            .get("web-0")
            .is_some_and(terminating)
    });
    // Nobody confirms the deletion: the pet stays Terminating.
    let gone = k.run(&["wait", "--for=delete", "pod/web-0", "--timeout=3s"]);
    assert_ne!(
        gone.code, 0,
        "web-0 went while its node was stopped: {gone}"
    );
    let before_start = last_state(&timeline.entries(), Resource::Pod);
    let old_uid = pod_uid(&before_start, "web-0");
    assert!(before_start.get("web-0").is_some_and(terminating));
    assert_eq!(
        event_messages(&k, "TaintManagerEviction", "Pod/web-0"),
        ["Marking for deletion Pod default/web-0"]
    );
    assert_eq!(
        event_messages(&k, "NodeNotReady", "Pod/web-0"),
        ["Node is not ready"]
    );
    assert_eq!(
        event_messages(&k, "NodeNotReady", &format!("Node/{lost}")),
        [format!("Node {lost} status is now: NodeNotReady")]
    );

    assert_eq!(
        node(&k, &["start", &lost]),
        format!("node/{lost} started\n")
    );
    k.ok(&["wait", "--for=condition=Ready", &node_ref, "--timeout=30s"]);
    timeline.wait_for("a new web-0 to be Ready", WAIT, |e| {
        let pods = last_state(e, Resource::Pod);
        pods.get("web-0")
            .is_some_and(|p| ready(p) && text(p, "/metadata/uid") != old_uid)
    });
    let taints = k.ok(&["get", &node_ref, "-o", "jsonpath={.spec.taints}"]);
    assert_eq!(taints, "");
    let entries = timeline.stop();

    // The old web-0 went only after the start, and the new one came only
    // after that: never two web-0 at once.
    let (_, changes) = by_revision(&entries);
    let web0: Vec<(String, bool)> = changes
        .iter()
        .filter(|c| c.resource == Resource::Pod && text(c.object, "/metadata/name") == "web-0")
        .map(|c| (text(c.object, "/metadata/uid").to_string(), c.deleted))
        .collect();
    let deleted = web0
        .iter()
        .position(|(uid, deleted)| *uid == old_uid && *deleted)
        .expect("the old web-0 was deleted");
    assert!(
        web0[..deleted].iter().all(|(uid, _)| *uid == old_uid),
        "{web0:?}"
    );
    assert!(
        web0[deleted + 1..].iter().all(|(uid, _)| *uid != old_uid),
        "{web0:?}"
    );
    assert_eq!(
        event_messages(&k, "NodeReady", &format!("Node/{lost}"))
            .last()
            .map(String::as_str),
        Some(format!("Node {lost} status is now: NodeReady").as_str())
    );
}

#[test]
fn cordoned_tainted_and_unselected_nodes_leave_a_pet_pending() {
    let flags = [FAST_SIM, &["--nodes", "3"]].concat();
    let Some(k) = Cluster::start(&flags) else {
        return;
    };
    let timeline = Timeline::start(&k.server, "default");
    assert_eq!(
        k.ok(&["label", "node", "local-node-0", "disk=ssd"]),
        "node/local-node-0 labeled\n"
    );
    assert_eq!(
        k.ok(&["cordon", "local-node-0"]),
        "node/local-node-0 cordoned\n"
    );
    let status = k.ok(&[
        "get",
        "node",
        "local-node-0",
        "--no-headers",
        "-o",
        "custom-columns=S:.spec.unschedulable",
    ]);
    assert_eq!(status, "true\n");
    let listed = k.ok(&["get", "nodes", "local-node-0", "--no-headers"]);
    assert!(listed.contains("Ready,SchedulingDisabled"), "{listed}");
    let set = SetManifest::statefulset("db")
        .container("nginx", "nginx:1.25")
        .with_service("db")
        .replicas(1);
    let select = "      nodeSelector:\n        disk: ssd\n";
    k.ok_in(&["create", "-f", "-"], &set_with_pod_spec(set, select));
    k.ok(&["wait", "--for=create", "pod/db-0", "--timeout=30s"]);
    k.ok(&[
        "wait",
        "--for=condition=PodScheduled=false",
        "pod/db-0",
        "--timeout=30s",
    ]);
    assert_eq!(
        event_messages(&k, "FailedScheduling", "Pod/db-0"),
        ["0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."]
    );

    assert_eq!(
        k.ok(&["uncordon", "local-node-0"]),
        "node/local-node-0 uncordoned\n"
    );
    k.wait_ready(&["db-0"]);
    let uid = k.ok(&["get", "pod", "db-0", "-o", "jsonpath={.metadata.uid}"]);
    assert_eq!(
        k.ok(&["get", "pod", "db-0", "-o", "jsonpath={.spec.nodeName}"]),
        "local-node-0"
    );

    // A NoExecute taint the pet does not tolerate evicts it at once; its
    // successor fits nowhere.
    assert_eq!(
        k.ok(&["taint", "node", "local-node-0", "dedicated=batch:NoExecute"]),
        "node/local-node-0 tainted\n"
    );
    // kubectl wait --for=delete could miss a pet recreated at once.
    timeline.wait_for("a new db-0, unscheduled", WAIT, |e| {
        last_state(e, Resource::Pod).get("db-0").is_some_and(|p| {
            text(p, "/metadata/uid") != uid
                && text(p, "/spec/nodeName").is_empty()
                && unscheduled(p)
        })
    });
    assert_eq!(
        event_messages(&k, "TaintManagerEviction", "Pod/db-0"),
        ["Marking for deletion Pod default/db-0"]
    );
    let messages = event_messages(&k, "FailedScheduling", "Pod/db-0");
    assert_eq!(
        messages.last().map(String::as_str),
        Some("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: batch}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    );
    k.ok(&[
        "taint",
        "node",
        "local-node-0",
        "dedicated=batch:NoExecute-",
    ]);
    k.wait_ready(&["db-0"]);
    timeline.stop();
}

/// The pets of a Parallel set are bound in one pass of the scheduler, their
/// bindings committed together: each binding is assumed at once, so that
/// the next pet of the pass sees it. Asserted on every revision of the
/// recorded timeline, not only at the end: never two pets of the set on one
/// node, and those left over Unschedulable.
#[test]
fn anti_affine_parallel_pets_bound_together_never_share_a_node() {
    let flags = [FAST_SIM, &["--nodes", "3"]].concat();
    let Some(k) = Cluster::start(&flags) else {
        return;
    };
    let timeline = Timeline::start(&k.server, "default");
    let set = web(7).pod_management_policy("Parallel");
    k.ok_in(
        &["create", "-f", "-"],
        &set_with_pod_spec(set, &spread("web")),
    );
    let names: Vec<String> = (0..7).map(|i| format!("web-{i}")).collect();
    timeline.wait_for("every pet Ready or Unschedulable", WAIT, |entries| {
        let pods = last_state(entries, Resource::Pod);
        let unschedulable = |pod: &Value| {
            pod.pointer("/status/conditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "PodScheduled" && c["reason"] == "Unschedulable")
        };
        let settled = pods.values().filter(|p| ready(p) || unschedulable(p));
        settled.count() == 7
    });
    let entries = timeline.stop();
    let mut shared = Vec::new();
    let (_, changes) = by_revision(&entries);
    let mut nodes: std::collections::BTreeMap<String, String> = Default::default();
    for change in changes.iter().filter(|c| c.resource == Resource::Pod) {
        let name = text(change.object, "/metadata/name").to_string();
        match text(change.object, "/spec/nodeName") {
            node if node.is_empty() || change.deleted => nodes.remove(&name),
            node => nodes.insert(name.clone(), node.to_string()),
        };
        let mut held: Vec<&String> = nodes.values().collect();
        held.sort();
        if held.windows(2).any(|w| w[0] == w[1]) {
            shared.push(format!("{} {nodes:?}", change.revision));
        }
    }
    assert!(shared.is_empty(), "pets shared a node: {shared:#?}");
    let bound: Vec<&String> = names.iter().filter(|n| nodes.contains_key(*n)).collect();
    assert_eq!(bound.len(), 3, "{nodes:?}");
}

#[test]
fn anti_affine_pets_wait_for_a_node_of_their_own() {
    let flags = [FAST_SIM, &["--nodes", "2"]].concat();
    let Some(k) = Cluster::start(&flags) else {
        return;
    };
    let set = web(3);
    k.ok_in(
        &["create", "-f", "-"],
        &set_with_pod_spec(set, &spread("web")),
    );
    k.wait_ready(&["web-0", "web-1"]);
    k.ok(&["wait", "--for=create", "pod/web-2", "--timeout=30s"]);
    k.ok(&[
        "wait",
        "--for=condition=PodScheduled=false",
        "pod/web-2",
        "--timeout=30s",
    ]);
    assert_eq!(
        event_messages(&k, "FailedScheduling", "Pod/web-2"),
        ["0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."]
    );
    assert_eq!(node(&k, &["add", "extra"]), "node/extra added\n");
    k.ok(&[
        "wait",
        "--for=condition=Ready",
        "node/extra",
        "--timeout=30s",
    ]);
    k.wait_ready(&["web-2"]);
    assert_eq!(
        k.ok(&["get", "pod", "web-2", "-o", "jsonpath={.spec.nodeName}"]),
        "extra"
    );
    assert_eq!(
        event_messages(&k, "RegisteredNode", "Node/extra"),
        ["Node extra event: Registered Node extra in Controller"]
    );
    let leases = k.ok(&["get", "leases", "-n", "kube-node-lease"]);
    let columns: Vec<Vec<&str>> = leases
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(columns[0], ["NAME", "HOLDER", "AGE"], "{leases}");
    let holders: Vec<(&str, &str)> = columns[1..].iter().map(|c| (c[0], c[1])).collect();
    assert_eq!(
        holders,
        [
            ("extra", "extra"),
            ("local-node-0", "local-node-0"),
            ("local-node-1", "local-node-1")
        ]
    );
    let listed = node(&k, &["list"]);
    assert_eq!(
        listed,
        "NAME           STATUS   KUBELET\nextra          Ready    running\nlocal-node-0   Ready    running\nlocal-node-1   Ready    running\n"
    );
}

/// PodScheduled is False.
fn unscheduled(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "PodScheduled" && c["status"] == "False")
}

#[test]
fn kubectl_drain_moves_a_pet_off_its_node() {
    let flags = [FAST_SIM, &["--nodes", "2"]].concat();
    let Some(k) = Cluster::start(&flags) else {
        return;
    };
    let set = web(1);
    k.ok_in(&["create", "-f", "-"], &set.yaml());
    k.wait_ready(&["web-0"]);
    let from = k.ok(&["get", "pod", "web-0", "-o", "jsonpath={.spec.nodeName}"]);
    let drained = k.ok(&["drain", &from, "--timeout=60s"]);
    assert!(
        drained.starts_with(&format!("node/{from} cordoned\n")),
        "{drained}"
    );
    assert!(
        drained.ends_with(&format!("node/{from} drained\n")),
        "{drained}"
    );
    k.wait_ready(&["web-0"]);
    let to = k.ok(&["get", "pod", "web-0", "-o", "jsonpath={.spec.nodeName}"]);
    assert_ne!(to, from, "the pet left the drained node");
}

#[test]
fn a_stop_is_kept_across_a_restart_of_the_control_plane() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    let timeline = Timeline::start(&server, "default");
    let set = SetManifest::statefulset("web")
        .container("nginx", "nginx:1.25")
        .replicas(1)
        .grace_period(1);
    let created = server.post_json("/apis/apps/v1/namespaces/default/statefulsets", &set.json());
    assert_eq!(created.status, 201, "{}", created.body);
    timeline.wait_for("web-0 Ready", WAIT, |e| {
        last_state(e, Resource::Pod).get("web-0").is_some_and(ready)
    });
    timeline.stop();
    let stopped = "local-node-0   Ready    stopped\n";
    assert_eq!(
        node_at(&server, &["stop", "local-node-0"]),
        "node/local-node-0 stopped\n"
    );
    assert!(node_at(&server, &["list"]).ends_with(stopped));

    let server = server.restart();
    assert!(node_at(&server, &["list"]).ends_with(stopped));
    assert_eq!(
        node_at(&server, &["stop", "local-node-0"]),
        "node/local-node-0 already stopped\n"
    );
    let timeline = Timeline::start(&server, "default");
    let deleted = server.request("DELETE", "/api/v1/namespaces/default/pods/web-0", None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let uid = text(&deleted.json(), "/metadata/uid").to_string();
    // The restarted kubelet still obeys the stop: it confirms nothing.
    let gone = |e: &[crate::timeline::Entry]| {
        last_state(e, Resource::Pod)
            .get("web-0")
            .is_none_or(|p| text(p, "/metadata/uid") != uid)
    };
    // (A timeline that times out is spent: its lock is poisoned.)
    let confirmed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        timeline.wait_for("web-0 to go (it must not)", Duration::from_secs(3), gone)
    }));
    assert!(confirmed.is_err(), "web-0 went while its node was stopped");
    let timeline = Timeline::start(&server, "default");
    timeline.wait_for("web-0 still Terminating", WAIT, |e| {
        last_state(e, Resource::Pod)
            .get("web-0")
            .is_some_and(|p| terminating(p) && text(p, "/metadata/uid") == uid)
    });
    assert_eq!(
        node_at(&server, &["start", "local-node-0"]),
        "node/local-node-0 started\n"
    );
    timeline.wait_for("web-0 to go once its node started", WAIT, gone);
    timeline.stop();
}
