//! One sync of a StatefulSet, as `stateful_set_control.go` decides it: the
//! pods to create and delete (OrderedReady one at a time, Parallel all at
//! once; scale-down from the highest ordinal; RollingUpdate from the highest
//! ordinal down to the partition, one unavailable pod at a time) and the
//! status the set reports.

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use super::facts::PodFacts;
use crate::registry::meta;

/// One write of a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create pod `ordinal` (with its claims) at the update revision, or at
    /// the current one when a partition protects it.
    Create { ordinal: i64, at_update: bool },
    /// Delete a pod: scaled down, failed, or replaced by a rolling update.
    Delete { name: String, why: Why },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    ScaleDown,
    Failed,
    Update,
}

/// What a sync does and reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Sync again after this long (a pod is waiting out minReadySeconds).
    pub requeue: Option<Duration>,
    pub status: Value,
}

/// What the planner sees of a set.
pub struct View<'a> {
    pub set: &'a Value,
    /// The set's pods (picked by its selector, named `<set>-<ordinal>`),
    /// each read once.
    pub pods: &'a [PodFacts],
    pub current_revision: &'a str,
    pub update_revision: &'a str,
    pub now: SystemTime,
}

fn int(set: &Value, pointer: &str, default: i64) -> i64 {
    meta::at(set, pointer)
        .and_then(Value::as_i64)
        .unwrap_or(default)
}

/// The status for the pods as they are (`computeReplicaStatus` and
/// `completeRollingUpdate`).
pub fn status(view: &View, min_ready: Duration) -> Value {
    let set = view.set;
    let (mut replicas, mut ready, mut available, mut current, mut updated) = (0, 0, 0, 0, 0);
    for pod in view.pods {
        replicas += 1;
        if pod.running_and_ready() {
            ready += 1;
            if pod.available(min_ready, view.now) {
                available += 1;
            }
        }
        if !pod.dying {
            if pod.revision == view.current_revision {
                current += 1;
            }
            if pod.revision == view.update_revision {
                updated += 1;
            }
        }
    }
    let mut current_revision = view.current_revision;
    let rolling = meta::str_at(set, "/spec/updateStrategy/type") != "OnDelete";
    if rolling && updated == replicas && ready == replicas {
        current = updated;
        current_revision = view.update_revision;
    }
    json!({
        "observedGeneration": int(set, "/metadata/generation", 1),
        "replicas": replicas,
        "readyReplicas": ready,
        "availableReplicas": available,
        "currentReplicas": current,
        "updatedReplicas": updated,
        "currentRevision": current_revision,
        "updateRevision": view.update_revision,
        "collisionCount": int(set, "/status/collisionCount", 0),
    })
}

