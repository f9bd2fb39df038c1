//! kubectl's summary of a pod (kube-apiserver's `printPod`): the READY
//! containers, the STATUS reason and the RESTARTS, read the same way for
//! `petctl get pods` and for the server's Table.

use crate::json::text;
use serde_json::Value;

/// The READY, STATUS and RESTARTS of one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub ready: usize,
    pub total: usize,
    pub reason: String,
    pub restarts: i64,
}

fn list<'a>(pod: &'a Value, pointer: &str) -> &'a [Value] {
    pod.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn has_condition(pod: &Value, kind: &str) -> bool {
    list(pod, "/status/conditions")
        .iter()
        .any(|c| c["type"] == kind && c["status"] == "True")
}

/// A sidecar: an init container with `restartPolicy: Always`.
fn is_restartable(init: Option<&Value>) -> bool {
    init.is_some_and(|c| c["restartPolicy"] == "Always")
}

/// The reason of a terminated state: its own, else `Signal:N`, else
/// `ExitCode:N`.
fn terminated_reason(terminated: &Value) -> String {
    match text(terminated, "/reason") {
        "" => match terminated["signal"].as_i64().unwrap_or(0) {
            0 => format!("ExitCode:{}", terminated["exitCode"].as_i64().unwrap_or(0)),
            signal => format!("Signal:{signal}"),
        },
        reason => reason.to_string(),
    }
}

/// Walks the init containers; `Some(reason)` while the pod is initializing.
fn initializing(pod: &Value, summary: &mut Summary, sidecar_restarts: &mut i64) -> Option<String> {
    let specs = list(pod, "/spec/initContainers");
    let by_name = |name: &Value| specs.iter().find(|c| c["name"] == *name);
    for (i, status) in list(pod, "/status/initContainerStatuses")
        .iter()
        .enumerate()
    {
        let restarts = status["restartCount"].as_i64().unwrap_or(0);
        summary.restarts += restarts;
        let restartable = is_restartable(by_name(&status["name"]));
        if restartable {
            *sidecar_restarts += restarts;
        }
        let terminated = status
            .pointer("/state/terminated")
            .filter(|t| t.is_object());
        let waiting = text(status, "/state/waiting/reason");
        if terminated.is_some_and(|t| t["exitCode"].as_i64().unwrap_or(0) == 0) {
            continue;
        }
        if restartable && status["started"] == true {
            if status["ready"] == true {
                summary.ready += 1;
            }
            continue;
        }
        return Some(match terminated {
            Some(t) => format!("Init:{}", terminated_reason(t)),
            None if !waiting.is_empty() && waiting != "PodInitializing" => {
                format!("Init:{waiting}")
            }
            None => format!("Init:{i}/{}", specs.len()),
        });
    }
    None
}

