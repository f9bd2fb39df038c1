//! Ports of upstream's StatefulSet [Conformance] tests that break a pet's
//! readiness probe (test/e2e/apps/statefulset.go), with the real kubectl
//! and the `petctl.local/readiness` annotation in place of moving
//! index.html away: the rolling update and roll back of a template with a
//! broken pet (`rollbackTest`), and burst scaling of a Parallel set with
//! unhealthy pets. Each is asserted on a recorded watch timeline.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::local_guide::Cluster;
use crate::local_probes::pod_history;
use crate::support::{SetManifest, FAST_SIM};
use crate::timeline::{
    deletion_order, last_state, ready, terminating, text, Entry, Resource, Timeline,
};

const WAIT: Duration = Duration::from_secs(30);
/// upstream's `WebserverImage` and `NewWebserverImage`.
const OLD_IMAGE: &str = "httpd:2.4.38-alpine";
const NEW_IMAGE: &str = "httpd:2.4.39-alpine";
const READINESS: &str = "petctl.local/readiness";

/// upstream's `NewStatefulSet("ss", ns, "test", replicas, …)` after
/// `setHTTPProbe`: a webserver probed with GET /index.html on port 80
/// every second, one failure or success decides.
fn webserver_set(replicas: i64, policy: &str) -> String {
    let yaml = SetManifest::statefulset("ss")
        .with_service("test")
        .replicas(replicas)
        .pod_management_policy(policy)
        .container("webserver", OLD_IMAGE)
        .yaml();
    let image = format!("        image: {OLD_IMAGE}\n");
    let probe = "        readinessProbe:\n          httpGet:\n            path: /index.html\n            port: 80\n          periodSeconds: 1\n          successThreshold: 1\n          failureThreshold: 1\n";
    assert!(yaml.contains(&image), "{yaml}");
    yaml.replace(&image, &format!("{image}{probe}"))
}

/// A cluster, a timeline recording from before the set, and the set.
fn start_with_set(replicas: i64, policy: &str) -> Option<(Cluster, Timeline)> {
    let k = Cluster::start(FAST_SIM)?;
    let timeline = Timeline::start(&k.server, "default");
    k.ok_in(&["create", "-f", "-"], &webserver_set(replicas, policy));
    Some((k, timeline))
}

/// upstream's `breakPodHTTPProbe` / `restorePodHTTPProbe` on one pet, or
/// `breakHTTPProbe` / `restoreHTTPProbe` on every pet (`-l app=ss`);
/// `Ready` is the condition status to wait for on `pods` afterwards.
fn set_readiness(k: &Cluster, target: &[&str], value: &str, pods: &[&str], want: &str) {
    let annotation = format!("{READINESS}={value}");
    k.ok(&[&["annotate", "pod"], target, &[&annotation, "--overwrite"]].concat());
    let condition = format!("--for=condition=Ready={want}");
    for pod in pods {
        let pod = format!("pod/{pod}");
        k.ok(&["wait", "--for=create", &pod, "--timeout=30s"]);
        k.ok(&["wait", &condition, &pod, "--timeout=30s"]);
    }
}

/// The StatefulSet `ss` as last seen, when its status is of its current
/// generation.
fn observed_set(entries: &[Entry]) -> Option<Value> {
    last_state(entries, Resource::StatefulSet)
        .remove("ss")
        .filter(|set| {
            set.pointer("/status/observedGeneration") == set.pointer("/metadata/generation")
        })
}

fn status<'a>(set: &'a Value, field: &str) -> &'a str {
    text(set, &format!("/status/{field}"))
}

