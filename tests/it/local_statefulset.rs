//! The guide's walk for an apps/v1 StatefulSet with the real kubectl:
//! ordered identity and revisions, recreation, scaling, RollingUpdate with a
//! partition, OnDelete and Parallel with ordinals.start, and both claim
//! retention policies.

use serde_json::Value;

use crate::local_guide::{
    assert_created_in_order, deleted, first, is_ready, name, summary, terminating, Cluster,
};

use crate::support::{SetManifest, OBSERVABLE_SIM};

/// The Service "nginx" and the StatefulSet "web" (3 pets, claim template
/// "www"), with `extra_spec` (lines indented by two spaces) in its spec.
fn statefulset(extra_spec: &str) -> String {
    web().spec(extra_spec).yaml()
}

fn web() -> SetManifest {
    SetManifest::statefulset("web")
        .with_service("nginx")
        .container("nginx", "nginx:1.25")
        .claim("www")
}

fn items(list: &Value) -> Vec<Value> {
    list["items"].as_array().cloned().unwrap_or_default()
}

fn names(list: &Value) -> Vec<String> {
    items(list)
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect()
}

fn revision(pod: &Value) -> String {
    pod["metadata"]["labels"]["controller-revision-hash"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[test]
fn statefulset_walk_with_a_partitioned_rolling_update() {
    let Some(k) = Cluster::start(OBSERVABLE_SIM) else {
        return;
    };
    let watch = k.watch(&["pods", "-l", "app=web"]);
    k.ok_in(&["create", "-f", "-"], &statefulset(""));
    k.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    assert_created_in_order(&watch.stop(), &["web-0", "web-1", "web-2"]);

    // Identity, ownership and the first revision.
    let set = k.json(&["sts", "web"]);
    let revisions = k.json(&["controllerrevisions"]);
    assert_eq!(items(&revisions).len(), 1);
    let first_revision = names(&revisions)[0].clone();
    assert!(first_revision.starts_with("web-"), "{first_revision}");
    assert_eq!(items(&revisions)[0]["revision"], 1);
    assert_eq!(
        items(&revisions)[0]["metadata"]["ownerReferences"][0]["uid"],
        set["metadata"]["uid"]
    );
    for (i, pod) in items(&k.json(&["pods", "-l", "app=web"]))
        .iter()
        .enumerate()
    {
        let pet = format!("web-{i}");
        let labels = &pod["metadata"]["labels"];
        assert_eq!(labels["statefulset.kubernetes.io/pod-name"], pet.as_str());
        assert_eq!(
            labels["apps.kubernetes.io/pod-index"],
            i.to_string().as_str()
        );
        assert_eq!(revision(pod), first_revision);
        assert_eq!(pod["spec"]["hostname"], pet.as_str());
        assert_eq!(pod["spec"]["subdomain"], "nginx");
        let owner = &pod["metadata"]["ownerReferences"][0];
        assert_eq!(
            (owner["kind"].as_str(), owner["controller"].as_bool()),
            (Some("StatefulSet"), Some(true))
        );
        assert_eq!(owner["uid"], set["metadata"]["uid"]);
    }
    let status = &set["status"];
    for (field, want) in [
        ("replicas", 3),
        ("readyReplicas", 3),
        ("availableReplicas", 3),
        ("currentReplicas", 3),
        ("updatedReplicas", 3),
        ("observedGeneration", 1),
    ] {
        assert_eq!(status[field], want, "{field} in {status}");
    }
    assert_eq!(status["currentRevision"], first_revision.as_str());
    assert_eq!(status["updateRevision"], first_revision.as_str());
    let claims = k.json(&["pvc", "-l", "app=web"]);
    assert_eq!(names(&claims), ["www-web-0", "www-web-1", "www-web-2"]);
    assert!(items(&claims)
        .iter()
        .all(|c| c["status"]["phase"] == "Bound"));
    assert!(
        items(&claims)
            .iter()
            .all(|c| c["metadata"]["ownerReferences"].is_null()),
        "Retain: claims have no owners"
    );

    // Deleted pods come back with the same names and claims.
    k.ok(&["delete", "pod", "web-1"]);
    k.wait_ready(&["web-1"]);
    let pod = k.json(&["pod", "web-1"]);
    assert_eq!(
        pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "www-web-1"
    );

    // Scale to 5 in order, then to 3 from the top; every claim stays.
    let watch = k.watch(&["pods", "-l", "app=web"]);
    k.ok(&["scale", "sts", "web", "--replicas=5"]);
    k.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    k.wait_ready(&["web-3", "web-4"]);
    assert_created_in_order(&watch.stop(), &["web-2", "web-3", "web-4"]);
    let watch = k.watch(&["pods", "-l", "app=web"]);
    k.ok(&["scale", "sts", "web", "--replicas=3"]);
    k.wait_gone(&["pod/web-4", "pod/web-3"]);
    let events = watch.stop();
    let web4_gone = deleted(&events, "web-4");
    let web3_terminating = terminating(&events, "web-3");
    let web4_terminating = terminating(&events, "web-4");
    assert!(
        web4_terminating < web4_gone && web4_gone < web3_terminating,
        "{}",
        summary(&events)
    );
    assert_eq!(names(&k.json(&["pvc", "-l", "app=web"])).len(), 5);

    // RollingUpdate with partition 2: only web-2 moves to the new revision.
    k.ok(&["patch", "sts", "web", "-p",
        r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}},"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}"#]);
    k.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    let set = k.json(&["sts", "web"]);
    let update_revision = set["status"]["updateRevision"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(update_revision, first_revision);
    assert_eq!(set["status"]["currentRevision"], first_revision.as_str());
    assert_eq!(set["status"]["updatedReplicas"], 1);
    assert_eq!(set["status"]["currentReplicas"], 2);
    let pods = items(&k.json(&["pods", "-l", "app=web"]));
    let images: Vec<&str> = pods
        .iter()
        .map(|p| p["spec"]["containers"][0]["image"].as_str().unwrap())
        .collect();
    assert_eq!(images, ["nginx:1.25", "nginx:1.25", "nginx:1.26"]);
    // A protected ordinal is recreated at the current revision.
    k.ok(&["delete", "pod", "web-0"]);
    k.wait_ready(&["web-0"]);
    assert_eq!(
        k.json(&["pod", "web-0"])["spec"]["containers"][0]["image"],
        "nginx:1.25"
    );

    // Partition 0: web-1, then web-0, each only after the one above is Ready.
    let watch = k.watch(&["pods", "-l", "app=web"]);
    k.ok(&[
        "patch",
        "sts",
        "web",
        "-p",
        r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}"#,
    ]);
    k.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    let events = watch.stop();
    let web1_down = first(&events, "web-1 replaced", |e| {
        name(e) == "web-1" && !e["object"]["metadata"]["deletionTimestamp"].is_null()
    });
    let web1_back = first(&events, "web-1 ready again", |e| {
        name(e) == "web-1" && revision(&e["object"]) == update_revision && is_ready(&e["object"])
    });
    let web0_down = first(&events, "web-0 replaced", |e| {
        name(e) == "web-0" && !e["object"]["metadata"]["deletionTimestamp"].is_null()
    });
    assert!(
        web1_down < web1_back && web1_back < web0_down,
        "{}",
        summary(&events)
    );
    let set = k.json(&["sts", "web"]);
    assert_eq!(set["status"]["currentRevision"], update_revision.as_str());
    assert_eq!(set["status"]["updatedReplicas"], 3);
    assert_eq!(items(&k.json(&["controllerrevisions"])).len(), 2);
    let history = k.ok(&["rollout", "history", "sts/web"]);
    assert!(history.lines().any(|l| l.starts_with("2 ")), "{history}");

    // Deleting the set takes its pods (background cascade) but not the claims.
    k.ok(&["delete", "sts", "web"]);
    k.wait_gone(&["pod/web-0", "pod/web-1", "pod/web-2"]);
    assert_eq!(names(&k.json(&["pvc", "-l", "app=web"])).len(), 5);
    assert_eq!(
        k.run(&["get", "controllerrevisions"]).stderr,
        "No resources found in default namespace.\n"
    );
}

#[test]
fn retention_policy_delete_removes_claims_on_scale_down_and_deletion() {
    let Some(k) = Cluster::start(OBSERVABLE_SIM) else {
        return;
    };
    let policy = "  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: Delete\n    whenScaled: Delete\n";
    k.ok_in(&["create", "-f", "-"], &statefulset(policy));
    k.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    let set = k.json(&["sts", "web"]);
    for claim in items(&k.json(&["pvc", "-l", "app=web"])) {
        let owners = &claim["metadata"]["ownerReferences"];
        assert_eq!(owners.as_array().map(Vec::len), Some(1), "{claim}");
        assert_eq!(owners[0]["uid"], set["metadata"]["uid"]);
    }
    let volumes: Vec<String> = items(&k.json(&["pv"]))
        .iter()
        .map(|v| format!("pv/{}", v["metadata"]["name"].as_str().unwrap()))
        .collect();

    // whenScaled: Delete — the claims of the removed ordinals go with them.
    k.ok(&["scale", "sts", "web", "--replicas=1"]);
    k.wait_gone(&["pvc/www-web-2", "pvc/www-web-1"]);
    assert_eq!(names(&k.json(&["pvc", "-l", "app=web"])), ["www-web-0"]);
    assert_eq!(names(&k.json(&["pods", "-l", "app=web"])), ["web-0"]);

    // whenDeleted: Delete — deleting the set deletes the remaining claim, and
    // the provisioner deletes every volume.
    k.ok(&["delete", "sts", "web"]);
    let mut gone = vec!["pvc/www-web-0"];
    gone.extend(volumes.iter().map(String::as_str));
    k.wait_gone(&gone);
    assert_eq!(k.run(&["get", "pvc,pv"]).stderr, "No resources found\n");
}

#[test]
fn parallel_on_delete_with_ordinals_start() {
    let Some(k) = Cluster::start(OBSERVABLE_SIM) else {
        return;
    };
    let set = web()
        .pod_management_policy("Parallel")
        .spec("  ordinals:\n    start: 5\n")
        .update_strategy("OnDelete");
    k.ok_in(&["create", "-f", "-"], &set.yaml());
    k.wait_ready(&["web-5", "web-6", "web-7"]);
    assert_eq!(
        names(&k.json(&["pods", "-l", "app=web"])),
        ["web-5", "web-6", "web-7"]
    );
    assert_eq!(
        names(&k.json(&["pvc", "-l", "app=web"])),
        ["www-web-5", "www-web-6", "www-web-7"]
    );

    // OnDelete: a new template changes nothing until a pod is deleted.
    k.ok(&["set", "image", "sts/web", "nginx=nginx:1.26"]);
    let set = k.json(&["sts", "web"]);
    k.ok(&[
        "wait",
        "--for=jsonpath={.status.observedGeneration}=2",
        "sts/web",
        "--timeout=60s",
    ]);
    let update_revision = k.json(&["sts", "web"])["status"]["updateRevision"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(
        Some(update_revision.as_str()),
        set["status"]["currentRevision"].as_str()
    );
    k.ok(&["delete", "pod", "web-6"]);
    k.wait_ready(&["web-6"]);
    let pods = items(&k.json(&["pods", "-l", "app=web"]));
    let images: Vec<&str> = pods
        .iter()
        .map(|p| p["spec"]["containers"][0]["image"].as_str().unwrap())
        .collect();
    assert_eq!(images, ["nginx:1.25", "nginx:1.26", "nginx:1.25"]);
    assert_eq!(revision(&pods[1]), update_revision);
    let status = k.json(&["sts", "web"])["status"].clone();
    assert_eq!(
        (
            status["updatedReplicas"].as_i64(),
            status["currentReplicas"].as_i64()
        ),
        (Some(1), Some(2)),
        "{status}"
    );

    // Parallel scale-down removes every surplus pod at once.
    let watch = k.watch(&["pods", "-l", "app=web"]);
    k.ok(&["scale", "sts", "web", "--replicas=1"]);
    k.wait_gone(&["pod/web-6", "pod/web-7"]);
    let events = watch.stop();
    let web7_terminating = terminating(&events, "web-7");
    let web6_terminating = terminating(&events, "web-6");
    let first_gone = first(&events, "a pod gone", |e| e["type"] == "DELETED");
    assert!(
        web7_terminating < first_gone && web6_terminating < first_gone,
        "{}",
        summary(&events)
    );
}
