//! Probes and runtime faults of the simulated kubelet with the real
//! kubectl, asserted on recorded watch timelines: a readiness probe made to
//! fail halts an OrderedReady scale-up and scale-down until the pet is
//! Ready again (upstream e2e "Scaling should happen in predictable order
//! and halt if any stateful pod is unhealthy"), a failing liveness probe
//! crash-loops with the kubelet's (scaled) back-off, exits with a code,
//! a termination that hangs, and delay annotations changed on a running pod.

use std::collections::BTreeMap;
use std::time::Duration;

use petctl::client::watch::Event;
use serde_json::Value;

use crate::local_guide::Cluster;
use crate::support::{SetManifest, FAST_SIM, NEVER_READY};
use crate::timeline::{
    by_revision, creation_order, deletion_order, last_state, ready, terminating, text, Entry,
    Resource, Timeline,
};

const WAIT: Duration = Duration::from_secs(60);

/// upstream's `setHTTPProbe`: GET /index.html on port 80 every second,
/// one failure or success decides.
const HTTP_PROBE: &str = "        readinessProbe:\n          httpGet:\n            path: /index.html\n            port: 80\n          periodSeconds: 1\n          successThreshold: 1\n          failureThreshold: 1\n";

/// The StatefulSet `ss` of the e2e test: one webserver pet with the probe.
fn probed_set() -> String {
    let yaml = SetManifest::statefulset("ss")
        .with_service("test")
        .replicas(1)
        .container("webserver", "httpd:2.4.38-alpine")
        .yaml();
    let image = "        image: httpd:2.4.38-alpine\n";
    assert!(yaml.contains(image), "{yaml}");
    yaml.replace(image, &format!("{image}{HTTP_PROBE}"))
}

/// The pod changes after the first lists, in revision order, each with the
/// state of every pod (by name) just before it.
pub(crate) fn pod_history(entries: &[Entry]) -> Vec<(BTreeMap<String, Value>, Value, bool)> {
    let (initial, changes) = by_revision(entries);
    let mut pods: BTreeMap<String, Value> = BTreeMap::new();
    for entry in initial.iter().filter(|e| e.resource == Resource::Pod) {
        if let Event::Restarted(items) = &entry.event {
            for pod in items {
                pods.insert(text(pod, "/metadata/name").to_string(), pod.clone());
            }
        }
    }
    let mut history = Vec::new();
    for change in changes.iter().filter(|c| c.resource == Resource::Pod) {
        let name = text(change.object, "/metadata/name").to_string();
        history.push((pods.clone(), change.object.clone(), change.deleted));
        if change.deleted {
            pods.remove(&name);
        } else {
            pods.insert(name, change.object.clone());
        }
    }
    history
}

/// The state of every pod just before the first change `pick` chooses
/// (it sees the pod before and after, and whether it was deleted).
fn pods_before(
    entries: &[Entry],
    what: &str,
    pick: impl Fn(Option<&Value>, &Value, bool) -> bool,
) -> BTreeMap<String, Value> {
    pod_history(entries)
        .into_iter()
        .find(|(before, pod, deleted)| pick(before.get(text(pod, "/metadata/name")), pod, *deleted))
        .map(|(before, _, _)| before)
        .unwrap_or_else(|| panic!("no change of the timeline is {what}"))
}

fn ready_in(pods: &BTreeMap<String, Value>, name: &str) -> bool {
    pods.get(name).is_some_and(ready)
}

fn annotation<'a>(pod: &'a Value, key: &str) -> &'a str {
    pod.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The pod entries of `name` as the watch delivered them, with their times.
fn pod_entries<'a>(entries: &'a [Entry], name: &str) -> Vec<(Duration, &'a Value)> {
    entries
        .iter()
        .filter(|e| e.resource == Resource::Pod)
        .filter_map(|e| match &e.event {
            Event::Applied(pod) if text(pod, "/metadata/name") == name => Some((e.at, pod)),
            _ => None,
        })
        .collect()
}

/// The last StatefulSet `ss` seen wants `replicas` and its status says the
/// controller acted on that generation.
fn observed(entries: &[Entry], replicas: i64) -> bool {
    last_state(entries, Resource::StatefulSet)
        .get("ss")
        .is_some_and(|set| {
            set.pointer("/spec/replicas").and_then(Value::as_i64) == Some(replicas)
                && set.pointer("/status/observedGeneration") == set.pointer("/metadata/generation")
        })
}

