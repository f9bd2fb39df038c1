//! PodDisruptionBudgets and the eviction subresource: the disruption
//! controller's status (ints and percentages), the 429 and 500 refusals
//! with upstream's bodies, and `kubectl drain` held to one pet at a time by
//! a `maxUnavailable: 1` budget, checked on a recorded watch timeline.

use serde_json::{json, Value};

use crate::local_guide::Cluster;
use crate::support::{Response, SetManifest};
use crate::timeline::{deletion_order, max_not_ready, Timeline};

const PDBS: &str = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";
/// Pets come up quickly and go at once, so a drain takes seconds.
const QUICK_PETS: &[&str] = &["--ready-delay", "200ms", "--max-grace", "100ms"];

fn pdb(name: &str, spec: Value) -> Value {
    let mut spec = spec;
    spec["selector"] = json!({"matchLabels": {"app": "web"}});
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
           "metadata": {"name": name}, "spec": spec})
}

fn eviction(pod: &str) -> Value {
    json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pod}})
}

fn evict(k: &Cluster, pod: &str, body: &Value) -> Response {
    k.server.post_json(
        &format!("/api/v1/namespaces/default/pods/{pod}/eviction"),
        body,
    )
}

/// A 3-pet StatefulSet `web`, all Ready.
fn web(k: &Cluster) {
    let set = SetManifest::statefulset("web")
        .replicas(3)
        .container("main", "nginx:1.25");
    k.ok_in(&["create", "-f", "-"], &set.yaml());
    k.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
}

/// Waits (kubectl wait on a jsonpath) until the budget's status says `value`.
#[track_caller]
fn wait_status(k: &Cluster, name: &str, path: &str, value: &str) {
    k.ok(&[
        "wait",
        &format!("--for=jsonpath={{.status.{path}}}={value}"),
        &format!("pdb/{name}"),
        "--timeout=30s",
    ]);
}

fn status(k: &Cluster, name: &str) -> Value {
    k.server.get(&format!("{PDBS}/{name}")).json()["status"].clone()
}

fn counts(status: &Value) -> [i64; 4] {
    [
        "expectedPods",
        "desiredHealthy",
        "currentHealthy",
        "disruptionsAllowed",
    ]
    .map(|key| status[key].as_i64().unwrap_or(-1))
}

fn allowed_condition(status: &Value) -> (String, String) {
    let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
    assert_eq!(conditions.len(), 1, "{status}");
    let c = &conditions[0];
    assert_eq!(c["type"], "DisruptionAllowed", "{status}");
    assert!(c["lastTransitionTime"].is_string(), "{status}");
    (
        c["status"].as_str().unwrap_or("").to_string(),
        c["reason"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn budget_status_follows_ints_and_percentages() {
    let Some(k) = Cluster::start(QUICK_PETS) else {
        return;
    };
    web(&k);
    // kubectl's typed client sends the budget as protobuf.
    let created = k.ok(&[
        "create",
        "pdb",
        "web",
        "--selector=app=web",
        "--min-available=3",
    ]);
    assert_eq!(created, "poddisruptionbudget.policy/web created\n");
    wait_status(&k, "web", "observedGeneration", "1");
    let s = status(&k, "web");
    assert_eq!(counts(&s), [3, 3, 3, 0], "{s}");
    assert_eq!(
        allowed_condition(&s),
        ("False".into(), "InsufficientPods".into())
    );
    assert!(s.get("disruptedPods").is_none(), "{s}");

    // maxUnavailable 50% of 3 rounds up to 2: one pet must stay.
    let patch = json!({"spec": {"minAvailable": null, "maxUnavailable": "50%"}});
    let patched = k
        .server
        .merge_patch(&format!("{PDBS}/web"), patch.to_string().as_bytes());
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.json()["metadata"]["generation"], 2);
    wait_status(&k, "web", "observedGeneration", "2");
    let s = status(&k, "web");
    assert_eq!(counts(&s), [3, 1, 3, 2], "{s}");
    assert_eq!(
        allowed_condition(&s),
        ("True".into(), "SufficientPods".into())
    );

    // minAvailable 50% of 3 rounds up to 2 as well.
    let patch = json!({"spec": {"maxUnavailable": null, "minAvailable": "50%"}});
    k.server
        .merge_patch(&format!("{PDBS}/web"), patch.to_string().as_bytes());
    wait_status(&k, "web", "observedGeneration", "3");
    assert_eq!(counts(&status(&k, "web")), [3, 2, 3, 1]);

    let table = k.ok(&["get", "pdb"]);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "MIN",
            "AVAILABLE",
            "MAX",
            "UNAVAILABLE",
            "ALLOWED",
            "DISRUPTIONS",
            "AGE"
        ]
    );
    let row: Vec<&str> = table
        .lines()
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(&row[..4], ["web", "50%", "N/A", "1"], "{table}");

    let both = pdb("both", json!({"minAvailable": 1, "maxUnavailable": 1}));
    let refused = k.server.post_json(PDBS, &both);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.json()["details"]["causes"][0]["message"],
        format!(
            "Invalid value: {}: minAvailable and maxUnavailable cannot be both set",
            both["spec"]
        )
    );
}

