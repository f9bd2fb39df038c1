//! The pets of one set kept current from its pods' watch, one event at a
//! time: an event costs the one pet it touches, not a copy of every pod
//! (on a 50-pet upgrade, re-assembling every pet on every event was 80 %
//! of petctl's CPU and most of its gap between two pets).

use crate::client::watch::{Cache, Event};
use crate::json::text;
use crate::ops::pets::Pet;
use crate::ops::sets::Set;

use super::diagnosis::{blockers, Blocker, Notices};
use super::pet::{pets_in, wanted, PetState, StateTracker};

/// What one event may have changed.
#[derive(Debug)]
pub enum Touched {
    /// A relist: any pet may have changed, or gone.
    All,
    /// The pet of the event's pod, as it is after the event (Missing when
    /// its pod went).
    One(Pet),
    /// The pod is no pet of the set.
    Nothing,
}

/// The pets of a set, in ordinal order, as [`pets_in`] gives them for the
/// cache the events were applied to.
#[derive(Debug)]
pub struct LivePets {
    pets: Vec<Pet>,
}

impl LivePets {
    pub fn new(set: &Set, cache: &Cache) -> Self {
        LivePets {
            pets: pets_in(set, cache),
        }
    }

    pub fn pets(&self) -> &[Pet] {
        &self.pets
    }

    pub fn into_pets(self) -> Vec<Pet> {
        self.pets
    }

    /// Follows `event`, which `cache` has already applied.
    pub fn apply(&mut self, set: &Set, cache: &Cache, event: &Event) -> Touched {
        let pod = match event {
            Event::Restarted(_) => {
                self.pets = pets_in(set, cache);
                return Touched::All;
            }
            Event::Applied(pod) | Event::Deleted(pod) => pod,
        };
        let name = text(pod, "/metadata/name");
        let Some(ordinal) = set.ordinal_of(name) else {
            return Touched::Nothing;
        };
        let pod = cache.get(set.namespace(), name).cloned();
        let pet = Pet::new(ordinal, set.pet_name(ordinal), pod, Vec::new());
        // A pet beyond the wanted ordinals is listed only while it has a
        // pod (see `assemble_owned`).
        let listed = pet.pod.is_some() || wanted(set, ordinal);
        match self.pets.binary_search_by_key(&ordinal, |p| p.ordinal) {
            Ok(at) if listed => self.pets[at] = pet.clone(),
            Ok(at) => {
                self.pets.remove(at);
            }
            Err(at) if listed => self.pets.insert(at, pet.clone()),
            Err(_) => {}
        }
        Touched::One(pet)
    }
}

/// What a run of waits has said already: each pet's last state and each
/// blocker, so that a wait in steps (a stepped scale-down) says each once.
#[derive(Debug, Default)]
pub struct Said {
    states: StateTracker,
    blockers: Notices,
}

impl Said {
    /// The state changes among the pets `touched`, not said yet.
    pub fn states(
        &mut self,
        set: &Set,
        live: &LivePets,
        touched: &Touched,
    ) -> Vec<(String, PetState)> {
        match touched {
            Touched::All => self.states.changes(live.pets()),
            Touched::One(pet) => self
                .states
                .change(pet, wanted(set, pet.ordinal))
                .into_iter()
                .collect(),
            Touched::Nothing => Vec::new(),
        }
    }

    /// The blockers among the pets `touched`, not said yet.
    pub fn blockers(&mut self, set: &Set, live: &LivePets, touched: &Touched) -> Vec<Blocker> {
        let pets = match touched {
            Touched::All => live.pets(),
            Touched::One(pet) => std::slice::from_ref(pet),
            Touched::Nothing => return Vec::new(),
        };
        self.blockers.fresh(blockers(set, pets))
    }
}

#[cfg(test)]
mod tests {
    use super::super::pet::tests::set;
    use super::*;
    use serde_json::{json, Value};

    fn pod(name: &str, ready: bool) -> Value {
        json!({"metadata": {"name": name, "namespace": "default", "uid": format!("uid-{name}")},
               "spec": {"containers": [{"name": "c"}]},
               "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})
    }

    /// A seeded walk of events over pets inside and beyond the wanted
    /// ordinals: after each one the live pets equal a fresh assembly, and
    /// what is said equals what a tracker of whole assemblies says.
    #[test]
    fn live_pets_agree_with_a_fresh_assembly_after_every_event() {
        let seed = std::env::var("PETCTL_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5eed_u64);
        eprintln!("seed {seed}");
        let mut rng = seed;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let set = set();
        let mut cache = Cache::default();
        cache.apply(&Event::Restarted(vec![pod("web-0", true)]));
        let mut live = LivePets::new(&set, &cache);
        let (mut said, mut whole) = (Said::default(), StateTracker::default());
        said.states(&set, &live, &Touched::All);
        whole.changes(&pets_in(&set, &cache));
        for step in 0..2000 {
            let name = format!("web-{}", next(6));
            let event = match next(8) {
                0 => Event::Restarted(cache.values().cloned().collect()),
                1 | 2 => Event::Deleted(pod(&name, false)),
                3 => {
                    Event::Applied(json!({"metadata": {"name": "other-1", "namespace": "default"}}))
                }
                n => Event::Applied(pod(&name, n % 2 == 0)),
            };
            cache.apply(&event);
            let touched = live.apply(&set, &cache, &event);
            let fresh = pets_in(&set, &cache);
            assert_eq!(live.pets(), fresh.as_slice(), "step {step}, seed {seed}");
            assert_eq!(
                said.states(&set, &live, &touched),
                whole.changes(&fresh),
                "step {step}, seed {seed}: {event:?}"
            );
        }
    }
}
