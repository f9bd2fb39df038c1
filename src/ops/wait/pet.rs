//! Where each pet stands, as a wait sees it in its watch cache and as
//! progress reports it: the pet states, the set's wanted ordinals, and the
//! changes since the last look.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::client::watch::Cache;
use crate::ops::pets::{assemble, Pet};
use crate::ops::sets::Set;
use crate::pod;

/// Where a pet stands, as progress shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PetState {
    Missing,
    /// Pending, ContainerCreating, CrashLoopBackOff, … (the pod's STATUS).
    Waiting(String),
    Running,
    Ready,
    Terminating,
}

impl std::fmt::Display for PetState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PetState::Missing => f.write_str("Missing"),
            PetState::Waiting(reason) => f.write_str(reason),
            PetState::Running => f.write_str("Running"),
            PetState::Ready => f.write_str("Ready"),
            PetState::Terminating => f.write_str("Terminating"),
        }
    }
}

impl PetState {
    pub fn of(pod: Option<&Value>) -> PetState {
        let Some(p) = pod else {
            return PetState::Missing;
        };
        let status = pod::status(p);
        if status == "Terminating" {
            PetState::Terminating
        } else if pod::is_ready(p) {
            PetState::Ready
        } else if status == "Running" {
            PetState::Running
        } else {
            PetState::Waiting(status)
        }
    }
}

/// The pets of `set` as the pods in `cache` show them.
pub fn pets_in(set: &Set, cache: &Cache) -> Vec<Pet> {
    let pods: Vec<Value> = cache.values().cloned().collect();
    assemble(set, &pods, &[])
}

/// Whether the set wants a pet of `ordinal` (it is below its replicas).
pub fn wanted(set: &Set, ordinal: i64) -> bool {
    set.wanted_ordinals().contains(&ordinal)
}

/// Every wanted pet is Ready.
pub fn all_ready(set: &Set, pets: &[Pet]) -> bool {
    let wanted: Vec<&Pet> = pets.iter().filter(|p| wanted(set, p.ordinal)).collect();
    wanted.len() as i64 == set.replicas().max(0)
        && wanted.iter().all(|p| p.state == PetState::Ready)
}

/// Every wanted pet Ready, every other pet gone.
pub fn settled(set: &Set, pets: &[Pet]) -> bool {
    all_ready(set, pets)
        && pets
            .iter()
            .all(|p| wanted(set, p.ordinal) || p.pod.is_none())
}

/// How progress shows `state` of `pet`: a pet the set no longer wants
/// that is missing is Gone.
pub fn shown(set: &Set, pet: &str, state: &PetState) -> String {
    let unwanted = set.ordinal_of(pet).is_some_and(|o| !wanted(set, o));
    if *state == PetState::Missing && unwanted {
        "Gone".to_string()
    } else {
        state.to_string()
    }
}

/// Remembers each pet's last state and tells what changed.
#[derive(Debug, Default)]
pub struct StateTracker {
    last: BTreeMap<String, PetState>,
}

impl StateTracker {
    /// The pets whose state differs from the last call, in ordinal order.
    /// A pet that was seen and is no longer wanted nor present is reported
    /// once as Missing (gone).
    pub fn changes(&mut self, pets: &[Pet]) -> Vec<(String, PetState)> {
        let mut changed: Vec<(String, PetState)> = pets
            .iter()
            .filter_map(|pet| self.change(pet, true))
            .collect();
        let vanished: Vec<String> = self
            .last
            .iter()
            .filter(|(name, state)| {
                **state != PetState::Missing && !pets.iter().any(|p| &p.name == *name)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in vanished {
            self.last.insert(name.clone(), PetState::Missing);
            changed.push((name, PetState::Missing));
        }
        changed
    }

    /// The state of one pet, if it differs from the last one said. A pet
    /// not `listed` (beyond the wanted ordinals) that is Missing and was
    /// never said is not news.
    pub fn change(&mut self, pet: &Pet, listed: bool) -> Option<(String, PetState)> {
        let state = pet.state.clone();
        let last = self.last.get(&pet.name);
        if last == Some(&state) || (last.is_none() && !listed && state == PetState::Missing) {
            return None;
        }
        self.last.insert(pet.name.clone(), state.clone());
        Some((pet.name.clone(), state))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::kinds;
    use serde_json::json;

    pub fn set() -> Set {
        Set {
            kind: kinds::by_name("petset").unwrap(),
            object: json!({"metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": 2}}),
        }
    }

    pub fn pod(name: &str, ready: bool) -> Value {
        json!({"metadata": {"name": name, "uid": format!("uid-{name}")}, "spec": {"containers": [{"name": "c"}]},
               "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})
    }

    #[test]
    fn readiness_of_the_whole_set() {
        let s = set();
        assert!(!all_ready(&s, &assemble(&s, &[pod("web-0", true)], &[])));
        assert!(!all_ready(
            &s,
            &assemble(&s, &[pod("web-0", true), pod("web-1", false)], &[])
        ));
        assert!(all_ready(
            &s,
            &assemble(&s, &[pod("web-0", true), pod("web-1", true)], &[])
        ));
        let extra = [pod("web-0", true), pod("web-1", true), pod("web-2", true)];
        assert!(!settled(&s, &assemble(&s, &extra, &[])), "web-2 is left");
        assert_eq!(shown(&s, "web-2", &PetState::Missing), "Gone");
        assert_eq!(shown(&s, "web-1", &PetState::Missing), "Missing");
    }

    #[test]
    fn tracker_reports_only_changes() {
        let s = set();
        let mut t = StateTracker::default();
        let first = t.changes(&assemble(&s, &[pod("web-0", false)], &[]));
        assert_eq!(
            first,
            vec![
                ("web-0".into(), PetState::Running),
                ("web-1".into(), PetState::Missing)
            ]
        );
        assert!(t
            .changes(&assemble(&s, &[pod("web-0", false)], &[]))
            .is_empty());
        assert_eq!(
            t.changes(&assemble(&s, &[pod("web-0", true)], &[])),
            vec![("web-0".into(), PetState::Ready)]
        );
    }
}