#[test]
fn an_unready_pet_halts_ordered_scaling_until_it_is_ready_again() {
    let Some(k) = Cluster::start(FAST_SIM) else {
        return;
    };
    let timeline = Timeline::start(&k.server, "default");
    k.ok_in(&["create", "-f", "-"], &probed_set());
    k.wait_ready(&["ss-0"]);

    // Scale-up halts with an unhealthy pet.
    k.ok(&["annotate", "pod", "ss-0", "petctl.local/readiness=fail"]);
    k.ok(&[
        "wait",
        "--for=condition=Ready=false",
        "pod/ss-0",
        "--timeout=30s",
    ]);
    k.ok(&["scale", "sts", "ss", "--replicas=3"]);
    timeline.wait_for("the controller to act on replicas 3", WAIT, |e| {
        observed(e, 3)
    });
    assert_eq!(creation_order("ss", &timeline.entries()), ["ss-0"]);
    k.ok(&[
        "annotate",
        "pod",
        "ss-0",
        "petctl.local/readiness=pass",
        "--overwrite",
    ]);
    k.wait_ready(&["ss-0", "ss-1", "ss-2"]);

    // Scale-down halts while the pets are unhealthy.
    let annotate_all = |value: &str| {
        let annotation = format!("petctl.local/readiness={value}");
        k.ok(&[
            "annotate",
            "pod",
            "-l",
            "app=ss",
            &annotation,
            "--overwrite",
        ]);
    };
    annotate_all("fail");
    for pod in ["pod/ss-0", "pod/ss-1", "pod/ss-2"] {
        k.ok(&["wait", "--for=condition=Ready=false", pod, "--timeout=30s"]);
    }
    k.ok(&["scale", "sts", "ss", "--replicas=0"]);
    timeline.wait_for("the controller to act on replicas 0", WAIT, |e| {
        observed(e, 0)
    });
    assert!(deletion_order("ss", &timeline.entries()).is_empty());
    annotate_all("pass");
    k.ok(&[
        "wait",
        "--for=delete",
        "pod/ss-0",
        "pod/ss-1",
        "pod/ss-2",
        "--timeout=60s",
    ]);
    let entries = timeline.stop();

    assert_eq!(creation_order("ss", &entries), ["ss-0", "ss-1", "ss-2"]);
    assert_eq!(deletion_order("ss", &entries), ["ss-2", "ss-1", "ss-0"]);
    // ss-1 came only once ss-0 was Ready again, ss-2 went only once
    // ss-0 and ss-1 were.
    let created_1 = pods_before(&entries, "ss-1 created", |before, pod, _| {
        text(pod, "/metadata/name") == "ss-1" && before.is_none()
    });
    assert!(ready_in(&created_1, "ss-0"), "{created_1:?}");
    assert_eq!(
        annotation(&created_1["ss-0"], "petctl.local/readiness"),
        "pass"
    );
    let deleted_2 = pods_before(&entries, "ss-2 terminating", |_, pod, deleted| {
        text(pod, "/metadata/name") == "ss-2" && (deleted || terminating(pod))
    });
    assert!(ready_in(&deleted_2, "ss-0") && ready_in(&deleted_2, "ss-1"));

    // NotReady within failureThreshold × period, plus the timeout the
    // hung probe waits, after the annotation reached the server.
    let ss0 = pod_entries(&entries, "ss-0");
    let (annotated, _) = ss0
        .iter()
        .find(|(_, p)| annotation(p, "petctl.local/readiness") == "fail")
        .expect("the annotation on the timeline");
    let (unready, _) = ss0
        .iter()
        .find(|(at, p)| at >= annotated && !ready(p))
        .expect("ss-0 unready on the timeline");
    let took = *unready - *annotated;
    eprintln!("ss-0 unready {took:?} after the annotation");
    assert!(
        took >= Duration::from_millis(900) && took <= Duration::from_millis(2500),
        "ss-0 went unready {took:?} after the annotation (period 1s × threshold 1 + timeout 1s)"
    );
    let events = k.json(&[
        "events",
        "--field-selector",
        "involvedObject.name=ss-0,reason=Unhealthy",
    ]);
    let messages: Vec<&str> = events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| text(e, "/message"))
        .collect();
    let ip = text(ss0[ss0.len() - 1].1, "/status/podIP");
    let want = format!("Readiness probe failed: Get \"http://{ip}:80/index.html\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
    assert!(messages.contains(&want.as_str()), "{messages:?}");
}

const LIVE_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: live\nspec:\n  containers:\n  - name: main\n    image: nginx:1.25\n    livenessProbe:\n      tcpSocket:\n        port: 80\n      periodSeconds: 1\n      timeoutSeconds: 1\n      failureThreshold: 1\n";

/// One crash-loop back-off seen on the timeline: when the container
/// started waiting, what the status said, when it ran again.
#[derive(Debug)]
struct BackOff {
    waiting_at: Duration,
    restarts: i64,
    message: String,
    running_at: Option<Duration>,
}

