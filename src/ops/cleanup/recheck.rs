//! Deciding again at the last moment: a fresh snapshot of the namespace is
//! compared with the plan, and anything that makes the plan stale — the set
//! re-created, resized or edited, a planned claim changed, mounted or
//! wanted again — is named. Pure.

use super::select::{mounts, ordinal_in, select, wanted, Candidate};
use super::{Target, World};
use crate::ops::sets::Set;
use crate::selector::LabelSelector;

/// What moved between `planned` and `fresh`, the set's fresh state.
pub fn set_changes(planned: &Set, fresh: Option<&Set>) -> Vec<String> {
    let Some(fresh) = fresh else {
        return vec![format!("{} was deleted", planned.label())];
    };
    if fresh.uid() != planned.uid() {
        return vec![format!("{} was deleted and created again", planned.label())];
    }
    let mut changes = Vec::new();
    if fresh.replicas() != planned.replicas() {
        changes.push(format!(
            "the replicas of {} went from {} to {}",
            planned.label(),
            planned.replicas(),
            fresh.replicas()
        ));
    }
    let generation = |s: &Set| {
        s.object
            .pointer("/metadata/generation")
            .and_then(|g| g.as_i64())
    };
    if generation(fresh) != generation(planned) {
        changes.push(format!(
            "the spec of {} changed (generation {} to {})",
            planned.label(),
            generation(planned).unwrap_or(0),
            generation(fresh).unwrap_or(0)
        ));
    }
    changes
}

/// The live set the target names in `world`, if any.
pub fn fresh_set<'a>(target: &Target, world: &'a World) -> Option<&'a Set> {
    world.sets.iter().find(|s| target.is(s))
}

/// Everything that makes deleting `remaining` (planned candidates not yet
/// deleted) no longer what the user confirmed. Empty when the plan stands.
pub fn changes(
    target: &Target,
    extra: Option<&LabelSelector>,
    remaining: &[Candidate],
    world: &World,
) -> Vec<String> {
    let mut changes = Vec::new();
    let now = match target {
        Target::Set(planned) => {
            let fresh = fresh_set(target, world);
            changes.extend(set_changes(planned, fresh));
            match fresh {
                Some(fresh) if changes.is_empty() => Target::Set(fresh.clone()),
                _ => return changes,
            }
        }
        Target::Deleted(_) => target.clone(),
    };
    let selection = select(&now, extra, world);
    for planned in remaining {
        let claim = &planned.claim;
        let still = selection.candidates.iter().find(|c| &c.claim == claim);
        match still {
            Some(c) if c.uid == planned.uid && c.resource_version == planned.resource_version => {}
            Some(c) if c.uid != planned.uid => {
                changes.push(format!("claim {claim} was deleted and created again"))
            }
            Some(c) => changes.push(format!(
                "claim {claim} changed (resourceVersion {} to {})",
                planned.resource_version, c.resource_version
            )),
            None => {
                if let Some(refusal) = selection.refused.iter().find(|r| &r.claim == claim) {
                    changes.push(format!("claim {claim}: {}", refusal.reason));
                } else if world
                    .claims
                    .iter()
                    .any(|c| super::text(c, "/metadata/name") == *claim)
                {
                    changes.push(format!("claim {claim} is wanted again"));
                } else {
                    changes.push(format!("claim {claim} is gone"));
                }
            }
        }
    }
    changes
}

/// What says the claim just deleted may have been wanted after all.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AfterDelete {
    /// The set moved since the plan, or now wants the claim's ordinal.
    pub set: Vec<String>,
    /// Another set's pattern or a pod now names the claim.
    pub others: Vec<String>,
}

impl AfterDelete {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.others.is_empty()
    }

    pub fn all(&self) -> Vec<String> {
        self.set.iter().chain(&self.others).cloned().collect()
    }
}

/// What `world`, read right after `deleted` was deleted, says against it.
pub fn after_delete(target: &Target, deleted: &Candidate, world: &World) -> AfterDelete {
    let mut after = AfterDelete::default();
    if let Target::Set(planned) = target {
        let fresh = fresh_set(target, world);
        after.set.extend(set_changes(planned, fresh));
        if fresh.is_some_and(|s| wanted(s, deleted.ordinal)) {
            after.set.push(format!(
                "{} now wants ordinal {}",
                planned.label(),
                deleted.ordinal
            ));
        }
    }
    let claim = &deleted.claim;
    for set in world.sets.iter().filter(|s| !target.is(s)) {
        if ordinal_in(set, claim).is_some() {
            after
                .others
                .push(format!("{} now names a claim {claim}", set.label()));
        }
    }
    if let Some(pod) = mounts(&world.pods).get(claim) {
        after.others.push(format!("pod {pod} mounts {claim}"));
    }
    after
}

/// The integer behind a resourceVersion, where the server makes them
/// integers (etcd revisions; the local control plane). None otherwise.
pub fn revision(resource_version: &str) -> Option<u64> {
    resource_version.parse().ok()
}

/// How a set's move relates to a claim's DELETE at revision `deleted_at`,
/// given the set's versions since the last check (oldest first, complete).
#[derive(Debug, Clone, PartialEq)]
pub enum Race {
    /// A version older than the DELETE wanted the ordinal (or was another
    /// set): the claim was deleted while wanted.
    Lost { revision: u64, replicas: i64 },
    /// Every version older than the DELETE left the ordinal alone.
    After,
}

