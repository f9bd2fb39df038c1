//! StorageClasses and volume expansion with the real kubectl: the default
//! class `standard` and its table, fixed class fields, claims of a missing
//! class or of another provisioner left Pending with upstream's events, a
//! claim grown with `kubectl patch pvc` through the resize conditions in
//! order (online, and offline until the pet restarts, on a StatefulSet's
//! claim template naming its class), an infeasible one, the refusals of an
//! expansion the class does not allow and of a shrink, `local up`'s default
//! class flags, the retroactive default and WaitForFirstConsumer.

use std::time::Duration;

use serde_json::{json, Value};

use crate::local_guide::Cluster;
use crate::support::{normalize, SetManifest, READY_AT_ONCE};
use crate::timeline::{by_revision, text, Resource, Timeline};

const WAIT: Duration = Duration::from_secs(60);

fn class(name: &str, provisioner: &str, extra: Value) -> String {
    let mut class = json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": name}, "provisioner": provisioner,
    });
    if let (Some(map), Value::Object(extra)) = (class.as_object_mut(), extra) {
        map.extend(extra);
    }
    class.to_string()
}

/// Creates a class of the local provisioner.
fn local_class(k: &Cluster, name: &str, extra: Value) {
    k.ok_in(
        &["create", "-f", "-"],
        &class(name, "petctl.local/hostpath", extra),
    );
}

fn claim(name: &str, class: &str) -> String {
    json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {"storageClassName": class, "accessModes": ["ReadWriteOnce"],
                 "resources": {"requests": {"storage": "1Gi"}}},
    })
    .to_string()
}

/// A pod that mounts the claim `claim`.
fn pod(name: &str, claim: &str) -> String {
    json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {
            "containers": [{"name": "main", "image": "nginx:1.25",
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        },
    })
    .to_string()
}

fn wait_bound(k: &Cluster, claim: &str) {
    k.ok(&[
        "wait",
        "--for=jsonpath={.status.phase}=Bound",
        &format!("pvc/{claim}"),
        "--timeout=60s",
    ]);
}

fn grow(k: &Cluster, claim: &str, size: &str) -> crate::support::Run {
    let patch = json!({"spec": {"resources": {"requests": {"storage": size}}}}).to_string();
    k.run(&["patch", "pvc", claim, "-p", &patch])
}

/// The resize status and condition types of a claim, as one step.
fn resize_step(claim: &Value) -> (String, Vec<String>) {
    let state = text(claim, "/status/allocatedResourceStatuses/storage").to_string();
    let conditions = claim["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| text(c, "/type").to_string())
        .collect();
    (state, conditions)
}

/// The distinct resize steps a watch of one claim saw, in order.
fn steps(events: &[Value]) -> Vec<(String, Vec<String>)> {
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    for event in events {
        let step = resize_step(&event["object"]);
        if steps.last() != Some(&step) {
            steps.push(step);
        }
    }
    steps
}

fn step(state: &str, conditions: &[&str]) -> (String, Vec<String>) {
    (
        state.to_string(),
        conditions.iter().map(|c| c.to_string()).collect(),
    )
}

fn reasons(k: &Cluster, claim: &str) -> Vec<String> {
    let selector = format!("involvedObject.name={claim},involvedObject.kind=PersistentVolumeClaim");
    let events = k.json(&["events", "--field-selector", &selector]);
    let mut items: Vec<Value> = events["items"].as_array().cloned().unwrap_or_default();
    items.sort_by_key(|e| {
        text(e, "/metadata/resourceVersion")
            .parse::<u64>()
            .unwrap_or(0)
    });
    items
        .iter()
        .map(|e| text(e, "/reason").to_string())
        .collect()
}

#[test]
fn the_default_class_is_standard_and_its_provisioner_is_fixed() {
    let Some(k) = Cluster::start(READY_AT_ONCE) else {
        return;
    };
    assert_eq!(
        normalize(&k.ok(&["get", "sc"])),
        "NAME                 PROVISIONER             RECLAIMPOLICY   VOLUMEBINDINGMODE   ALLOWVOLUMEEXPANSION   AGE\n\
         standard (default)   petctl.local/hostpath   Delete          Immediate           false                  <age>\n"
    );
    let run = k.run(&[
        "patch",
        "sc",
        "standard",
        "-p",
        r#"{"provisioner":"example.com/nfs"}"#,
    ]);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        run.stderr.trim(),
        "The StorageClass \"standard\" is invalid: provisioner: Forbidden: updates to provisioner are forbidden."
    );
    // allowVolumeExpansion is not fixed.
    k.ok(&[
        "patch",
        "sc",
        "standard",
        "-p",
        r#"{"allowVolumeExpansion":true}"#,
    ]);
    k.ok_in(&["create", "-f", "-"], &json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "plain"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }).to_string());
    wait_bound(&k, "plain");
    let claim = k.json(&["pvc", "plain"]);
    assert_eq!(claim["spec"]["storageClassName"], "standard", "{claim}");
}

