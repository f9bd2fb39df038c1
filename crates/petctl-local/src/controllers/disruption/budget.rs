//! What a PodDisruptionBudget's status should say, as pure functions after
//! `pkg/controller/disruption/disruption.go` (`getExpectedPodCount`,
//! `buildDisruptedPodMap`, `countHealthyPods`, `updatePdbStatus`,
//! `failSafe`). The selector and the DisruptionAllowed condition, which the
//! eviction subresource shares, are the kind's (`registry/strategy/pdb.rs`).

use std::time::{Duration, SystemTime};

use serde_json::{json, Map, Value};

use crate::registry::meta;
use crate::registry::strategy::pdb::{condition, set_condition, update_allowed_condition};
pub use crate::registry::strategy::pdb::{selector, CONDITION};
use petctl_model::pod::is_ready;

/// `DeletionTimeout`: how long an eviction's entry in `disruptedPods`
/// keeps the pod out of the healthy count if the pod is not deleted.
pub const DELETION_TIMEOUT: Duration = Duration::from_secs(2 * 60);

/// `GetScaledValueFromIntOrPercent(value, total, roundUp=true)`: both
/// `minAvailable` and `maxUnavailable` round up.
pub fn scaled(value: &Value, total: i64) -> Result<i64, String> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| format!("invalid value for IntOrString: {n}")),
        Value::String(text) => {
            let percent = text
                .strip_suffix('%')
                .and_then(|digits| digits.parse::<i64>().ok())
                .ok_or_else(|| {
                    "invalid value for IntOrString: invalid type: string is not a percentage"
                        .to_string()
                })?;
            Ok((percent * total + 99).div_euclid(100))
        }
        other => Err(format!("invalid value for IntOrString: {other}")),
    }
}

/// What the expected count depends on: the pods' controllers' scale.
pub trait Scales {
    /// The desired replicas of the controller `owner` (an ownerReference)
    /// of a pod in `namespace`, if it is a controller petctl knows.
    fn replicas(&self, namespace: &str, owner: &Value) -> Option<i64>;
}

/// The counts `getExpectedPodCount` returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expected {
    pub expected_pods: i64,
    pub desired_healthy: i64,
    /// Pods without a controller, skipped in a scale-based count.
    pub unmanaged: Vec<String>,
}

fn controller_of(pod: &Value) -> Option<&Value> {
    pod.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
}

/// `getExpectedScale`: the sum of the scales of the pods' controllers,
/// each counted once.
fn expected_scale(pods: &[&Value], scales: &dyn Scales) -> Result<(i64, Vec<String>), String> {
    let mut seen = std::collections::BTreeMap::new();
    let mut unmanaged = Vec::new();
    for pod in pods {
        let Some(owner) = controller_of(pod) else {
            unmanaged.push(meta::name(pod).to_string());
            continue;
        };
        let uid = meta::str_at(owner, "/uid").to_string();
        if seen.contains_key(&uid) {
            continue;
        }
        match scales.replicas(meta::namespace(pod), owner) {
            Some(replicas) => seen.insert(uid, replicas),
            None => {
                return Err(format!(
                    "found no controllers for pod {:?}",
                    meta::name(pod)
                ))
            }
        };
    }
    Ok((seen.values().sum(), unmanaged))
}

/// `getExpectedPodCount`.
pub fn expected(pdb: &Value, pods: &[&Value], scales: &dyn Scales) -> Result<Expected, String> {
    let spec = |key: &str| {
        pdb.pointer(&format!("/spec/{key}"))
            .filter(|v| !v.is_null())
    };
    if let Some(max_unavailable) = spec("maxUnavailable") {
        let (expected_pods, unmanaged) = expected_scale(pods, scales)?;
        let unavailable = scaled(max_unavailable, expected_pods)?;
        return Ok(Expected {
            expected_pods,
            desired_healthy: (expected_pods - unavailable).max(0),
            unmanaged,
        });
    }
    match spec("minAvailable") {
        Some(Value::Number(n)) => Ok(Expected {
            expected_pods: pods.len() as i64,
            desired_healthy: n.as_i64().unwrap_or(0),
            unmanaged: Vec::new(),
        }),
        Some(min_available) => {
            let (expected_pods, unmanaged) = expected_scale(pods, scales)?;
            Ok(Expected {
                expected_pods,
                desired_healthy: scaled(min_available, expected_pods)?,
                unmanaged,
            })
        }
        None => Ok(Expected::default()),
    }
}