/// Whether any version of `planned`'s set committed before `deleted_at`
/// wanted `ordinal`.
pub fn race(planned: &Set, history: &[Set], deleted_at: u64, ordinal: i64) -> Race {
    let lost = history.iter().find(|s| {
        let before = revision(s.resource_version()).is_some_and(|r| r < deleted_at);
        before && (s.uid() != planned.uid() || wanted(s, ordinal))
    });
    match lost {
        Some(s) => Race::Lost {
            revision: revision(s.resource_version()).unwrap_or(0),
            replicas: s.replicas(),
        },
        None => Race::After,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds;
    use serde_json::{json, Value};

    fn web(replicas: i64, generation: i64, uid: &str) -> Set {
        Set {
            kind: kinds::by_name("statefulset").unwrap(),
            object: json!({"metadata": {"name": "web", "namespace": "default", "uid": uid, "generation": generation},
                           "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "nginx"}},
                                    "volumeClaimTemplates": [{"metadata": {"name": "www"}}]}}),
        }
    }

    fn claim(name: &str, rv: &str) -> Value {
        json!({"metadata": {"name": name, "uid": format!("uid-{name}"), "resourceVersion": rv, "labels": {"app": "nginx"}}})
    }

    /// `set` (one replica) with the claims of pets 1 and 2 left over.
    fn two_left_over(set: &Set) -> World {
        World {
            sets: vec![set.clone()],
            claims: vec![claim("www-web-1", "5"), claim("www-web-2", "6")],
            pods: vec![],
        }
    }

    fn planned(world: &World, set: &Set) -> Vec<Candidate> {
        select(&Target::Set(set.clone()), None, world).candidates
    }

    #[test]
    fn a_plan_stands_while_nothing_moves() {
        let set = web(1, 1, "a");
        let world = two_left_over(&set);
        let plan = planned(&world, &set);
        assert_eq!(plan.len(), 2);
        assert!(changes(&Target::Set(set), None, &plan, &world).is_empty());
    }

    #[test]
    fn a_scale_up_a_new_set_or_a_new_mount_stops_it() {
        let set = web(1, 1, "a");
        let before = two_left_over(&set);
        let plan = planned(&before, &set);
        let target = Target::Set(set);
        let scaled = World {
            sets: vec![web(3, 2, "a")],
            ..before.clone()
        };
        assert_eq!(
            changes(&target, None, &plan, &scaled),
            [
                "the replicas of statefulset \"web\" went from 1 to 3",
                "the spec of statefulset \"web\" changed (generation 1 to 2)"
            ]
        );
        let recreated = World {
            sets: vec![web(1, 1, "b")],
            ..before.clone()
        };
        assert_eq!(
            changes(&target, None, &plan, &recreated),
            ["statefulset \"web\" was deleted and created again"]
        );
        let gone = World {
            sets: vec![],
            ..before.clone()
        };
        assert_eq!(
            changes(&target, None, &plan, &gone),
            ["statefulset \"web\" was deleted"]
        );
        let mounted = World {
            pods: vec![
                json!({"metadata": {"name": "web-2"}, "spec": {"volumes": [{"persistentVolumeClaim": {"claimName": "www-web-2"}}]}}),
            ],
            claims: vec![claim("www-web-1", "9"), claim("www-web-2", "6")],
            ..before.clone()
        };
        assert_eq!(
            changes(&target, None, &plan, &mounted),
            [
                "claim www-web-1 changed (resourceVersion 5 to 9)",
                "claim www-web-2: pod web-2 still mounts it"
            ]
        );
    }

    #[test]
    fn after_a_delete_a_set_wanting_the_ordinal_is_named() {
        let set = web(1, 1, "a");
        let before = World {
            sets: vec![set.clone()],
            claims: vec![claim("www-web-2", "6")],
            pods: vec![],
        };
        let plan = planned(&before, &set);
        let target = Target::Set(set);
        let after = World {
            sets: vec![web(3, 2, "a")],
            claims: vec![],
            pods: vec![],
        };
        let said = after_delete(&target, &plan[0], &after);
        assert_eq!(
            said.set.last().unwrap(),
            "statefulset \"web\" now wants ordinal 2"
        );
        assert!(said.others.is_empty());
        let quiet = World {
            sets: vec![web(1, 1, "a")],
            claims: vec![],
            pods: vec![],
        };
        assert!(after_delete(&target, &plan[0], &quiet).is_empty());
    }

    #[test]
    fn a_race_is_lost_only_if_the_set_wanted_the_ordinal_before_the_delete() {
        let at = |replicas: i64, rv: &str, uid: &str| {
            let mut s = web(replicas, 1, uid);
            s.object["metadata"]["resourceVersion"] = json!(rv);
            s
        };
        let planned = at(1, "10", "a");
        let history = [at(1, "11", "a"), at(3, "12", "a")];
        assert_eq!(
            race(&planned, &history, 13, 2),
            Race::Lost {
                revision: 12,
                replicas: 3
            }
        );
        assert_eq!(race(&planned, &history, 12, 2), Race::After);
        assert_eq!(race(&planned, &history, 13, 3), Race::After);
        let recreated = [at(1, "11", "b")];
        assert_eq!(
            race(&planned, &recreated, 13, 5),
            Race::Lost {
                revision: 11,
                replicas: 1
            }
        );
    }
}