#[test]
fn claims_of_a_missing_class_or_another_provisioner_stay_pending() {
    let Some(k) = Cluster::start(READY_AT_ONCE) else {
        return;
    };
    k.ok_in(
        &["create", "-f", "-"],
        &class("nfs", "example.com/nfs", json!({})),
    );
    k.ok_in(&["create", "-f", "-"], &claim("shared", "nfs"));
    k.ok_in(&["create", "-f", "-"], &claim("later", "late"));
    let external = crate::local_patch::watch_until(
        &k.server,
        "/api/v1/namespaces/default/events",
        "ExternalProvisioning",
        WAIT,
        |e| e["reason"] == "ExternalProvisioning",
    );
    assert_eq!(
        external["message"],
        "Waiting for a volume to be created either by the external provisioner 'example.com/nfs' \
         or manually by the system administrator. If volume creation is delayed, please verify \
         that the provisioner is running and correctly registered."
    );
    let failed = crate::local_patch::watch_until(
        &k.server,
        "/api/v1/namespaces/default/events",
        "ProvisioningFailed",
        WAIT,
        |e| e["reason"] == "ProvisioningFailed",
    );
    assert_eq!(failed["type"], "Warning");
    assert_eq!(
        failed["message"],
        "storageclass.storage.k8s.io \"late\" not found"
    );
    assert_eq!(failed["involvedObject"]["name"], "later");
    let shared = k.json(&["pvc", "shared"]);
    assert_eq!(shared["status"]["phase"], "Pending");
    assert_eq!(
        shared["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"],
        "example.com/nfs"
    );
    // The class arrives: its claim is provisioned after all.
    local_class(&k, "late", json!({}));
    wait_bound(&k, "later");
    assert_eq!(k.json(&["pvc", "shared"])["status"]["phase"], "Pending");
}

#[test]
fn kubectl_patch_grows_a_claim_through_the_resize_conditions() {
    let Some(k) = Cluster::start(READY_AT_ONCE) else {
        return;
    };
    local_class(&k, "expandable", json!({"allowVolumeExpansion": true}));
    k.ok_in(&["create", "-f", "-"], &claim("data", "expandable"));
    k.ok_in(&["create", "-f", "-"], &pod("app", "data"));
    k.wait_ready(&["app"]);
    let watch = k.watch(&["pvc", "data"]);
    let run = grow(&k, "data", "2Gi");
    assert_eq!(run.code, 0, "{run}");
    watch.wait_for("the grown capacity", WAIT, |e| {
        text(&e["object"], "/status/capacity/storage") == "2Gi"
    });
    let events = watch.stop();
    assert_eq!(
        steps(&events),
        [
            step("", &[]),
            step("ControllerResizeInProgress", &["Resizing"]),
            step("NodeResizePending", &["FileSystemResizePending"]),
            step("NodeResizeInProgress", &["FileSystemResizePending"]),
            step("", &[]),
        ]
    );
    let claim = k.json(&["pvc", "data"]);
    assert_eq!(claim["status"]["capacity"]["storage"], "2Gi");
    assert_eq!(claim["status"]["allocatedResources"]["storage"], "2Gi");
    let volume = k.json(&["pv", text(&claim, "/spec/volumeName")]);
    assert_eq!(volume["spec"]["capacity"]["storage"], "2Gi");
    let reasons = reasons(&k, "data");
    let resize: Vec<&str> = reasons
        .iter()
        .map(String::as_str)
        .filter(|r| !matches!(*r, "ProvisioningSucceeded" | "Bound"))
        .collect();
    assert_eq!(
        resize,
        [
            "ExternalExpanding",
            "Resizing",
            "FileSystemResizeRequired",
            "FileSystemResizeSuccessful"
        ]
    );
}