fn disrupted_at(pdb: &Value, pod: &str) -> Option<SystemTime> {
    pdb.pointer("/status/disruptedPods")?
        .get(pod)?
        .as_str()
        .and_then(petctl_model::time::parse_system)
}

/// `buildDisruptedPodMap`: the entries of `disruptedPods` still pending
/// (pod live, not yet timed out), and when the first of them times out.
/// Expired entries are dropped, with the names of their pods.
pub fn disrupted_pods(
    pdb: &Value,
    pods: &[&Value],
    now: SystemTime,
) -> (Map<String, Value>, Option<SystemTime>, Vec<String>) {
    let mut kept = Map::new();
    let mut recheck: Option<SystemTime> = None;
    let mut expired = Vec::new();
    for pod in pods.iter().filter(|p| !meta::is_deleting(p)) {
        let name = meta::name(pod);
        let Some(at) = disrupted_at(pdb, name) else {
            continue;
        };
        let deadline = at + DELETION_TIMEOUT;
        if deadline < now {
            expired.push(name.to_string());
        } else {
            recheck = Some(recheck.map_or(deadline, |r| r.min(deadline)));
            if let Some(raw) = pdb.pointer(&format!("/status/disruptedPods/{name}")) {
                kept.insert(name.to_string(), raw.clone());
            }
        }
    }
    (kept, recheck, expired)
}

/// `countHealthyPods`: Ready, not being deleted, not about to be.
pub fn current_healthy(pods: &[&Value], disrupted: &Map<String, Value>, now: SystemTime) -> i64 {
    pods.iter()
        .filter(|pod| !meta::is_deleting(pod))
        .filter(|pod| {
            let pending = disrupted
                .get(meta::name(pod))
                .and_then(Value::as_str)
                .and_then(petctl_model::time::parse_system)
                .is_some_and(|at| at + DELETION_TIMEOUT > now);
            !pending
        })
        .filter(|pod| is_ready(pod))
        .count() as i64
}

/// The counters of a status, as `updatePdbStatus` sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    pub current_healthy: i64,
    pub desired_healthy: i64,
    pub expected_pods: i64,
    pub disrupted: Map<String, Value>,
}

impl Counts {
    /// Only a budget that expects pods allows disruptions, so that one
    /// whose first pods appear before its status does is safe.
    pub fn disruptions_allowed(&self) -> i64 {
        let allowed = self.current_healthy - self.desired_healthy;
        if self.expected_pods <= 0 || allowed <= 0 {
            0
        } else {
            allowed
        }
    }
}

/// `failSafe`: no disruption allowed, the condition saying why.
pub fn fail_safe(status: &Value, error: &str, now: &str) -> Value {
    let mut status = status.clone();
    status["disruptionsAllowed"] = json!(0);
    let generation = status["observedGeneration"].as_i64().unwrap_or(0);
    set_condition(
        &mut status,
        condition("False", "SyncFailed", error, generation),
        now,
    );
    status
}

/// The status `updatePdbStatus` writes, keeping the conditions.
pub fn status(pdb: &Value, counts: &Counts, now: &str) -> Value {
    let generation = pdb
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mut status = json!({
        "currentHealthy": counts.current_healthy,
        "desiredHealthy": counts.desired_healthy,
        "expectedPods": counts.expected_pods,
        "disruptionsAllowed": counts.disruptions_allowed(),
        "observedGeneration": generation,
    });
    if !counts.disrupted.is_empty() {
        status["disruptedPods"] = Value::Object(counts.disrupted.clone());
    }
    if let Some(conditions) = pdb.pointer("/status/conditions") {
        status["conditions"] = conditions.clone();
    }
    update_allowed_condition(&mut status, now);
    status
}

