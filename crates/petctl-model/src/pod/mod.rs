//! How kubectl summarises a pod: its STATUS (an init or container reason,
//! Terminating, or the phase), READY containers and RESTARTS.

use serde_json::Value;

mod printer;
mod view;

pub use printer::{summary, Summary};
pub use view::PrintedPod;

/// The STATUS column, as kubectl's `printPod` gives it.
pub fn status(pod: &Value) -> String {
    summary(pod).reason
}

/// The READY column: ready containers / containers (sidecars included).
pub fn ready(pod: &Value) -> String {
    let s = summary(pod);
    format!("{}/{}", s.ready, s.total)
}

/// Whether the pod's Ready condition is True.
pub fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// The RESTARTS column's count.
pub fn restarts(pod: &Value) -> i64 {
    summary(pod).restarts
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
    }
}
