//! The pod status the simulated kubelet reports for each stage: conditions
//! (keeping their transition times), phase, IPs and container statuses with
//! the spec's images.

use std::time::Duration;

use serde_json::{json, Value};

use super::backoff::go_duration;
use crate::registry::meta;

/// How a container's last run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub code: i32,
    pub started_at: String,
    pub finished_at: String,
}

/// The containers of a running pod, as the runtime and the probes have them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    /// `ready` and `started` of each container, in spec order.
    pub containers: Vec<(bool, bool)>,
    pub started_at: String,
    pub restarts: i64,
    pub last_exit: Option<Exit>,
    /// Some while the containers wait out this crash-loop back-off.
    pub backing_off: Option<Duration>,
    /// The last exit ended the pod (its restartPolicy restarts no more):
    /// Succeeded or Failed.
    pub finished: bool,
}

/// The stage a pod's containers are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sim<'a> {
    /// Bound, volumes being set up: Pending with ContainerCreating.
    Creating,
    /// Started: running, or waiting out a back-off after an exit.
    Live(&'a Live),
    /// Every container keeps exiting (--fail-images): CrashLoopBackOff.
    Crashing { restarts: i64, backoff: Duration },
    /// The image cannot be pulled: ErrImagePull right after a pull,
    /// ImagePullBackOff while the next one waits.
    PullFailing { backing_off: bool },
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

/// The waiting state of a container in a crash-loop back-off, worded as
/// kuberuntime's `doBackOff`.
fn back_off_waiting(pod: &Value, name: &str, backoff: Duration) -> Value {
    let message = format!(
        "back-off {} restarting failed container={name} pod={}_{}({})",
        go_duration(backoff),
        meta::name(pod),
        meta::namespace(pod),
        meta::uid(pod)
    );
    json!({"waiting": {"reason": "CrashLoopBackOff", "message": message}})
}

fn live_status(pod: &Value, index: usize, name: &str, live: &Live, ids: (&str, &str)) -> Value {
    let (image_id, container_id) = ids;
    let (ready, started) = live.containers.get(index).copied().unwrap_or_default();
    let exit = live.last_exit.as_ref().map_or_else(
        || json!({}),
        |exit| {
            let reason = if exit.code == 0 { "Completed" } else { "Error" };
            json!({"terminated": {"exitCode": exit.code, "reason": reason,
                "startedAt": exit.started_at, "finishedAt": exit.finished_at,
                "containerID": container_id}})
        },
    );
    let (last_state, finished) = if live.finished {
        (json!({}), Some(exit))
    } else {
        (exit, None)
    };
    let (state, ready, started) = match (finished, live.backing_off) {
        (Some(terminated), _) => (terminated, false, false),
        (None, Some(backoff)) => (back_off_waiting(pod, name, backoff), false, false),
        (None, None) => (
            json!({"running": {"startedAt": live.started_at}}),
            ready,
            started,
        ),
    };
    let image = pod
        .pointer("/spec/containers")
        .and_then(|cs| cs.get(index))
        .map_or("", |c| meta::str_at(c, "/image"));
    json!({
        "name": name, "image": image, "imageID": image_id, "containerID": container_id,
        "ready": ready, "started": started, "restartCount": live.restarts,
        "lastState": last_state, "state": state,
    })
}

fn container_status(pod: &Value, container: &Value, index: usize, sim: Sim, now: &str) -> Value {
    let name = meta::str_at(container, "/name");
    let image = meta::str_at(container, "/image");
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
        Sim::Live(live) => live_status(pod, index, name, live, (&image_id, &container_id)),
        Sim::Crashing { restarts, backoff } => json!({
            "name": name, "image": image, "imageID": image_id, "containerID": container_id,
            "ready": false, "started": false, "restartCount": restarts,
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": now,
                                         "finishedAt": now, "containerID": container_id}},
            "state": back_off_waiting(pod, name, backoff),
        }),
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
    let ready = match sim {
        Sim::Live(live) => {
            live.backing_off.is_none()
                && !live.finished
                && live.containers.iter().all(|(ready, _)| *ready)
        }
        _ => false,
    };
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
        Sim::Live(live) if live.finished => match &live.last_exit {
            Some(exit) if exit.code != 0 => "Failed",
            _ => "Succeeded",
        },
        Sim::Live(_) | Sim::Crashing { .. } => "Running",
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

    fn live(ready: bool, started_at: &str) -> Live {
        Live {
            containers: vec![(ready, true)],
            started_at: started_at.into(),
            restarts: 0,
            last_exit: None,
            backing_off: None,
            finished: false,
        }
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
        let running = pod_status(&pod, Sim::Live(&live(false, "t2")), None, "t2");
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
        let ready = pod_status(&pod, Sim::Live(&live(true, "t2")), None, "t3");
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
        let crashing = Sim::Crashing {
            restarts: 3,
            backoff: Duration::from_secs(40),
        };
        let status = pod_status(&pod(), crashing, None, "t");
        let container = &status["containerStatuses"][0];
        assert_eq!(container["restartCount"], 3);
        assert_eq!(container["state"]["waiting"]["reason"], "CrashLoopBackOff");
        assert_eq!(
            container["state"]["waiting"]["message"],
            "back-off 40s restarting failed container=nginx pod=web-0_default(u)"
        );
        assert_eq!(container["lastState"]["terminated"]["exitCode"], 1);
        assert_eq!(condition(&status, "Ready")["status"], "False");
    }

    #[test]
    fn a_restarted_container_shows_its_last_exit_and_back_off() {
        let mut backing_off = live(true, "t1");
        backing_off.restarts = 2;
        backing_off.last_exit = Some(Exit {
            code: 137,
            started_at: "t1".into(),
            finished_at: "t2".into(),
        });
        backing_off.backing_off = Some(Duration::from_millis(500));
        let status = pod_status(&pod(), Sim::Live(&backing_off), None, "t2");
        let container = &status["containerStatuses"][0];
        assert_eq!(container["restartCount"], 2);
        assert_eq!(container["ready"], false);
        assert_eq!(container["started"], false);
        assert_eq!(
            container["state"]["waiting"]["message"],
            "back-off 500ms restarting failed container=nginx pod=web-0_default(u)"
        );
        assert_eq!(
            container["lastState"]["terminated"]["exitCode"], 137,
            "{container}"
        );
        assert_eq!(container["lastState"]["terminated"]["reason"], "Error");
        assert_eq!(condition(&status, "Ready")["status"], "False");
        backing_off.backing_off = None;
        let status = pod_status(&pod(), Sim::Live(&backing_off), None, "t3");
        let container = &status["containerStatuses"][0];
        assert_eq!(container["state"]["running"]["startedAt"], "t1");
        assert_eq!(container["ready"], true);
        assert_eq!(condition(&status, "Ready")["status"], "True");
        backing_off.finished = true;
        let status = pod_status(&pod(), Sim::Live(&backing_off), None, "t4");
        let container = &status["containerStatuses"][0];
        assert_eq!(status["phase"], "Failed");
        assert_eq!(container["state"]["terminated"]["exitCode"], 137);
        assert_eq!(container["lastState"], json!({}));
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