/// The summary `kubectl get pods` prints, after `printPod`.
pub fn summary(pod: &Value) -> Summary {
    let phase = text(pod, "/status/phase");
    let mut reason = match text(pod, "/status/reason") {
        "" => phase.to_string(),
        reason => reason.to_string(),
    };
    if list(pod, "/status/conditions")
        .iter()
        .any(|c| c["type"] == "PodScheduled" && c["reason"] == "SchedulingGated")
    {
        reason = "SchedulingGated".into();
    }
    let sidecars = list(pod, "/spec/initContainers")
        .iter()
        .filter(|c| is_restartable(Some(c)))
        .count();
    let mut summary = Summary {
        ready: 0,
        total: list(pod, "/spec/containers").len() + sidecars,
        reason: String::new(),
        restarts: 0,
    };
    let mut sidecar_restarts = 0;
    let init = initializing(pod, &mut summary, &mut sidecar_restarts);
    let initialized = init.is_none() || has_condition(pod, "Initialized");
    if let Some(init) = init {
        reason = init;
    }
    if initialized {
        summary.restarts = sidecar_restarts;
        let mut has_running = false;
        for status in list(pod, "/status/containerStatuses").iter().rev() {
            summary.restarts += status["restartCount"].as_i64().unwrap_or(0);
            let waiting = text(status, "/state/waiting/reason");
            let terminated = status
                .pointer("/state/terminated")
                .filter(|t| t.is_object());
            if !waiting.is_empty() {
                reason = waiting.to_string();
            } else if let Some(terminated) = terminated {
                reason = terminated_reason(terminated);
            } else if status["ready"] == true
                && status
                    .pointer("/state/running")
                    .is_some_and(Value::is_object)
            {
                has_running = true;
                summary.ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if has_condition(pod, "Ready") {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }
    let deleting = pod
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null());
    if deleting && text(pod, "/status/reason") == "NodeLost" {
        reason = "Unknown".into();
    } else if deleting && !matches!(phase, "Succeeded" | "Failed") {
        reason = "Terminating".into();
    }
    summary.reason = reason;
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reason(pod: Value) -> String {
        summary(&pod).reason
    }

    fn with(containers: Value) -> Value {
        json!({"spec": {"containers": [{"name": "a"}]},
               "status": {"phase": "Running", "containerStatuses": containers}})
    }

    /// One container status, terminated with `detail`.
    fn terminated(detail: Value) -> Value {
        json!({"state": {"terminated": detail}})
    }

    /// One container status, waiting for `reason`.
    fn waiting(reason: &str) -> Value {
        json!({"state": {"waiting": {"reason": reason}}})
    }

    #[test]
    fn container_states_give_the_reason() {
        for (status, want) in [
            (
                terminated(json!({"reason": "OOMKilled", "exitCode": 137})),
                "OOMKilled",
            ),
            (terminated(json!({"exitCode": 2})), "ExitCode:2"),
            (
                terminated(json!({"exitCode": 137, "signal": 9})),
                "Signal:9",
            ),
            (waiting("ErrImagePull"), "ErrImagePull"),
        ] {
            assert_eq!(reason(with(json!([status]))), want, "{status}");
        }
        // The first container's state wins: statuses are read last to first.
        let error = terminated(json!({"reason": "Error", "exitCode": 1}));
        let statuses = json!([waiting("CrashLoopBackOff"), error]);
        assert_eq!(reason(with(statuses)), "CrashLoopBackOff");
    }

    #[test]
    fn completed_with_a_running_container_is_running_or_not_ready() {
        let statuses = json!([
            {"ready": true, "state": {"running": {}}},
            {"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]);
        let mut pod = with(statuses);
        assert_eq!(reason(pod.clone()), "NotReady");
        pod["status"]["conditions"] = json!([{"type": "Ready", "status": "True"}]);
        let s = summary(&pod);
        assert_eq!((s.reason.as_str(), s.ready, s.total), ("Running", 1, 1));
    }

    #[test]
    fn init_containers() {
        let pod = |init: Value| {
            json!({"spec": {"initContainers": [{"name": "i0"}, {"name": "i1"}], "containers": [{"name": "a"}]},
                   "status": {"phase": "Pending", "initContainerStatuses": init,
                   "containerStatuses": [{"restartCount": 5, "state": {"waiting": {"reason": "PodInitializing"}}}]}})
        };
        let done = terminated(json!({"reason": "Completed", "exitCode": 0}));
        let s = summary(&pod(
            json!([done, {"restartCount": 2, "state": {"running": {}}}]),
        ));
        assert_eq!((s.reason.as_str(), s.restarts), ("Init:1/2", 2));
        for (status, want) in [
            (
                terminated(json!({"reason": "Error", "exitCode": 1})),
                "Init:Error",
            ),
            (terminated(json!({"exitCode": 3})), "Init:ExitCode:3"),
            (waiting("CrashLoopBackOff"), "Init:CrashLoopBackOff"),
            (waiting("PodInitializing"), "Init:0/2"),
        ] {
            assert_eq!(reason(pod(json!([status]))), want, "{status}");
        }
        assert_eq!(reason(pod(json!([done, done]))), "PodInitializing");
    }

    #[test]
    fn a_started_sidecar_counts_as_ready() {
        let pod = json!({"spec": {"initContainers": [{"name": "s", "restartPolicy": "Always"}], "containers": [{"name": "a"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}],
              "initContainerStatuses": [{"name": "s", "started": true, "ready": true, "restartCount": 1, "state": {"running": {}}}],
              "containerStatuses": [{"ready": true, "restartCount": 1, "state": {"running": {}}}]}});
        let s = summary(&pod);
        assert_eq!(
            (s.reason.as_str(), s.ready, s.total, s.restarts),
            ("Running", 2, 2, 2)
        );
    }

    #[test]
    fn deletion_and_pod_reasons() {
        let deleting = json!({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}, "status": {"phase": "Running"}});
        assert_eq!(reason(deleting.clone()), "Terminating");
        let mut lost = deleting.clone();
        lost["status"]["reason"] = json!("NodeLost");
        assert_eq!(reason(lost), "Unknown");
        let mut finished = deleting;
        finished["status"]["phase"] = json!("Succeeded");
        assert_eq!(reason(finished), "Succeeded");
        assert_eq!(
            reason(json!({"status": {"phase": "Failed", "reason": "Evicted"}})),
            "Evicted"
        );
        assert_eq!(
            reason(json!({"status": {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}})),
            "SchedulingGated"
        );
        assert_eq!(reason(json!({})), "");
    }
}