#[test]
fn evictions_are_refused_as_upstream_refuses_them() {
    let Some(k) = Cluster::start(QUICK_PETS) else {
        return;
    };
    web(&k);
    k.server
        .post_json(PDBS, &pdb("web", json!({"minAvailable": 3})));
    wait_status(&k, "web", "observedGeneration", "1");

    let refused = evict(&k, "web-0", &eviction("web-0"));
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(
        refused.body.trim_end(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Cannot evict pod as it would violate the pod's disruption budget.","reason":"TooManyRequests","details":{"causes":[{"reason":"DisruptionBudget","message":"The disruption budget web needs 3 healthy pods and has 3 currently"}]},"code":429}"#
    );
    let mismatch = evict(&k, "web-0", &eviction("web-1"));
    mismatch.expect_status(
        400,
        "BadRequest",
        "name in URL does not match name in Eviction object",
    );
    let get = k
        .server
        .get("/api/v1/namespaces/default/pods/web-0/eviction");
    assert_eq!(get.status, 405, "{}", get.body);

    // Two budgets over the same pods: upstream's 500, no reason.
    k.server
        .post_json(PDBS, &pdb("other", json!({"maxUnavailable": 1})));
    let two = evict(&k, "web-1", &eviction("web-1"));
    assert_eq!(
        (two.status, two.body.trim_end()),
        (
            500,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.","code":500}"#
        )
    );

    // One budget that allows one disruption: a dry run changes nothing,
    // the eviction takes the disruption and deletes the pet.
    let gone = k
        .server
        .request("DELETE", &format!("{PDBS}/web"), None, b"");
    assert_eq!(gone.status, 200, "{}", gone.body);
    wait_status(&k, "other", "disruptionsAllowed", "1");
    let uid = k.json(&["pod", "web-2"])["metadata"]["uid"].clone();
    let dry = k.server.post_json(
        "/api/v1/namespaces/default/pods/web-2/eviction?dryRun=All",
        &eviction("web-2"),
    );
    assert_eq!(dry.status, 201, "{}", dry.body);
    assert_eq!(k.json(&["pod", "web-2"])["metadata"]["uid"], uid);
    assert_eq!(status(&k, "other")["disruptionsAllowed"], 1);
    let evicted = evict(&k, "web-2", &eviction("web-2"));
    assert_eq!(
        (evicted.status, evicted.body.trim_end()),
        (
            201,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201}"#
        )
    );
    let again = evict(&k, "web-1", &eviction("web-1"));
    assert_eq!(again.status, 429, "{}", again.body);
    // Without a budget a pod is evicted directly.
    k.server
        .request("DELETE", &format!("{PDBS}/other"), None, b"");
    let direct = evict(&k, "web-1", &eviction("web-1"));
    assert_eq!(direct.status, 201, "{}", direct.body);
}

