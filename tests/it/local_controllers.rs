//! The controllers' other behaviour with the real kubectl: the PetSet pause
//! hook, crash-looping images and a broken upgrade, nodes and scheduling,
//! per-pod delay overrides, foreground deletion, and events in describe.

use std::time::Duration;

use serde_json::Value;

use crate::local_guide::{is_ready, Cluster};
use crate::support::{SetManifest, NEVER_READY, OBSERVABLE_SIM, SHORT_GRACE};

const WAIT: Duration = Duration::from_secs(60);

fn reason(event: &Value) -> &str {
    event["object"]["reason"].as_str().unwrap_or("")
}

fn pod_names(k: &Cluster, selector: &str) -> Vec<String> {
    k.json(&["pods", "-l", selector])["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|p| p["metadata"]["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A StatefulSet `name` of `replicas` pets running `image`, no claims.
fn sts(name: &str, replicas: i64, image: &str) -> SetManifest {
    SetManifest::statefulset(name)
        .replicas(replicas)
        .container("main", image)
}

#[test]
fn the_initialized_hook_pauses_after_pet_0_until_annotated_true() {
    let Some(k) = Cluster::start(OBSERVABLE_SIM) else {
        return;
    };
    let manifest =
        std::fs::read_to_string(crate::support::repo_root().join("examples/petset.yaml")).unwrap();
    let paused = manifest
        .replace(
            "pod.alpha.kubernetes.io/initialized: \"true\"",
            "pod.alpha.kubernetes.io/initialized: \"false\"",
        )
        .replace("replicas: 2", "replicas: 3");
    assert_ne!(paused, manifest);
    let events = k.watch(&[
        "events",
        "--field-selector",
        "involvedObject.kind=PetSet,involvedObject.name=web",
    ]);
    k.ok_in(&["create", "-f", "-"], &paused);
    let pause = events.wait_for("the set to pause on web-0", WAIT, |e| reason(e) == "Paused");
    assert_eq!(
        pause["object"]["message"],
        "pet web-0 has pod.alpha.kubernetes.io/initialized=false: creation and deletion are paused"
    );
    assert!(is_ready(&k.json(&["pod", "web-0"])));
    assert_eq!(pod_names(&k, "app=nginx"), ["web-0"]);

    // Marking web-0 initialized lets web-1 come; it pauses the set in turn.
    k.ok(&[
        "annotate",
        "pod",
        "web-0",
        "pod.alpha.kubernetes.io/initialized=true",
        "--overwrite",
    ]);
    k.wait_ready(&["web-1"]);
    events.wait_for("the set to pause on web-1", WAIT, |e| {
        reason(e) == "Paused"
            && e["object"]["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("pet web-1 ")
    });
    assert_eq!(pod_names(&k, "app=nginx"), ["web-0", "web-1"]);
    events.stop();
}

#[test]
fn failing_images_crash_loop_and_block_the_set() {
    let Some(k) = Cluster::start(&[OBSERVABLE_SIM, &["--fail-images", "*nginx-slim:0.8"]].concat())
    else {
        return;
    };
    let events = k.watch(&["events", "--field-selector", "involvedObject.kind=PetSet"]);
    k.ok(&["create", "-f", "examples/petset.yaml"]);
    k.ok(&["wait", "--for=create", "pod/web-0", "--timeout=60s"]);
    k.ok(&[
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].restartCount}=2",
        "pod/web-0",
        "--timeout=60s",
    ]);
    let pod = k.json(&["pod", "web-0"]);
    let container = &pod["status"]["containerStatuses"][0];
    assert_eq!(container["state"]["waiting"]["reason"], "CrashLoopBackOff");
    assert_eq!(container["lastState"]["terminated"]["exitCode"], 1);
    assert_eq!(container["ready"], false);
    assert!(!is_ready(&pod));
    let failing = events.wait_for("PetFailing", WAIT, |e| reason(e) == "PetFailing");
    assert_eq!(failing["object"]["type"], "Warning");
    assert_eq!(
        pod_names(&k, "app=nginx"),
        ["web-0"],
        "web-1 waits for a healthy web-0"
    );
    let backoffs = k.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=web-0,reason=BackOff",
        "-o",
        "name",
    ]);
    assert!(backoffs.lines().count() >= 2, "{backoffs}");
    let table = k.ok(&["get", "pod", "web-0", "--no-headers"]);
    let columns: Vec<&str> = table.split_whitespace().collect();
    assert_eq!(columns[1..3], ["0/1", "CrashLoopBackOff"], "{table}");
    // kubectl logs shows the last run of the crashing container.
    assert_eq!(
        k.ok(&["logs", "web-0"]),
        "[petctl local kubelet] container nginx (image gcr.io/google_containers/nginx-slim:0.8) exited with code 1: the image matches the server's --fail-images\n"
    );
    events.stop();
}

