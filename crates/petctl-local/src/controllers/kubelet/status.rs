//! The pod status the simulated kubelet reports for each stage: conditions
//! (keeping their transition times), phase, IPs and container statuses with
//! the spec's images.

use serde_json::{json, Value};

use crate::registry::meta;

/// The stage a pod's containers are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sim {
    /// Bound, volumes being set up: Pending with ContainerCreating.
    Creating,
    Running {
        ready: bool,
    },
    /// Every container keeps exiting: CrashLoopBackOff.
    Crashing {
        restarts: i64,
    },
    /// The image cannot be pulled: ErrImagePull right after a pull,
    /// ImagePullBackOff while the next one waits.
    PullFailing {
        backing_off: bool,
    },
}

/// The error a pull of `image` ends with, as containerd words a missing tag.
pub fn pull_error(image: &str) -> String {
    format!("rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {image}: not found")
}

fn hex_digest(text: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Sets a condition, keeping its lastTransitionTime unless its status changes.
fn set_condition(conditions: &mut Vec<Value>, kind: &str, status: bool, now: &str) {
    let status = if status { "True" } else { "False" };
    let old = conditions
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind));
    let since = match old {
        Some(c) if c.get("status").and_then(Value::as_str) == Some(status) => c
            .get("lastTransitionTime")
            .cloned()
            .unwrap_or_else(|| json!(now)),
        _ => json!(now),
    };
    let mut condition =
        json!({"type": kind, "status": status, "lastProbeTime": null, "lastTransitionTime": since});
    if kind != "PodScheduled" && kind != "Initialized" && status == "False" {
        if let Some(map) = condition.as_object_mut() {
            let reason = if kind == "PodReadyToStartContainers" {
                ""
            } else {
                "ContainersNotReady"
            };
            if !reason.is_empty() {
                map.insert("reason".into(), json!(reason));
            }
        }
    }
    conditions.retain(|c| c.get("type").and_then(Value::as_str) != Some(kind));
    conditions.push(condition);
}

fn container_status(pod: &Value, container: &Value, index: usize, sim: Sim, now: &str) -> Value {
    let name = meta::str_at(container, "/name");
    let image = meta::str_at(container, "/image");
    let old = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|s| s.get(index))
        .filter(|s| meta::str_at(s, "/name") == name);
    let image_id = format!("{image}@sha256:{}", hex_digest(image));
    let container_id = format!(
        "containerd://{}",
        hex_digest(&format!("{}/{name}", meta::uid(pod)))
    );
    match sim {
        Sim::Creating => json!({
            "name": name, "image": image, "imageID": "", "ready": false, "started": false,
            "restartCount": 0, "lastState": {},
            "state": {"waiting": {"reason": "ContainerCreating"}},
        }),
        Sim::PullFailing { backing_off } => {
            let (reason, message) = if backing_off {
                (
                    "ImagePullBackOff",
                    format!("Back-off pulling image \"{image}\""),
                )
            } else {
                ("ErrImagePull", pull_error(image))
            };
            json!({
                "name": name, "image": image, "imageID": "", "ready": false, "started": false,
                "restartCount": 0, "lastState": {},
                "state": {"waiting": {"reason": reason, "message": message}},
            })
        }
        Sim::Running { ready } => {
            let restarts = old
                .and_then(|s| s.get("restartCount"))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let started_at = old
                .and_then(|s| s.pointer("/state/running/startedAt"))
                .cloned()
                .unwrap_or_else(|| json!(now));
            json!({
                "name": name, "image": image, "imageID": image_id, "containerID": container_id,
                "ready": ready, "started": true, "restartCount": restarts, "lastState": {},
                "state": {"running": {"startedAt": started_at}},
            })
        }
        Sim::Crashing { restarts } => {
            let message = format!(
                "back-off {}s restarting failed container={name} pod={}_{}({})",
                super::backoff(restarts).as_secs(),
                meta::name(pod),
                meta::namespace(pod),
                meta::uid(pod)
            );
            json!({
                "name": name, "image": image, "imageID": image_id, "containerID": container_id,
                "ready": false, "started": false, "restartCount": restarts,
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now,
                                             "finishedAt": now, "containerID": container_id}},
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": message}},
            })
        }
    }
}