/// The steps of one sync.
pub fn plan(view: &View) -> Plan {
    let set = view.set;
    let start = int(set, "/spec/ordinals/start", 0);
    let replicas = int(set, "/spec/replicas", 1).max(0);
    let monotonic = meta::str_at(set, "/spec/podManagementPolicy") != "Parallel";
    let min_ready = Duration::from_secs(int(set, "/spec/minReadySeconds", 0).max(0).unsigned_abs());
    let status = status(view, min_ready);
    let mut plan = Plan {
        steps: Vec::new(),
        requeue: None,
        status,
    };
    if meta::is_deleting(set) {
        return plan;
    }
    let by_ordinal: std::collections::HashMap<i64, &PodFacts> = view
        .pods
        .iter()
        .filter_map(|p| Some((p.ordinal?, p)))
        .collect();
    let slots: Vec<Option<&PodFacts>> = (start..start + replicas)
        .map(|ordinal| by_ordinal.get(&ordinal).copied())
        .collect();
    let mut condemned: Vec<&PodFacts> = view
        .pods
        .iter()
        .filter(|p| p.ordinal.is_none_or(|o| o < start || o >= start + replicas))
        .collect();
    condemned.sort_by_key(|p| p.ordinal.unwrap_or(i64::MAX));
    let first_unhealthy = slots
        .iter()
        .flatten()
        .chain(condemned.iter())
        .filter(|p| !p.running_and_ready() || p.dying)
        .min_by_key(|p| p.ordinal.unwrap_or(i64::MAX))
        .map(|p| p.name.as_str());
    let protected = set
        .pointer("/spec/updateStrategy/rollingUpdate/partition")
        .and_then(Value::as_i64);

    for (index, slot) in slots.iter().enumerate() {
        let ordinal = start + index as i64;
        let Some(pod) = slot else {
            let at_update = protected.is_none_or(|p| ordinal >= start + p);
            plan.steps.push(Step::Create { ordinal, at_update });
            if monotonic {
                return plan;
            }
            continue;
        };
        if pod.finished() && !pod.dying {
            plan.steps.push(Step::Delete {
                name: pod.name.to_string(),
                why: Why::Failed,
            });
            if monotonic {
                return plan;
            }
            continue;
        }
        if monotonic && (pod.dying || !pod.running_and_ready()) {
            return plan;
        }
        if monotonic {
            if let Some(wait) = pod.until_available(min_ready, view.now) {
                plan.requeue = Some(wait);
                return plan;
            }
        }
    }
    for pod in condemned.iter().rev() {
        if pod.dying {
            if monotonic {
                return plan;
            }
            continue;
        }
        let first = first_unhealthy == Some(pod.name.as_str());
        if monotonic && !pod.running_and_ready() && !first {
            return plan;
        }
        if monotonic && !first {
            if let Some(wait) = pod.until_available(min_ready, view.now) {
                plan.requeue = Some(wait);
                return plan;
            }
        }
        plan.steps.push(Step::Delete {
            name: pod.name.to_string(),
            why: Why::ScaleDown,
        });
        if monotonic {
            return plan;
        }
    }
    if meta::str_at(set, "/spec/updateStrategy/type") == "OnDelete" {
        return plan;
    }
    let update_min = protected.unwrap_or(0).clamp(0, replicas) as usize;
    for slot in slots.iter().skip(update_min).rev() {
        let Some(pod) = slot else { continue };
        if pod.revision != view.update_revision && !pod.dying {
            plan.steps.push(Step::Delete {
                name: pod.name.to_string(),
                why: Why::Update,
            });
            return plan;
        }
        if pod.dying || !pod.running_and_ready() {
            return plan;
        }
        if let Some(wait) = pod.until_available(min_ready, view.now) {
            plan.requeue = Some(wait);
            return plan;
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::statefulset::identity::REVISION_LABEL;

    const NOW: &str = "2026-01-01T00:01:00Z";

    fn pod(ordinal: i64, state: &str, revision: &str) -> Value {
        let (phase, ready) = match state {
            "ready" | "dying" => ("Running", "True"),
            "fresh" => ("Running", "True"),
            "running" => ("Running", "False"),
            "failed" => ("Failed", "False"),
            _ => ("Pending", "False"),
        };
        let since = if state == "fresh" {
            "2026-01-01T00:00:58Z"
        } else {
            "2026-01-01T00:00:00Z"
        };
        let mut p = json!({"metadata": {"name": format!("web-{ordinal}"), "labels": {REVISION_LABEL: revision}},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": since}]}});
        if state == "dying" {
            p["metadata"]["deletionTimestamp"] = json!(NOW);
        }
        p
    }

    /// Pods `web-0`, `web-1`, … one a word `state/revision`, the revision
    /// `old` or `new`: `pets("ready/old dying/new")`.
    fn pets(states: &str) -> Vec<Value> {
        (0..)
            .zip(states.split_whitespace())
            .map(|(ordinal, word)| {
                let (state, revision) = word.split_once('/').unwrap();
                pod(ordinal, state, &format!("web-{revision}"))
            })
            .collect()
    }

    fn set(replicas: i64, extra: Value) -> Value {
        let mut s = json!({"metadata": {"name": "web", "generation": 4},
            "spec": {"replicas": replicas, "podManagementPolicy": "OrderedReady",
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}}});
        if let (Some(spec), Some(extra)) = (s["spec"].as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                spec.insert(k.clone(), v.clone());
            }
        }
        s
    }

    fn run(set: &Value, pods: &[Value]) -> Plan {
        let facts = PodFacts::all(set, pods);
        let view = View {
            set,
            pods: &facts,
            current_revision: "web-old",
            update_revision: "web-new",
            now: petctl_model::time::parse_system(NOW).unwrap(),
        };
        plan(&view)
    }

    fn create(ordinal: i64) -> Step {
        Step::Create {
            ordinal,
            at_update: true,
        }
    }

    fn delete(name: &str, why: Why) -> Step {
        Step::Delete {
            name: name.into(),
            why,
        }
    }

    #[test]
    fn steps_follow_stateful_set_control() {
        let parallel = json!({"podManagementPolicy": "Parallel"});
        let cases: Vec<(&str, Value, Vec<Value>, Vec<Step>)> = vec![
            (
                "ordered: first pod",
                set(3, json!({})),
                vec![],
                vec![create(0)],
            ),
            (
                "ordered: wait for pod 0",
                set(3, json!({})),
                vec![pod(0, "running", "web-new")],
                vec![],
            ),
            (
                "ordered: next pod",
                set(3, json!({})),
                vec![pod(0, "ready", "web-new")],
                vec![create(1)],
            ),
            (
                "parallel: all at once",
                set(3, parallel.clone()),
                vec![pod(1, "pending", "web-new")],
                vec![create(0), create(2)],
            ),
            (
                "ordinals.start",
                set(2, json!({"ordinals": {"start": 5}})),
                vec![pod(5, "ready", "web-new")],
                vec![create(6)],
            ),
            (
                "scale down from the top",
                set(1, json!({})),
                pets("ready/new ready/new ready/new"),
                vec![delete("web-2", Why::ScaleDown)],
            ),
            (
                "scale down waits for the terminating pod",
                set(1, json!({})),
                pets("ready/new ready/new dying/new"),
                vec![],
            ),
            (
                "parallel scale down",
                set(1, parallel.clone()),
                pets("ready/new ready/new pending/new"),
                vec![
                    delete("web-2", Why::ScaleDown),
                    delete("web-1", Why::ScaleDown),
                ],
            ),
            (
                "rolling update from the highest ordinal",
                set(3, json!({})),
                pets("ready/old ready/old ready/old"),
                vec![delete("web-2", Why::Update)],
            ),
            (
                "rolling update goes on once the pod is back",
                set(3, json!({})),
                pets("ready/old ready/old ready/new"),
                vec![delete("web-1", Why::Update)],
            ),
            (
                "partition protects lower ordinals",
                set(
                    3,
                    json!({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}}),
                ),
                pets("ready/old ready/old ready/new"),
                vec![],
            ),
            (
                "a protected ordinal is recreated at the current revision",
                set(
                    3,
                    json!({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}}),
                ),
                vec![pod(0, "ready", "web-old"), pod(2, "ready", "web-new")],
                vec![Step::Create {
                    ordinal: 1,
                    at_update: false,
                }],
            ),
            (
                "OnDelete never deletes for an update",
                set(2, json!({"updateStrategy": {"type": "OnDelete"}})),
                pets("ready/old ready/old"),
                vec![],
            ),
            (
                "failed pods are replaced",
                set(2, json!({})),
                vec![pod(0, "failed", "web-new")],
                vec![delete("web-0", Why::Failed)],
            ),
            (
                "minReadySeconds holds the next pod",
                set(2, json!({"minReadySeconds": 10})),
                vec![pod(0, "fresh", "web-new")],
                vec![],
            ),
        ];
        for (name, set, pods, want) in cases {
            assert_eq!(run(&set, &pods).steps, want, "{name}");
        }
        let held = run(
            &set(2, json!({"minReadySeconds": 10})),
            &[pod(0, "fresh", "web-new")],
        );
        assert_eq!(held.requeue, Some(Duration::from_secs(8)));
    }

    #[test]
    fn status_counts_and_completes_rollouts() {
        let pods = pets("ready/old ready/new running/new");
        let s = run(&set(3, json!({})), &pods).status;
        assert_eq!(s["replicas"], 3);
        assert_eq!(s["readyReplicas"], 2);
        assert_eq!(s["availableReplicas"], 2);
        assert_eq!(s["currentReplicas"], 1);
        assert_eq!(s["updatedReplicas"], 2);
        assert_eq!(s["currentRevision"], "web-old");
        assert_eq!(s["updateRevision"], "web-new");
        assert_eq!(s["observedGeneration"], 4);
        let done = run(&set(2, json!({})), &pets("ready/new ready/new")).status;
        assert_eq!(done["currentRevision"], "web-new");
        assert_eq!(done["currentReplicas"], 2);
    }
}