#[test]
fn a_broken_rolling_update_stops_at_the_first_pod() {
    let Some(k) = Cluster::start(&[OBSERVABLE_SIM, &["--fail-images", "*:broken"]].concat()) else {
        return;
    };
    k.ok_in(&["create", "-f", "-"], &sts("db", 3, "busybox:1.36").yaml());
    k.ok(&["rollout", "status", "sts/db", "--timeout=60s"]);
    k.ok(&["set", "image", "sts/db", "main=busybox:broken"]);
    // db-2 is deleted and re-created; wait for the new one to exist before
    // waiting on it, as kubectl wait fails on a pod that is not there.
    k.ok(&[
        "wait",
        "--for=jsonpath={.status.updatedReplicas}=1",
        "sts/db",
        "--timeout=60s",
    ]);
    k.ok(&[
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].restartCount}=2",
        "pod/db-2",
        "--timeout=60s",
    ]);
    let set = k.json(&["sts", "db"]);
    assert_eq!(set["status"]["updatedReplicas"], 1, "{}", set["status"]);
    assert_eq!(set["status"]["readyReplicas"], 2, "{}", set["status"]);
    for pod in ["db-0", "db-1"] {
        let pod = k.json(&["pod", pod]);
        assert_eq!(pod["spec"]["containers"][0]["image"], "busybox:1.36");
        assert!(is_ready(&pod));
    }
    assert_eq!(
        k.json(&["pod", "db-2"])["spec"]["containers"][0]["image"],
        "busybox:broken"
    );
    let rollout = k.run(&["rollout", "status", "sts/db", "--timeout=1s"]);
    assert_ne!(rollout.code, 0, "{rollout}");
}

#[test]
fn nodes_scheduling_and_per_pod_delays() {
    let Some(k) = Cluster::start(&[NEVER_READY, &["--nodes", "3"]].concat()) else {
        return;
    };
    let nodes = k.ok(&["get", "nodes", "--no-headers"]);
    let rows: Vec<Vec<&str>> = nodes
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows.iter().map(|r| (r[0], r[1])).collect::<Vec<_>>(),
        [
            ("local-node-0", "Ready"),
            ("local-node-1", "Ready"),
            ("local-node-2", "Ready")
        ]
    );
    // The annotation overrides the 10 minute ready delay.
    k.ok_in(
        &["create", "-f", "-"],
        &sts("web", 3, "nginx:1.25")
            .pod_annotation("petctl.local/ready-delay", "\"0s\"")
            .yaml(),
    );
    k.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    let pods = k.json(&["pods", "-l", "app=web"]);
    let mut placed: Vec<&str> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    placed.sort();
    assert_eq!(placed, ["local-node-0", "local-node-1", "local-node-2"]);
    let mut ips: Vec<&str> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"]["podIP"].as_str().unwrap())
        .collect();
    ips.dedup();
    assert_eq!(ips.len(), 3);
    let describe = k.ok(&["describe", "pod", "web-0"]);
    let has_line = |words: &[&str]| {
        describe
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == words)
    };
    assert!(has_line(&["Status:", "Running"]), "{describe}");
    assert!(has_line(&["Ready", "True"]), "{describe}");
    for needle in [
        "Successfully assigned default/web-0 to local-node-",
        "Started container main",
    ] {
        assert!(describe.contains(needle), "{needle} in\n{describe}");
    }
    let describe = k.ok(&["describe", "sts", "web"]);
    assert!(
        describe.contains("create Pod web-2 in StatefulSet web successful"),
        "{describe}"
    );
}

#[test]
fn foreground_deletion_waits_for_the_pods() {
    let Some(k) = Cluster::start(SHORT_GRACE) else {
        return;
    };
    k.ok_in(&["create", "-f", "-"], &sts("web", 2, "nginx:1.25").yaml());
    k.ok(&["rollout", "status", "sts/web", "--timeout=60s"]);
    let pods = k.watch(&["pods", "-l", "app=web"]);
    k.ok(&[
        "delete",
        "sts",
        "web",
        "--cascade=foreground",
        "--wait=false",
    ]);
    let set = k.json(&["sts", "web"]);
    assert_eq!(
        set["metadata"]["finalizers"],
        serde_json::json!(["foregroundDeletion"])
    );
    assert!(!set["metadata"]["deletionTimestamp"].is_null());
    k.ok(&["wait", "--for=delete", "sts/web", "--timeout=60s"]);
    // The set went only after both pods were gone.
    pods.wait_for("web-0 gone", WAIT, |e| {
        e["type"] == "DELETED" && e["object"]["metadata"]["name"] == "web-0"
    });
    assert!(pod_names(&k, "app=web").is_empty());
    pods.stop();
}