#[test]
fn kubectl_drain_takes_one_pet_at_a_time_under_a_budget() {
    let Some(k) = Cluster::start(&[QUICK_PETS, &["--nodes", "2"]].concat()) else {
        return;
    };
    web(&k);
    k.server
        .post_json(PDBS, &pdb("web", json!({"maxUnavailable": 1})));
    wait_status(&k, "web", "disruptionsAllowed", "1");
    // The node holding most pets: the least-loaded scheduler puts two of
    // three on one of two nodes.
    let pods = k.json(&["pods", "-l", "app=web"]);
    let mut per_node = std::collections::BTreeMap::<String, Vec<String>>::new();
    for pod in pods["items"].as_array().cloned().unwrap_or_default() {
        let node = pod["spec"]["nodeName"].as_str().unwrap_or("").to_string();
        let name = pod["metadata"]["name"].as_str().unwrap_or("").to_string();
        per_node.entry(node).or_default().push(name);
    }
    let (node, pets) = per_node
        .iter()
        .max_by_key(|(_, pets)| pets.len())
        .map(|(n, p)| (n.clone(), p.clone()))
        .unwrap_or_default();
    assert!(pets.len() >= 2, "{per_node:?}");

    let timeline = Timeline::start(&k.server, "default");
    let drain = k.run(&["drain", &node, "--ignore-daemonsets", "--timeout=120s"]);
    let entries = timeline.stop();
    assert_eq!(
        drain.code,
        0,
        "{drain}\n--- server log ---\n{}",
        k.server.log_tail()
    );
    assert!(
        drain.stdout.contains(&format!("node/{node} drained")),
        "{drain}"
    );
    for pet in &pets {
        assert!(
            drain.stdout.contains(&format!("pod/{pet} evicted")),
            "{drain}"
        );
    }
    assert!(
        drain.stderr.contains("(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget."),
        "the second eviction was not refused: {drain}"
    );
    let deleted = deletion_order("web", &entries);
    for pet in &pets {
        assert!(deleted.contains(pet), "{deleted:?}");
    }
    assert_eq!(
        max_not_ready("web", 3, &entries),
        1,
        "more than one pet down at once"
    );
    assert_eq!(k.json(&["node", &node])["spec"]["unschedulable"], true);
}

#[test]
fn an_unready_pod_is_evicted_by_its_budget_policy() {
    let Some(k) = Cluster::start(QUICK_PETS) else {
        return;
    };
    // Running, never Ready: the annotation overrides the ready delay.
    let lone = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "lone", "labels": {"app": "web"},
                     "annotations": {"petctl.local/ready-delay": "10m"}},
        "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]}});
    let created = k.server.post_json("/api/v1/namespaces/default/pods", &lone);
    assert_eq!(created.status, 201, "{}", created.body);
    k.ok(&[
        "wait",
        "--for=jsonpath={.status.phase}=Running",
        "pod/lone",
        "--timeout=30s",
    ]);
    // An int minAvailable counts the pods found, controller or not.
    k.server
        .post_json(PDBS, &pdb("web", json!({"minAvailable": 1})));
    wait_status(&k, "web", "expectedPods", "1");
    assert_eq!(counts(&status(&k, "web")), [1, 1, 0, 0]);
    // IfHealthyBudget: the budget is not healthy, so the unready pod is
    // guarded like any other. A v1beta1 Eviction is taken too.
    let mut old = eviction("lone");
    old["apiVersion"] = json!("policy/v1beta1");
    let refused = evict(&k, "lone", &old);
    assert_eq!(refused.status, 429, "{}", refused.body);
    let patch = json!({"spec": {"unhealthyPodEvictionPolicy": "AlwaysAllow"}});
    let patched = k
        .server
        .merge_patch(&format!("{PDBS}/web"), patch.to_string().as_bytes());
    assert_eq!(patched.status, 200, "{}", patched.body);
    let evicted = evict(&k, "lone", &old);
    assert_eq!(evicted.status, 201, "{}", evicted.body);
    // No disruption was taken for it.
    assert!(status(&k, "web").get("disruptedPods").is_none());
    k.wait_gone(&["pod/lone"]);
}