/// Whether `updatePdbStatus` would skip the write: counters, disrupted
/// pods and generation unchanged and the condition up to date
/// (`ConditionsAreUpToDate`).
pub fn up_to_date(pdb: &Value, counts: &Counts) -> bool {
    let old = &pdb["status"];
    let generation = pdb.pointer("/metadata/generation").and_then(Value::as_i64);
    let int = |key: &str| old[key].as_i64().unwrap_or(0);
    let old_disrupted = old["disruptedPods"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let allowed = counts.disruptions_allowed();
    let condition = old["conditions"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["type"] == CONDITION));
    let condition_ok = condition.is_some_and(|c| {
        if allowed > 0 {
            c["status"] == "True" && c["reason"] == "SufficientPods"
        } else {
            c["status"] == "False" && c["reason"] == "InsufficientPods"
        }
    });
    int("currentHealthy") == counts.current_healthy
        && int("desiredHealthy") == counts.desired_healthy
        && int("expectedPods") == counts.expected_pods
        && int("disruptionsAllowed") == allowed
        && old_disrupted == counts.disrupted
        && old["observedGeneration"].as_i64() == generation
        && condition_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sets;
    impl Scales for Sets {
        fn replicas(&self, _: &str, owner: &Value) -> Option<i64> {
            (owner["kind"] == "StatefulSet").then_some(3)
        }
    }

    fn pet(name: &str, ready: bool) -> Value {
        json!({"metadata": {"name": name, "namespace": "default",
            "ownerReferences": [{"kind": "StatefulSet", "name": "web", "uid": "u1", "controller": true}]},
            "status": {"conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})
    }

    #[test]
    fn percentages_round_up_for_both_bounds() {
        assert_eq!(scaled(&json!("50%"), 3), Ok(2));
        assert_eq!(scaled(&json!("34%"), 3), Ok(2));
        assert_eq!(scaled(&json!("0%"), 3), Ok(0));
        assert_eq!(scaled(&json!(1), 3), Ok(1));
        assert!(scaled(&json!("5"), 3).is_err());
    }

    #[test]
    fn expected_pods_come_from_the_controllers_scale() {
        let pods = [pet("web-0", true), pet("web-1", true)];
        let refs: Vec<&Value> = pods.iter().collect();
        let pdb = |spec: Value| json!({"spec": spec});
        let got =
            |spec| expected(&pdb(spec), &refs, &Sets).map(|e| (e.expected_pods, e.desired_healthy));
        assert_eq!(got(json!({"maxUnavailable": 1})), Ok((3, 2)));
        assert_eq!(got(json!({"maxUnavailable": "50%"})), Ok((3, 1)));
        assert_eq!(got(json!({"minAvailable": "50%"})), Ok((3, 2)));
        // An int minAvailable counts the pods found, not the scale.
        assert_eq!(got(json!({"minAvailable": 2})), Ok((2, 2)));
        let mut orphan = pet("x", true);
        orphan["metadata"]["ownerReferences"][0]["kind"] = json!("Job");
        let refs = [&orphan];
        assert_eq!(
            expected(&pdb(json!({"maxUnavailable": 1})), &refs, &Sets),
            Err("found no controllers for pod \"x\"".to_string())
        );
    }

    #[test]
    fn evicted_pods_do_not_count_until_their_entry_times_out() {
        let now = SystemTime::now();
        let at = meta::rfc3339(now);
        let pods = [pet("web-0", true), pet("web-1", true), pet("web-2", false)];
        let refs: Vec<&Value> = pods.iter().collect();
        let pdb = json!({"status": {"disruptedPods": {"web-0": at}}});
        let (kept, recheck, expired) = disrupted_pods(&pdb, &refs, now);
        assert_eq!(kept.len(), 1);
        assert!(recheck.is_some() && expired.is_empty());
        assert_eq!(current_healthy(&refs, &kept, now), 1);
        let later = now + DELETION_TIMEOUT + Duration::from_secs(2);
        let (kept, _, expired) = disrupted_pods(&pdb, &refs, later);
        assert!(kept.is_empty());
        assert_eq!(expired, ["web-0"]);
    }

    #[test]
    fn the_condition_follows_the_allowed_count() {
        let pdb = json!({"metadata": {"generation": 2}, "status": {}});
        let counts = Counts {
            current_healthy: 3,
            desired_healthy: 2,
            expected_pods: 3,
            disrupted: Map::new(),
        };
        let status = status(&pdb, &counts, "t0");
        assert_eq!(status["disruptionsAllowed"], 1);
        assert_eq!(status["conditions"][0]["reason"], "SufficientPods");
        assert_eq!(status["conditions"][0]["observedGeneration"], 2);
        let stored = json!({"metadata": {"generation": 2}, "status": status});
        assert!(up_to_date(&stored, &counts));
        let failed = fail_safe(&stored["status"], "boom", "t1");
        assert_eq!(failed["conditions"][0]["reason"], "SyncFailed");
        assert_eq!(failed["conditions"][0]["lastTransitionTime"], "t1");
        assert_eq!(failed["disruptionsAllowed"], 0);
    }
}