fn back_offs(entries: &[Entry], pod: &str) -> Vec<BackOff> {
    let mut found: Vec<BackOff> = Vec::new();
    for (at, p) in pod_entries(entries, pod) {
        let status = &p["status"]["containerStatuses"][0];
        let restarts = status["restartCount"].as_i64().unwrap_or(0);
        if text(status, "/state/waiting/reason") == "CrashLoopBackOff" {
            if found.last().is_none_or(|b| b.restarts != restarts) {
                found.push(BackOff {
                    waiting_at: at,
                    restarts,
                    message: text(status, "/state/waiting/message").to_string(),
                    running_at: None,
                });
            }
        } else if status.pointer("/state/running").is_some() {
            if let Some(last) = found.last_mut() {
                if last.running_at.is_none() && restarts == last.restarts + 1 {
                    last.running_at = Some(at);
                }
            }
        }
    }
    found
}

#[test]
fn a_failing_liveness_probe_crash_loops_with_the_kubelets_back_off() {
    // Back-off 10s × 0.05: 500ms, 1s, 2s, 4s …
    let flags = [
        "--ready-delay",
        "0s",
        "--max-grace",
        "0s",
        "--backoff-scale",
        "0.05",
    ];
    let Some(k) = Cluster::start(&flags) else {
        return;
    };
    let timeline = Timeline::start(&k.server, "default");
    k.ok_in(&["create", "-f", "-"], LIVE_POD);
    k.wait_ready(&["live"]);
    k.ok(&["annotate", "pod", "live", "petctl.local/liveness=fail"]);
    k.ok(&[
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].restartCount}=5",
        "pod/live",
        "--timeout=60s",
    ]);
    let entries = timeline.stop();
    let pod = k.json(&["pod", "live"]);
    let uid = text(&pod, "/metadata/uid");
    let last = &pod["status"]["containerStatuses"][0]["lastState"]["terminated"];
    assert_eq!(last["exitCode"], 137, "{last}");

    // The first kill restarts at once, as the kubelet does; each later one
    // waits out a back-off twice as long as the one before.
    let runs = pod_entries(&entries, "live");
    let restarted_once = runs.iter().any(|(_, p)| {
        let s = &p["status"]["containerStatuses"][0];
        s["restartCount"] == 1 && s.pointer("/state/running").is_some()
    });
    assert!(restarted_once);
    let seen = back_offs(&entries, "live");
    let wants = [
        (1, "500ms", 500),
        (2, "1s", 1000),
        (3, "2s", 2000),
        (4, "4s", 4000),
    ];
    assert!(seen.len() >= wants.len(), "{seen:#?}");
    for (backoff, (restarts, printed, millis)) in seen.iter().zip(wants) {
        assert_eq!(backoff.restarts, restarts, "{seen:#?}");
        assert_eq!(
            backoff.message,
            format!("back-off {printed} restarting failed container=main pod=live_default({uid})")
        );
        let running_at = backoff.running_at.expect("the container ran again");
        let waited = running_at - backoff.waiting_at;
        let want = Duration::from_millis(millis);
        eprintln!("back-off {restarts}: {printed} expected, {waited:?} measured");
        assert!(
            waited + Duration::from_millis(100) >= want && waited <= want + Duration::from_millis(600),
            "back-off {restarts}: waited {waited:?}, upstream's scaled interval is {want:?}\n{seen:#?}"
        );
    }

    let events = k.json(&["events", "--field-selector", "involvedObject.name=live"]);
    let items = events["items"].as_array().cloned().unwrap_or_default();
    let messages = |reason: &str| -> Vec<String> {
        items
            .iter()
            .filter(|e| e["reason"] == reason)
            .map(|e| text(e, "/message").to_string())
            .collect()
    };
    let ip = text(&pod, "/status/podIP");
    assert!(
        messages("Unhealthy").contains(&format!(
            "Liveness probe failed: dial tcp {ip}:80: i/o timeout"
        )),
        "{:?}",
        messages("Unhealthy")
    );
    assert!(messages("Killing")
        .contains(&"Container main failed liveness probe, will be restarted".to_string()));
    assert!(messages("BackOff").contains(&format!(
        "Back-off restarting failed container main in pod live_default({uid})"
    )));
    let table = k.ok(&["get", "pod", "live", "--no-headers"]);
    let columns: Vec<&str> = table.split_whitespace().collect();
    assert!(
        matches!(columns[2], "Running" | "CrashLoopBackOff"),
        "{table}"
    );
}

const HANGING_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: alone\n  annotations:\n    petctl.local/terminate: hang\nspec:\n  containers:\n  - name: main\n    image: busybox:1.36\n";