fn count(set: &Value, field: &str) -> i64 {
    set.pointer(&format!("/status/{field}"))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

fn readiness_of(pod: &Value) -> &str {
    pod.pointer("/metadata/annotations")
        .and_then(|a| a.get(READINESS))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn pod_revision(pod: &Value) -> &str {
    text(pod, "/metadata/labels/controller-revision-hash")
}

/// The pods of `ss` as the server has them now, by ordinal.
fn pods_now(k: &Cluster) -> Vec<Value> {
    let list = k.json(&["pods", "-l", "app=ss"]);
    let mut pods = list["items"].as_array().cloned().unwrap_or_default();
    pods.sort_by_key(|p| text(p, "/metadata/name").to_string());
    pods
}

/// Every pod created on the timeline, in revision order: its name and the
/// revision it was created at.
fn creations(entries: &[Entry]) -> Vec<(String, String)> {
    pod_history(entries)
        .into_iter()
        .filter(|(before, pod, deleted)| {
            let was = before.get(text(pod, "/metadata/name"));
            !deleted && was.is_none_or(|p| text(p, "/metadata/uid") != text(pod, "/metadata/uid"))
        })
        .map(|(_, pod, _)| {
            let name = text(&pod, "/metadata/name").to_string();
            (name, pod_revision(&pod).to_string())
        })
        .collect()
}

/// Every pod just before each change `pick` chooses (it sees the pod
/// before, the pod after, and whether it was deleted), in revision order.
fn pods_before_each(
    entries: &[Entry],
    pick: impl Fn(Option<&Value>, &Value, bool) -> bool,
) -> Vec<BTreeMap<String, Value>> {
    pod_history(entries)
        .into_iter()
        .filter(|(before, pod, deleted)| {
            pick(before.get(text(pod, "/metadata/name")), pod, *deleted)
        })
        .map(|(before, _, _)| before)
        .collect()
}

/// The change starts the deletion of `name`'s pod: marks it, or removes
/// it unmarked.
fn deletes(name: &str) -> impl Fn(Option<&Value>, &Value, bool) -> bool + '_ {
    move |before, pod, deleted| {
        text(pod, "/metadata/name") == name
            && (deleted || terminating(pod))
            && !before.is_some_and(terminating)
    }
}

fn ready_with(pods: &BTreeMap<String, Value>, name: &str, readiness: &str) -> bool {
    pods.get(name)
        .is_some_and(|p| ready(p) && readiness_of(p) == readiness)
}

/// `waitForRollingUpdate`: every pet is on the update revision and the
/// set says so; the revision it rolled to.
fn wait_rolled(k: &Cluster, timeline: &Timeline, what: &str, image: &str) -> String {
    timeline.wait_for(what, WAIT, |e| {
        observed_set(e).is_some_and(|set| {
            let update = status(&set, "updateRevision");
            let pods = last_state(e, Resource::Pod);
            status(&set, "currentRevision") == update
                && pods.len() == 3
                && pods.values().all(|p| pod_revision(p) == update)
        })
    });
    k.wait_ready(&["ss-0", "ss-1", "ss-2"]);
    let set = k.json(&["sts", "ss"]);
    let revision = status(&set, "updateRevision").to_string();
    assert_eq!(status(&set, "currentRevision"), revision);
    for pod in pods_now(k) {
        assert_eq!(pod_revision(&pod), revision, "{pod}");
        assert_eq!(text(&pod, "/spec/containers/0/image"), image, "{pod}");
    }
    revision
}

/// `waitForStatus` after a template change: the controller made a new
/// update revision and the current one stays; both are returned.
fn wait_new_revision(timeline: &Timeline, what: &str, from: &str) -> (String, String) {
    timeline.wait_for(what, WAIT, |e| {
        observed_set(e).is_some_and(|set| {
            status(&set, "updateRevision") != from && status(&set, "currentRevision") == from
        })
    });
    let set = observed_set(&timeline.entries()).unwrap_or_default();
    let revisions = (
        status(&set, "currentRevision"),
        status(&set, "updateRevision"),
    );
    (revisions.0.to_string(), revisions.1.to_string())
}

// upstream: "should perform rolling updates and roll backs of template
// modifications [Conformance]" (test/e2e/apps/statefulset.go, rollbackTest).
#[test]
fn a_template_rolls_out_and_back_in_reverse_ordinal_order_past_a_broken_pet() {
    let Some((k, timeline)) = start_with_set(3, "OrderedReady") else {
        return;
    };
    let first = wait_rolled(&k, &timeline, "3 pets on one revision", OLD_IMAGE);

    // ss-1 unhealthy while the template changes: the update waits for it.
    set_readiness(&k, &["ss-1"], "fail", &["ss-1"], "false");
    let image = format!("webserver={NEW_IMAGE}");
    k.ok(&["set", "image", "sts/ss", &image]);
    let (current, update) = wait_new_revision(&timeline, "a new update revision", &first);
    assert_eq!(current, first);
    assert_ne!(update, first);
    set_readiness(&k, &["ss-1"], "pass", &["ss-1"], "true");
    let second = wait_rolled(&k, &timeline, "every pet on the new revision", NEW_IMAGE);
    assert_eq!(second, update);

    // Roll back with the new ss-1 unhealthy: to the prior revision itself.
    set_readiness(&k, &["ss-1"], "fail", &["ss-1"], "false");
    let image = format!("webserver={OLD_IMAGE}");
    k.ok(&["set", "image", "sts/ss", &image]);
    let (current, update) = wait_new_revision(&timeline, "the prior revision back", &second);
    assert_eq!((current.as_str(), update.as_str()), (&*second, &*first));
    set_readiness(&k, &["ss-1"], "pass", &["ss-1"], "true");
    let back = wait_rolled(
        &k,
        &timeline,
        "every pet back on the prior revision",
        OLD_IMAGE,
    );
    assert_eq!(back, first);
    let entries = timeline.stop();

    // Created in order, then replaced from the top, twice.
    let at = |name: &str, revision: &str| (name.to_string(), revision.to_string());
    assert_eq!(
        creations(&entries),
        [
            at("ss-0", &first),
            at("ss-1", &first),
            at("ss-2", &first),
            at("ss-2", &second),
            at("ss-1", &second),
            at("ss-0", &second),
            at("ss-2", &first),
            at("ss-1", &first),
            at("ss-0", &first),
        ]
    );
    assert_eq!(
        deletion_order("ss", &entries),
        ["ss-2", "ss-1", "ss-0", "ss-2", "ss-1", "ss-0"]
    );
    // ss-2 went, each time, only once the broken ss-1 was Ready again; each
    // later pet only once the one above it was Ready on the new revision.
    let removals = |name: &str| pods_before_each(&entries, deletes(name));
    for before in removals("ss-2") {
        assert!(ready_with(&before, "ss-1", "pass"), "{before:#?}");
    }
    for (pet, above) in [("ss-1", "ss-2"), ("ss-0", "ss-1")] {
        let rolls = removals(pet);
        assert_eq!(rolls.len(), 2, "{pet}: {rolls:#?}");
        for (before, revision) in rolls.iter().zip([&second, &first]) {
            let above_pod = &before[above];
            assert!(ready(above_pod), "{above} not Ready: {above_pod}");
            assert_eq!(pod_revision(above_pod), revision.as_str(), "{above_pod}");
        }
    }
}

// upstream: "Burst scaling should run to completion even with unhealthy
// pods [Slow] [Conformance]" (test/e2e/apps/statefulset.go).
#[test]
fn a_parallel_set_scales_in_a_burst_past_unhealthy_pets() {
    let Some((k, timeline)) = start_with_set(1, "Parallel") else {
        return;
    };
    k.wait_ready(&["ss-0"]);

    // Scale-up does not halt with an unhealthy pet.
    set_readiness(&k, &["ss-0"], "fail", &["ss-0"], "false");
    timeline.wait_for("readyReplicas 0", WAIT, |e| {
        observed_set(e).is_some_and(|set| count(&set, "readyReplicas") == 0)
    });
    k.ok(&["scale", "sts", "ss", "--replicas=3"]);
    for pod in ["pod/ss-1", "pod/ss-2"] {
        k.ok(&["wait", "--for=create", pod, "--timeout=30s"]);
    }
    set_readiness(&k, &["ss-0"], "pass", &["ss-0", "ss-1", "ss-2"], "true");

    // Scale-down does not halt with every pet unhealthy.
    set_readiness(
        &k,
        &["-l", "app=ss"],
        "fail",
        &["ss-0", "ss-1", "ss-2"],
        "false",
    );
    timeline.wait_for("readyReplicas 0 of 3", WAIT, |e| {
        observed_set(e)
            .is_some_and(|set| count(&set, "replicas") == 3 && count(&set, "readyReplicas") == 0)
    });
    k.ok(&["scale", "sts", "ss", "--replicas=0"]);
    k.wait_gone(&["pod/ss-0", "pod/ss-1", "pod/ss-2"]);
    timeline.wait_for("status replicas 0", WAIT, |e| {
        observed_set(e).is_some_and(|set| count(&set, "replicas") == 0)
    });
    let entries = timeline.stop();

    let mut created: Vec<String> = creations(&entries).into_iter().map(|(n, _)| n).collect();
    created.sort();
    assert_eq!(created, ["ss-0", "ss-1", "ss-2"]);
    // ss-1 and ss-2 came while ss-0 was failing its probe, and ss-2 did
    // not wait for ss-1 to be Ready.
    let born = |name: &'static str| {
        pods_before_each(&entries, move |before, pod, deleted| {
            text(pod, "/metadata/name") == name && !deleted && before.is_none()
        })
    };
    for before in born("ss-1").iter().chain(&born("ss-2")) {
        let ss0 = &before["ss-0"];
        assert!(!ready(ss0), "ss-0 Ready: {ss0}");
        assert_eq!(readiness_of(ss0), "fail");
    }
    for before in born("ss-2") {
        assert!(!before.get("ss-1").is_some_and(ready), "{before:#?}");
    }
    // Every pet went while none was Ready.
    let mut deleted = deletion_order("ss", &entries);
    deleted.sort();
    assert_eq!(deleted, ["ss-0", "ss-1", "ss-2"]);
    for pet in ["ss-0", "ss-1", "ss-2"] {
        for before in pods_before_each(&entries, deletes(pet)) {
            assert!(before.values().all(|p| !ready(p)), "{pet}: {before:#?}");
        }
    }
}
