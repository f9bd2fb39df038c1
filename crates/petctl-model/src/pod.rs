//! How kubectl summarises a pod: its STATUS (a waiting reason, Terminating,
//! or the phase), READY containers and RESTARTS.

use serde_json::Value;

fn container_statuses(pod: &Value) -> &[Value] {
    pod.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The STATUS column: `Terminating` while being deleted, else the first
/// container's waiting or terminated reason, else the phase.
pub fn status(pod: &Value) -> String {
    if pod
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
    {
        return "Terminating".into();
    }
    for cs in container_statuses(pod) {
        for state in ["waiting", "terminated"] {
            if let Some(reason) = cs
                .pointer(&format!("/state/{state}/reason"))
                .and_then(Value::as_str)
            {
                if !reason.is_empty() {
                    return reason.to_string();
                }
            }
        }
    }
    pod.pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Pending")
        .to_string()
}

/// The READY column: ready containers / containers.
pub fn ready(pod: &Value) -> String {
    let total = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let ready = container_statuses(pod)
        .iter()
        .filter(|cs| cs["ready"].as_bool() == Some(true))
        .count();
    format!("{ready}/{total}")
}

/// Whether the pod's Ready condition is True.
pub fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

pub fn restarts(pod: &Value) -> i64 {
    container_statuses(pod)
        .iter()
        .filter_map(|cs| cs["restartCount"].as_i64())
        .sum()
}

/// The image of the container named `container`, or of the first one.
pub fn image<'a>(pod: &'a Value, container: Option<&str>) -> &'a str {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| container.is_none_or(|name| c["name"] == name))
        .and_then(|c| c["image"].as_str())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses() {
        let running = json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Running",
            "containerStatuses": [{"ready": true, "restartCount": 2, "state": {"running": {}}}],
            "conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(
            (
                status(&running).as_str(),
                ready(&running).as_str(),
                restarts(&running)
            ),
            ("Running", "1/1", 2)
        );
        assert!(is_ready(&running));
        let crashing = json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Running",
            "containerStatuses": [{"ready": false, "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        assert_eq!(status(&crashing), "CrashLoopBackOff");
        assert!(!is_ready(&crashing));
        let deleting = json!({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}, "status": {"phase": "Running"}});
        assert_eq!(status(&deleting), "Terminating");
        assert_eq!(status(&json!({})), "Pending");
    }
}