/// A bare pod whose container exits with `code` after 200 ms.
fn exiting_pod(name: &str, policy: &str, code: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  annotations:\n    petctl.local/exit-after: 200ms\n    petctl.local/exit-code: \"{code}\"\nspec:\n  restartPolicy: {policy}\n  containers:\n  - name: main\n    image: busybox:1.36\n")
}

#[test]
fn exits_hangs_and_delays_follow_the_annotations() {
    let Some(k) = Cluster::start(&[FAST_SIM, &["--backoff-scale", "0.01"]].concat()) else {
        return;
    };
    // exit-after and exit-code: each run exits, the kubelet restarts it.
    let exiting = SetManifest::statefulset("exit")
        .replicas(1)
        .container("main", "busybox:1.36")
        .pod_annotation("petctl.local/exit-after", "\"300ms\"")
        .pod_annotation("petctl.local/exit-code", "\"3\"")
        .yaml();
    k.ok_in(&["create", "-f", "-"], &exiting);
    k.ok(&["wait", "--for=create", "pod/exit-0", "--timeout=60s"]);
    k.ok(&[
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].restartCount}=3",
        "pod/exit-0",
        "--timeout=60s",
    ]);
    let pod = k.json(&["pod", "exit-0"]);
    let last = &pod["status"]["containerStatuses"][0]["lastState"]["terminated"];
    assert_eq!(
        (&last["exitCode"], &last["reason"]),
        (&3.into(), &"Error".into())
    );

    // A restartPolicy that does not restart ends the pod.
    for (policy, code, phase) in [("Never", "3", "Failed"), ("OnFailure", "0", "Succeeded")] {
        let name = format!("once-{}", policy.to_ascii_lowercase());
        k.ok_in(&["create", "-f", "-"], &exiting_pod(&name, policy, code));
        let want = format!("--for=jsonpath={{.status.phase}}={phase}");
        k.ok(&["wait", &want, &format!("pod/{name}"), "--timeout=60s"]);
        let pod = k.json(&["pod", &name]);
        let status = &pod["status"]["containerStatuses"][0];
        assert_eq!(status["restartCount"], 0, "{status}");
        assert_eq!(
            status["state"]["terminated"]["exitCode"],
            code.parse::<i64>().unwrap()
        );
    }

    // terminate=hang: Terminating past the grace period, until forced.
    let hanging = SetManifest::statefulset("hang")
        .replicas(1)
        .container("main", "busybox:1.36")
        .pod_annotation("petctl.local/terminate", "hang")
        .yaml();
    k.ok_in(&["create", "-f", "-"], &hanging);
    k.ok_in(&["create", "-f", "-"], HANGING_POD);
    k.wait_ready(&["hang-0", "alone"]);
    k.ok(&["delete", "pod", "hang-0", "--wait=false"]);
    // FAST_SIM caps the grace period at 100 ms: 2 s is far past it.
    let stuck = k.run(&["wait", "--for=delete", "pod/hang-0", "--timeout=2s"]);
    assert_ne!(stuck.code, 0, "{stuck}");
    assert!(terminating(&k.json(&["pod", "hang-0"])));
    k.ok(&["delete", "pod", "hang-0", "--grace-period=0", "--force"]);
    // The controller re-creates hang-0; the new one is Ready in turn.
    k.wait_ready(&["hang-0"]);
    // Removing the node takes the hanging pod with it (a pod no controller
    // re-creates under the same name).
    k.ok(&["delete", "pod", "alone", "--wait=false"]);
    let stuck = k.run(&["wait", "--for=delete", "pod/alone", "--timeout=1s"]);
    assert_ne!(stuck.code, 0, "{stuck}");
    k.ok(&["delete", "node", "local-node-0"]);
    k.ok(&["wait", "--for=delete", "pod/alone", "--timeout=30s"]);
}

#[test]
fn a_ready_delay_changed_on_a_running_pod_takes_effect() {
    let Some(k) = Cluster::start(NEVER_READY) else {
        return;
    };
    let set = SetManifest::statefulset("slow")
        .replicas(1)
        .container("main", "nginx:1.25")
        .yaml();
    k.ok_in(&["create", "-f", "-"], &set);
    k.ok(&["wait", "--for=create", "pod/slow-0", "--timeout=60s"]);
    k.ok(&[
        "wait",
        "--for=jsonpath={.status.phase}=Running",
        "pod/slow-0",
        "--timeout=60s",
    ]);
    k.ok(&["annotate", "pod", "slow-0", "petctl.local/ready-delay=0s"]);
    k.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/slow-0",
        "--timeout=30s",
    ]);
    let pod = k.json(&["pod", "slow-0"]);
    assert_eq!(pod["status"]["containerStatuses"][0]["ready"], true);
    assert_eq!(pod["status"]["containerStatuses"][0]["started"], true);
}
