//! Whether a pet is stuck on a lost node: pure functions of the pod, its
//! node's Lease (`kube-node-lease/NODE`) and its Node, at a given time.
//!
//! A node is lost only when both say so: its Lease has not been renewed
//! for `leaseDurationSeconds`, and its Node's Ready condition is not True
//! (the node lifecycle controller has marked it NotReady or Unknown). A
//! pet is stuck when it is Terminating past its grace period, or its Ready
//! condition is False or Unknown (upstream's MarkPodsNotReady, in
//! pkg/controller/util/node/controller_utils.go, sets False on a lost
//! node's pods; Unknown is what older releases wrote).

use petctl_model::time::{self, Timestamp};
use serde::Serialize;
use serde_json::Value;

/// A node's last signs of life.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    pub node: String,
    /// The Lease's `spec.renewTime`; None when there is no Lease.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_renew_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_duration_seconds: Option<i64>,
    /// The Node's Ready condition status: True, False, Unknown; None when
    /// the Node is missing or has no Ready condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready: Option<String>,
    /// The Ready condition's `lastHeartbeatTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_heartbeat_time: Option<String>,
}

impl Heartbeat {
    /// From the node's Lease and Node, either missing.
    pub fn of(node: &str, lease: Option<&Value>, object: Option<&Value>) -> Heartbeat {
        let text = |v: Option<&Value>, p: &str| {
            v.and_then(|v| v.pointer(p))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let condition = object
            .and_then(|n| n.pointer("/status/conditions"))
            .and_then(Value::as_array)
            .and_then(|c| c.iter().find(|c| c["type"] == "Ready"));
        Heartbeat {
            node: node.to_string(),
            lease_renew_time: text(lease, "/spec/renewTime"),
            lease_duration_seconds: lease
                .and_then(|l| l.pointer("/spec/leaseDurationSeconds"))
                .and_then(Value::as_i64),
            ready: text(condition, "/status"),
            ready_heartbeat_time: text(condition, "/lastHeartbeatTime"),
        }
    }

    /// The Lease ran out: renewTime + leaseDurationSeconds is before
    /// `now`. No Lease, or one never renewed, has no heartbeat at all.
    pub fn lease_expired(&self, now: Timestamp) -> bool {
        let renewed = self.lease_renew_time.as_deref().and_then(time::parse);
        match (renewed, self.lease_duration_seconds) {
            (Some(renewed), Some(duration)) => {
                renewed.as_nanosecond() + i128::from(duration) * 1_000_000_000 < now.as_nanosecond()
            }
            (Some(_), None) => false,
            (None, _) => true,
        }
    }

    /// The Node is not Ready (or is missing).
    pub fn not_ready(&self) -> bool {
        self.ready.as_deref() != Some("True")
    }

    /// Lost: both the Lease and the Node say so.
    pub fn lost(&self, now: Timestamp) -> bool {
        self.lease_expired(now) && self.not_ready()
    }

    /// `Lease renewed 2026-12-03T10:00:00Z (42s ago, lasts 40s); Node
    /// Ready=Unknown, last heartbeat 2026-12-03T10:00:01Z (41s ago)`.
    pub fn describe(&self, now: Timestamp) -> String {
        let lease = match (&self.lease_renew_time, self.lease_duration_seconds) {
            (Some(at), duration) => {
                let lasts = duration
                    .map(|d| format!(", lasts {d}s"))
                    .unwrap_or_default();
                format!(
                    "Lease renewed {at} ({} ago{lasts})",
                    time::age(Some(at), now)
                )
            }
            (None, _) => "no Lease renewal".to_string(),
        };
        let ready = self.ready.as_deref().unwrap_or("missing");
        let heartbeat = match &self.ready_heartbeat_time {
            Some(at) => format!(", last heartbeat {at} ({} ago)", time::age(Some(at), now)),
            None => String::new(),
        };
        format!("{lease}; Node Ready={ready}{heartbeat}")
    }
}

/// Why a pet looks stuck.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Symptom {
    /// Marked for deletion, and its deletionTimestamp (the delete's time
    /// plus the grace period, pkg/registry/rest/delete.go BeforeDelete)
    /// has passed `seconds` ago.
    Terminating { seconds: i64 },
    /// Its Ready condition is False or Unknown: `status`, `reason`.
    NotReady { status: String, reason: String },
}

impl std::fmt::Display for Symptom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Symptom::Terminating { seconds } => {
                write!(f, "Terminating, {seconds}s past its grace period")
            }
            Symptom::NotReady { status, reason } if reason.is_empty() => {
                write!(f, "not Ready (Ready={status})")
            }
            Symptom::NotReady { status, reason } => {
                write!(f, "not Ready (Ready={status}, {reason})")
            }
        }
    }
}

