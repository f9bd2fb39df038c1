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

/// What says the claim just deleted may have been wanted after all: the
/// set moved, wants its ordinal, another set's pattern or a pod took it.
pub fn after_delete(target: &Target, deleted: &Candidate, world: &World) -> Vec<String> {
    let mut changes = Vec::new();
    if let Target::Set(planned) = target {
        let fresh = fresh_set(target, world);
        changes.extend(set_changes(planned, fresh));
        if fresh.is_some_and(|s| wanted(s, deleted.ordinal)) {
            changes.push(format!(
                "{} now wants ordinal {}",
                planned.label(),
                deleted.ordinal
            ));
        }
    }
    let claim = &deleted.claim;
    for set in world.sets.iter().filter(|s| !target.is(s)) {
        if ordinal_in(set, claim).is_some() {
            changes.push(format!("{} now names a claim {claim}", set.label()));
        }
    }
    if let Some(pod) = mounts(&world.pods).get(claim) {
        changes.push(format!("pod {pod} mounts {claim}"));
    }
    changes
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

    fn planned(world: &World, set: &Set) -> Vec<Candidate> {
        select(&Target::Set(set.clone()), None, world).candidates
    }

    #[test]
    fn a_plan_stands_while_nothing_moves() {
        let set = web(1, 1, "a");
        let world = World {
            sets: vec![set.clone()],
            claims: vec![claim("www-web-1", "5"), claim("www-web-2", "6")],
            pods: vec![],
        };
        let plan = planned(&world, &set);
        assert_eq!(plan.len(), 2);
        assert!(changes(&Target::Set(set), None, &plan, &world).is_empty());
    }

    #[test]
    fn a_scale_up_a_new_set_or_a_new_mount_stops_it() {
        let set = web(1, 1, "a");
        let before = World {
            sets: vec![set.clone()],
            claims: vec![claim("www-web-1", "5"), claim("www-web-2", "6")],
            pods: vec![],
        };
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
            said.last().unwrap(),
            "statefulset \"web\" now wants ordinal 2"
        );
        let quiet = World {
            sets: vec![web(1, 1, "a")],
            claims: vec![],
            pods: vec![],
        };
        assert!(after_delete(&target, &plan[0], &quiet).is_empty());
    }
}