/// The whole status for `sim`; `ips` (host, pod) are given when the pod is
/// first set up and kept from the current status after that.
pub fn pod_status(pod: &Value, sim: Sim, ips: Option<(String, String)>, now: &str) -> Value {
    let old = pod.get("status").cloned().unwrap_or_else(|| json!({}));
    let (host_ip, pod_ip) = ips.unwrap_or_else(|| {
        (
            meta::str_at(&old, "/hostIP").to_string(),
            meta::str_at(&old, "/podIP").to_string(),
        )
    });
    let mut conditions: Vec<Value> = old
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ready = matches!(sim, Sim::Running { ready: true });
    let started = !matches!(sim, Sim::Creating);
    set_condition(&mut conditions, "PodReadyToStartContainers", started, now);
    set_condition(&mut conditions, "Initialized", true, now);
    set_condition(&mut conditions, "Ready", ready, now);
    set_condition(&mut conditions, "ContainersReady", ready, now);
    set_condition(&mut conditions, "PodScheduled", true, now);
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let statuses: Vec<Value> = containers
        .iter()
        .enumerate()
        .map(|(i, c)| container_status(pod, c, i, sim, now))
        .collect();
    let phase = match sim {
        Sim::Creating | Sim::PullFailing { .. } => "Pending",
        Sim::Running { .. } | Sim::Crashing { .. } => "Running",
    };
    json!({
        "phase": phase,
        "conditions": conditions,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": old.get("startTime").cloned().unwrap_or_else(|| json!(now)),
        "containerStatuses": statuses,
        "qosClass": old.get("qosClass").cloned().unwrap_or_else(|| json!("BestEffort")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> Value {
        json!({"metadata": {"name": "web-0", "namespace": "default", "uid": "u"},
               "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
               "status": {"phase": "Pending", "qosClass": "BestEffort"}})
    }

    fn condition<'a>(status: &'a Value, kind: &str) -> &'a Value {
        status["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == kind))
            .unwrap_or(&Value::Null)
    }

    #[test]
    fn a_pod_goes_through_creating_running_and_ready() {
        let mut pod = pod();
        let creating = pod_status(
            &pod,
            Sim::Creating,
            Some(("172.18.1.2".into(), "10.244.0.2".into())),
            "t1",
        );
        assert_eq!(creating["phase"], "Pending");
        assert_eq!(creating["podIP"], "10.244.0.2");
        assert_eq!(
            creating["containerStatuses"][0]["state"]["waiting"]["reason"],
            "ContainerCreating"
        );
        assert_eq!(creating["containerStatuses"][0]["image"], "nginx:1.25");
        pod["status"] = creating;
        let running = pod_status(&pod, Sim::Running { ready: false }, None, "t2");
        assert_eq!(running["phase"], "Running");
        assert_eq!(running["podIP"], "10.244.0.2", "IPs are kept");
        assert_eq!(condition(&running, "Ready")["status"], "False");
        assert_eq!(
            condition(&running, "Ready")["lastTransitionTime"],
            "t1",
            "no transition, same time"
        );
        assert_eq!(
            running["containerStatuses"][0]["state"]["running"]["startedAt"],
            "t2"
        );
        pod["status"] = running;
        let ready = pod_status(&pod, Sim::Running { ready: true }, None, "t3");
        assert_eq!(condition(&ready, "Ready")["status"], "True");
        assert_eq!(condition(&ready, "Ready")["lastTransitionTime"], "t3");
        assert_eq!(
            ready["containerStatuses"][0]["state"]["running"]["startedAt"],
            "t2"
        );
        assert_eq!(ready["containerStatuses"][0]["ready"], true);
    }

    #[test]
    fn a_crashing_pod_counts_restarts() {
        let status = pod_status(&pod(), Sim::Crashing { restarts: 3 }, None, "t");
        let container = &status["containerStatuses"][0];
        assert_eq!(container["restartCount"], 3);
        assert_eq!(container["state"]["waiting"]["reason"], "CrashLoopBackOff");
        assert_eq!(container["lastState"]["terminated"]["exitCode"], 1);
        assert_eq!(condition(&status, "Ready")["status"], "False");
    }

    #[test]
    fn an_unpullable_image_leaves_the_pod_pending() {
        for (backing_off, reason, message) in [
            (false, "ErrImagePull", pull_error("nginx:1.25")),
            (
                true,
                "ImagePullBackOff",
                "Back-off pulling image \"nginx:1.25\"".into(),
            ),
        ] {
            let status = pod_status(&pod(), Sim::PullFailing { backing_off }, None, "t");
            let waiting = &status["containerStatuses"][0]["state"]["waiting"];
            assert_eq!(waiting["reason"], reason);
            assert_eq!(waiting["message"], message.as_str());
            assert_eq!(status["phase"], "Pending");
            assert_eq!(condition(&status, "Ready")["status"], "False");
            assert_eq!(
                condition(&status, "PodReadyToStartContainers")["status"],
                "True"
            );
        }
    }
}