/// How a pod looks, before its node is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Looks {
    /// Stuck, if its node is lost.
    Stuck(Symptom),
    /// Ready, starting, or still within its grace period: `Ready`,
    /// `Pending`, `Terminating (grace period not over)`.
    Fine(String),
}

/// How the pod looks at `now`.
pub fn looks(pod: &Value, now: Timestamp) -> Looks {
    if let Some(at) = pod
        .pointer("/metadata/deletionTimestamp")
        .and_then(Value::as_str)
    {
        let Some(due) = time::parse(at) else {
            return Looks::Fine(format!("Terminating (deletionTimestamp {at:?} unreadable)"));
        };
        let seconds = now.as_second() - due.as_second();
        if seconds <= 0 {
            return Looks::Fine(format!(
                "Terminating, {}s of its grace period left",
                -seconds
            ));
        }
        return Looks::Stuck(Symptom::Terminating { seconds });
    }
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Pending");
    if phase != "Running" {
        // Pending (starting, or not yet scheduled), Succeeded, Failed: the
        // controller, not a force delete, deals with these.
        return Looks::Fine(phase.to_string());
    }
    let ready = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"));
    let status = ready
        .and_then(|c| c["status"].as_str())
        .unwrap_or("Unknown");
    if status == "True" {
        return Looks::Fine("Ready".to_string());
    }
    Looks::Stuck(Symptom::NotReady {
        status: status.to_string(),
        reason: ready
            .and_then(|c| c["reason"].as_str())
            .unwrap_or("")
            .to_string(),
    })
}

/// The node a pod is bound to, if any.
pub fn node_of(pod: &Value) -> Option<&str> {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> Timestamp {
        time::parse("2026-12-03T10:01:00Z").unwrap()
    }

    fn heartbeat(renewed: Option<&str>, ready: &str) -> Heartbeat {
        let lease = renewed.map(|r| json!({"spec": {"renewTime": r, "leaseDurationSeconds": 40}}));
        let node = json!({"status": {"conditions": [
            {"type": "Ready", "status": ready, "lastHeartbeatTime": "2026-12-03T10:00:00Z"}
        ]}});
        Heartbeat::of("n1", lease.as_ref(), Some(&node))
    }

    #[test]
    fn a_node_is_lost_when_its_lease_ran_out_and_it_is_not_ready() {
        let cases = [
            (Some("2026-12-03T10:00:00.000000Z"), "Unknown", true),
            (Some("2026-12-03T10:00:00.000000Z"), "False", true),
            (Some("2026-12-03T10:00:30.000000Z"), "Unknown", false),
            (Some("2026-12-03T10:00:00.000000Z"), "True", false),
            (None, "Unknown", true),
        ];
        for (renewed, ready, lost) in cases {
            assert_eq!(
                heartbeat(renewed, ready).lost(now()),
                lost,
                "{renewed:?} {ready}"
            );
        }
        let missing = Heartbeat::of("gone", None, None);
        assert!(missing.lost(now()));
        assert_eq!(
            heartbeat(Some("2026-12-03T10:00:00.000000Z"), "Unknown").describe(now()),
            "Lease renewed 2026-12-03T10:00:00.000000Z (60s ago, lasts 40s); Node Ready=Unknown, last heartbeat 2026-12-03T10:00:00Z (60s ago)"
        );
    }

    #[test]
    fn a_pod_is_stuck_past_its_grace_period_or_not_ready() {
        let running = |ready: &str| {
            json!({"status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": ready, "reason": "NodeNotReady"}
            ]}})
        };
        assert_eq!(looks(&running("True"), now()), Looks::Fine("Ready".into()));
        assert_eq!(
            looks(&running("False"), now()),
            Looks::Stuck(Symptom::NotReady {
                status: "False".into(),
                reason: "NodeNotReady".into()
            })
        );
        let mut deleting = running("True");
        deleting["metadata"] = json!({"deletionTimestamp": "2026-12-03T10:00:50Z"});
        assert_eq!(
            looks(&deleting, now()),
            Looks::Stuck(Symptom::Terminating { seconds: 10 })
        );
        deleting["metadata"] = json!({"deletionTimestamp": "2026-12-03T10:01:20Z"});
        assert_eq!(
            looks(&deleting, now()),
            Looks::Fine("Terminating, 20s of its grace period left".into())
        );
        let pending = json!({"status": {"phase": "Pending"}});
        assert_eq!(looks(&pending, now()), Looks::Fine("Pending".into()));
    }
}