#[test]
fn a_class_without_expansion_refuses_to_grow_and_no_claim_shrinks() {
    let Some(k) = Cluster::start(READY_AT_ONCE) else {
        return;
    };
    k.ok_in(&["create", "-f", "-"], &claim("data", "standard"));
    wait_bound(&k, "data");
    let run = grow(&k, "data", "2Gi");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        run.stderr.trim(),
        "Error from server (Forbidden): persistentvolumeclaims \"data\" is forbidden: only dynamically \
         provisioned pvc can be resized and the storageclass that provisions the pvc must support resize"
    );
    let run = grow(&k, "data", "512Mi");
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        run.stderr.trim(),
        "The PersistentVolumeClaim \"data\" is invalid: spec.resources.requests.storage: Forbidden: \
         field can not be less than status.capacity"
    );
    assert_eq!(
        k.json(&["pvc", "data"])["spec"]["resources"]["requests"]["storage"],
        "1Gi"
    );
}

#[test]
fn an_offline_resize_of_a_statefulset_claim_waits_for_the_pet_to_restart() {
    let Some(k) = Cluster::start(READY_AT_ONCE) else {
        return;
    };
    local_class(
        &k,
        "offline",
        json!({"allowVolumeExpansion": true, "parameters": {"resize": "offline"}}),
    );
    let mut set = SetManifest::statefulset("web")
        .replicas(1)
        .container("main", "nginx:1.25")
        .mount("www", "/data")
        .claim("www")
        .json();
    set["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = json!("offline");
    k.ok_in(&["create", "-f", "-"], &set.to_string());
    k.wait_ready(&["web-0"]);
    assert_eq!(
        k.json(&["pvc", "www-web-0"])["spec"]["storageClassName"],
        "offline"
    );
    let old_pod = text(&k.json(&["pod", "web-0"]), "/metadata/uid").to_string();
    let timeline = Timeline::start(&k.server, "default");
    let run = grow(&k, "www-web-0", "3Gi");
    assert_eq!(run.code, 0, "{run}");
    timeline.wait_for("the node's turn", WAIT, |entries| {
        crate::timeline::last_state(entries, Resource::Claim)
            .get("www-web-0")
            .is_some_and(|c| resize_step(c).0 == "NodeResizePending")
    });
    k.ok(&["delete", "pod", "web-0", "--wait=false"]);
    timeline.wait_for("the grown capacity", WAIT, |entries| {
        crate::timeline::last_state(entries, Resource::Claim)
            .get("www-web-0")
            .is_some_and(|c| text(c, "/status/capacity/storage") == "3Gi")
    });
    let entries = timeline.stop();
    let (_, changes) = by_revision(&entries);
    let grown = changes
        .iter()
        .find(|c| {
            c.resource == Resource::Claim && text(c.object, "/status/capacity/storage") == "3Gi"
        })
        .map(|c| c.revision)
        .expect("the claim grew");
    let new_pet_running = changes
        .iter()
        .find(|c| {
            c.resource == Resource::Pod
                && !c.deleted
                && text(c.object, "/metadata/uid") != old_pod
                && text(c.object, "/status/phase") == "Running"
        })
        .map(|c| c.revision)
        .expect("the pet came back");
    assert!(
        new_pet_running < grown,
        "the filesystem grew (rev {grown}) before the restarted pet ran (rev {new_pet_running})"
    );
}

fn watch_event(k: &Cluster, what: &str, reason: &str) -> Value {
    crate::local_patch::watch_until(
        &k.server,
        "/api/v1/namespaces/default/events",
        what,
        WAIT,
        |e| e["reason"] == reason,
    )
}

#[test]
fn local_up_names_the_default_class_and_a_late_default_is_given_retroactively() {
    let Some(k) = Cluster::start(
        &[
            READY_AT_ONCE,
            &[
                "--default-storage-class",
                "fast",
                "--allow-volume-expansion",
            ],
        ]
        .concat(),
    ) else {
        return;
    };
    assert_eq!(
        normalize(&k.ok(&["get", "sc"])),
        "NAME             PROVISIONER             RECLAIMPOLICY   VOLUMEBINDINGMODE   ALLOWVOLUMEEXPANSION   AGE\n\
         fast (default)   petctl.local/hostpath   Delete          Immediate           true                   <age>\n"
    );
    k.ok(&["delete", "sc", "fast"]);
    let classless = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "orphan"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    });
    k.ok_in(&["create", "-f", "-"], &classless.to_string());
    let waiting = watch_event(&k, "FailedBinding", "FailedBinding");
    assert_eq!(
        waiting["message"],
        "no persistent volumes available for this claim and no storage class is set"
    );
    assert!(k.json(&["pvc", "orphan"])["spec"]
        .get("storageClassName")
        .is_none());
    local_class(
        &k,
        "late",
        json!({"metadata": {"name": "late", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}}),
    );
    wait_bound(&k, "orphan");
    assert_eq!(
        k.json(&["pvc", "orphan"])["spec"]["storageClassName"],
        "late"
    );
}

