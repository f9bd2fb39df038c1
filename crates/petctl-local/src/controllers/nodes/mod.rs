//! Nodes and their loss: the simulated kubelet's heartbeat (a Lease in
//! `kube-node-lease` renewed every quarter of the grace period, the Node's
//! Ready status posted again after a stop), the node lifecycle controller
//! (a node whose Lease is not renewed within `--node-monitor-grace` goes
//! Unknown and is tainted unreachable; its pods go not Ready) and taint
//! eviction (a pod that does not tolerate a NoExecute taint, or no longer,
//! is deleted). A stopped node is the annotation [`STOPPED_ANNOTATION`] on
//! the Node: its kubelet does nothing, so the store holds the stop and a
//! restart of the control plane keeps it.

mod eviction;
pub mod fit;
mod heartbeat;
mod lifecycle;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

pub use self::heartbeat::Heartbeat;
pub use self::lifecycle::Lifecycle;
use crate::registry::meta;

/// On a Node: its simulated kubelet is stopped (no status, no Lease, no
/// pod confirmations) until the annotation goes.
pub const STOPPED_ANNOTATION: &str = "petctl.local/stopped";
/// On a Node: the simulated kubelet runs it (`petctl local node add`).
pub const SIMULATED_ANNOTATION: &str = "petctl.local/simulated";
/// Where the nodes' Leases live.
pub const LEASE_NAMESPACE: &str = "kube-node-lease";

/// Whether the node's kubelet is stopped.
pub fn is_stopped(node: &Value) -> bool {
    meta::at(node, "/metadata/annotations")
        .and_then(|a| a.get(STOPPED_ANNOTATION))
        .is_some()
}

/// Whether `petctl local node add` made the node for the simulated kubelet.
pub fn is_simulated(node: &Value) -> bool {
    meta::at(node, "/metadata/annotations")
        .and_then(|a| a.get(SIMULATED_ANNOTATION))
        .and_then(Value::as_str)
        == Some("true")
}

/// The status of the node's Ready condition: True, False, Unknown or "".
pub fn ready_status(node: &Value) -> &str {
    meta::at(node, "/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Ready")
        .map_or("", |c| meta::str_at(c, "/status"))
}

/// The object at `key` of `value`, made an object if it is not one.
fn section<'a>(value: &'a mut Value, key: &str) -> Option<&'a mut serde_json::Map<String, Value>> {
    let map = value.as_object_mut()?;
    let entry = map
        .entry(key)
        .or_insert_with(|| Value::Object(Default::default()));
    if !entry.is_object() {
        *entry = Value::Object(Default::default());
    }
    entry.as_object_mut()
}

/// `metav1.MicroTime` as a Lease's renewTime has it:
/// `2026-12-02T16:00:00.123456Z`.
pub fn micro_time(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let seconds = meta::rfc3339(time);
    let base = seconds.trim_end_matches('Z');
    format!("{base}.{:06}Z", since.subsec_micros())
}

/// The Lease's `leaseDurationSeconds`: the grace period, in whole seconds
/// and at least one.
pub fn lease_seconds(grace: Duration) -> u64 {
    grace.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn micro_time_has_six_digits() {
        let t = UNIX_EPOCH + Duration::from_micros(1_500_000);
        assert_eq!(micro_time(t), "1970-01-01T00:00:01.500000Z");
    }

    #[test]
    fn stop_and_ready_are_read_from_the_node() {
        let node = json!({"metadata": {"annotations": {STOPPED_ANNOTATION: "", SIMULATED_ANNOTATION: "true"}},
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "Unknown"}]}});
        assert!(is_stopped(&node));
        assert!(is_simulated(&node));
        assert_eq!(ready_status(&node), "Unknown");
        assert!(!is_stopped(&json!({})));
        assert_eq!(ready_status(&json!({})), "");
        assert_eq!(lease_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(lease_seconds(Duration::from_secs(40)), 40);
    }
}
