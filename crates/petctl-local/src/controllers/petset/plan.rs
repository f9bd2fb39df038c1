//! The PetSet controller's decision, as Kubernetes 1.4's petset iterator and
//! unhealthy-pet tracker make it: one action per sync.

use serde_json::Value;

use crate::controllers::pods;
use crate::registry::meta;

/// The next thing to do for a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create the pet with this ordinal (and its claims).
    Create(i64),
    /// Delete this pet (scale-down); its claims stay.
    Delete(String),
    /// Nothing until this pet is healthy or gone.
    Blocked { pet: String, why: Blocker },
    /// Every pet exists and nothing is left to delete.
    Steady,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocker {
    /// Being deleted.
    Dying,
    /// Not Running and Ready yet.
    Unhealthy,
    /// `pod.alpha.kubernetes.io/initialized: "false"`.
    Paused,
}

/// Why a pet blocks the set, if it does (`isHealthy`/`isDying` in 1.4).
pub fn blocker(pet: &Value) -> Option<Blocker> {
    if pods::is_dying(pet) {
        Some(Blocker::Dying)
    } else if !pods::is_running(pet) || !pods::is_ready(pet) {
        Some(Blocker::Unhealthy)
    } else if pods::is_paused_by_hook(pet) {
        Some(Blocker::Paused)
    } else {
        None
    }
}

/// The next action for a set named `set` that wants `replicas` pets, given
/// its pets (pods picked by its selector and named `<set>-<ordinal>`).
pub fn plan(set: &str, replicas: i64, pets: &[&Value]) -> Action {
    let mut by_creation: Vec<&Value> = pets.to_vec();
    by_creation.sort_by(|a, b| pods::creation_order(a, b));
    // Any unhealthy or dying pet blocks every create and delete, as 1.4's
    // blocking-pet tracker does after a restart.
    let blocking = by_creation
        .iter()
        .find_map(|p| blocker(p).map(|why| (meta::name(p).to_string(), why)));
    let present: std::collections::HashSet<i64> = pets
        .iter()
        .filter_map(|p| petctl_model::ordinal::of_pod(set, meta::name(p)))
        .collect();
    let missing = (0..replicas.max(0)).find(|i| !present.contains(i));
    if let Some(ordinal) = missing {
        return match blocking {
            Some((pet, why)) => Action::Blocked { pet, why },
            None => Action::Create(ordinal),
        };
    }
    // 1.4 scales down by creation time, not by ordinal: its queue holds the
    // surplus pets sorted by creationTimestamp and pops the newest.
    let surplus = by_creation
        .iter()
        .rev()
        .find(|p| petctl_model::ordinal::of_pod(set, meta::name(p)).is_none_or(|i| i >= replicas));
    match (surplus, blocking) {
        (Some(_), Some((pet, why))) => Action::Blocked { pet, why },
        (Some(pet), None) => Action::Delete(meta::name(pet).to_string()),
        (None, _) => Action::Steady,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pet(name: &str, created: &str, state: &str) -> Value {
        let (phase, ready) = match state {
            "ready" | "paused" | "dying" => ("Running", "True"),
            "running" => ("Running", "False"),
            _ => ("Pending", "False"),
        };
        let mut pod = json!({"metadata": {"name": name, "creationTimestamp": created},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": ready}]}});
        if state == "paused" {
            pod["metadata"]["annotations"] = json!({pods::INITIALIZED_ANNOTATION: "false"});
        }
        if state == "dying" {
            pod["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        pod
    }

    /// Pets `web-0`, `web-1`, … each created at second `created` of the
    /// first minute of 2026 and in `state`.
    fn pets(pets: &[(u32, &str)]) -> Vec<Value> {
        (0..)
            .zip(pets)
            .map(|(ordinal, (created, state))| {
                let created = format!("2026-01-01T00:00:{created:02}Z");
                pet(&format!("web-{ordinal}"), &created, state)
            })
            .collect()
    }

    fn blocked(pet: &str, why: Blocker) -> Action {
        Action::Blocked {
            pet: pet.into(),
            why,
        }
    }

    #[test]
    fn plans_follow_the_1_4_rules() {
        let cases: Vec<(&str, i64, Vec<Value>, Action)> = vec![
            ("empty set creates pet 0", 2, vec![], Action::Create(0)),
            (
                "pet 1 waits for pet 0 to be ready",
                2,
                pets(&[(0, "running")]),
                blocked("web-0", Blocker::Unhealthy),
            ),
            (
                "pending pet 0 blocks",
                2,
                pets(&[(0, "pending")]),
                blocked("web-0", Blocker::Unhealthy),
            ),
            (
                "ready pet 0 lets pet 1 come",
                2,
                pets(&[(0, "ready")]),
                Action::Create(1),
            ),
            (
                "all there",
                2,
                pets(&[(0, "ready"), (1, "ready")]),
                Action::Steady,
            ),
            (
                "a deleted pet 0 is recreated first",
                2,
                vec![pet("web-1", "2026-01-01T00:00:01Z", "ready")],
                Action::Create(0),
            ),
            (
                "the hook pauses creation",
                2,
                pets(&[(0, "paused")]),
                blocked("web-0", Blocker::Paused),
            ),
            (
                "the hook on any pet pauses deletion",
                1,
                pets(&[(0, "ready"), (1, "paused")]),
                blocked("web-1", Blocker::Paused),
            ),
            (
                "scale-down deletes the newest surplus pet",
                1,
                pets(&[(0, "ready"), (1, "ready"), (2, "ready")]),
                Action::Delete("web-2".into()),
            ),
            (
                "by creation time, not ordinal",
                1,
                pets(&[(0, "ready"), (5, "ready"), (2, "ready")]),
                Action::Delete("web-1".into()),
            ),
            (
                "one at a time: wait for the dying pet",
                1,
                pets(&[(0, "ready"), (1, "ready"), (2, "dying")]),
                blocked("web-2", Blocker::Dying),
            ),
            (
                "scale to zero",
                0,
                pets(&[(0, "ready")]),
                Action::Delete("web-0".into()),
            ),
        ];
        for (name, replicas, pets, want) in cases {
            let refs: Vec<&Value> = pets.iter().collect();
            assert_eq!(plan("web", replicas, &refs), want, "{name}");
        }
    }
}