#[test]
fn a_wait_for_first_consumer_class_provisions_once_a_pod_uses_the_claim() {
    let Some(k) = Cluster::start(READY_AT_ONCE) else {
        return;
    };
    local_class(
        &k,
        "lazy",
        json!({"volumeBindingMode": "WaitForFirstConsumer"}),
    );
    k.ok_in(&["create", "-f", "-"], &claim("data", "lazy"));
    let waiting = watch_event(&k, "WaitForFirstConsumer", "WaitForFirstConsumer");
    assert_eq!(
        waiting["message"],
        "waiting for first consumer to be created before binding"
    );
    assert_eq!(k.json(&["pvc", "data"])["status"]["phase"], "Pending");
    k.ok_in(&["create", "-f", "-"], &pod("app", "data"));
    wait_bound(&k, "data");
    k.wait_ready(&["app"]);
}

#[test]
fn an_infeasible_expansion_fails_with_volume_resize_failed() {
    let Some(k) = Cluster::start(READY_AT_ONCE) else {
        return;
    };
    local_class(
        &k,
        "stuck",
        json!({"allowVolumeExpansion": true, "parameters": {"resize": "infeasible"}}),
    );
    k.ok_in(&["create", "-f", "-"], &claim("data", "stuck"));
    wait_bound(&k, "data");
    let run = grow(&k, "data", "2Gi");
    assert_eq!(run.code, 0, "{run}");
    let failed = watch_event(&k, "VolumeResizeFailed", "VolumeResizeFailed");
    assert_eq!(failed["type"], "Warning");
    let claim = k.json(&["pvc", "data"]);
    assert_eq!(
        claim["status"]["allocatedResourceStatuses"]["storage"],
        "ControllerResizeInfeasible"
    );
    assert_eq!(claim["status"]["capacity"]["storage"], "1Gi");
    assert_eq!(
        failed["message"],
        format!(
            "resize volume \"{}\" by resizer \"petctl.local/hostpath\" failed: rpc error: code = OutOfRange \
             desc = the class's parameter resize is infeasible",
            text(&claim, "/spec/volumeName")
        )
    );
}
