//! Conditions on one pet while it is replaced, and on the set's
//! availability: pure functions of the pods a watch has seen.

use serde_json::Value;

use super::plan::{on_target, Change};
use crate::client::watch::Cache;
use crate::ops::pets::Pet;
use crate::ops::sets::Set;
use crate::ops::wait::{pets_in, PetState};
use crate::pod;

/// Where a replacement stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replacement {
    /// The old pod is still there (maybe terminating), or none is yet; or
    /// the new one is not Ready.
    Waiting(PetState),
    /// The new pod runs another image than wanted: the template changed.
    WrongImage(String),
    /// The new pod is Running and Ready with the wanted images.
    Ready,
}

fn uid(pod: &Value) -> &str {
    pod.pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The pod's uid, for delete preconditions and to tell a re-created pod
/// from the old one.
pub fn uid_of(pod: &Value) -> Option<String> {
    Some(uid(pod)).filter(|u| !u.is_empty()).map(str::to_string)
}

/// How far the replacement of a pet is, given the uid of the pod deleted
/// for it (if any) and the images it must come back with.
pub fn replacement(pod: Option<&Value>, old_uid: Option<&str>, changes: &[Change]) -> Replacement {
    let state = PetState::of(pod);
    let Some(pod) = pod else {
        return Replacement::Waiting(state);
    };
    if Some(uid(pod)) == old_uid || state == PetState::Terminating {
        return Replacement::Waiting(state);
    }
    if !on_target(pod, changes) {
        let images: Vec<&str> = changes
            .iter()
            .map(|c| pod::image(pod, Some(&c.container)))
            .collect();
        return Replacement::WrongImage(images.join(", "));
    }
    if state == PetState::Ready {
        Replacement::Ready
    } else {
        Replacement::Waiting(state)
    }
}

/// The wanted pets other than `except` that are not Ready: deleting a
/// Ready pet is allowed only while fewer than max-unavailable are.
pub fn unavailable<'a>(
    pets: &'a [Pet],
    wanted: &std::ops::Range<i64>,
    except: &str,
) -> Vec<&'a Pet> {
    pets.iter()
        .filter(|p| wanted.contains(&p.ordinal) && p.name != except)
        .filter(|p| p.state != PetState::Ready)
        .collect()
}

/// The wanted pets of `sets` not Ready, as `web-1 (Terminating)`: the
/// other sets of one rollout, from the namespace's pods.
pub fn down_in(sets: &[Set], cache: &Cache) -> Vec<String> {
    sets.iter()
        .flat_map(|set| {
            worded(&unavailable(
                &pets_in(set, cache),
                &set.wanted_ordinals(),
                "",
            ))
        })
        .collect()
}

/// Pets as `web-1 (Terminating)`.
pub fn worded(pets: &[&Pet]) -> Vec<String> {
    pets.iter()
        .map(|p| format!("{} ({})", p.name, p.state))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(uid: &str, image: &str, ready: bool, deleting: bool) -> Value {
        let mut pod = json!({
            "metadata": {"name": "web-1", "uid": uid},
            "spec": {"containers": [{"name": "nginx", "image": image}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}
        });
        if deleting {
            pod["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
        }
        pod
    }

    #[test]
    fn replacement_follows_the_uid_and_the_image() {
        let changes = [Change {
            container: "nginx".into(),
            index: 0,
            from: "a".into(),
            to: "b".into(),
        }];
        let cases = [
            ("gone", None, Replacement::Waiting(PetState::Missing)),
            (
                "old, not yet deleted",
                Some(pod("u1", "a", true, false)),
                Replacement::Waiting(PetState::Ready),
            ),
            (
                "old, terminating",
                Some(pod("u1", "a", true, true)),
                Replacement::Waiting(PetState::Terminating),
            ),
            (
                "new, starting",
                Some(pod("u2", "b", false, false)),
                Replacement::Waiting(PetState::Running),
            ),
            (
                "new, ready",
                Some(pod("u2", "b", true, false)),
                Replacement::Ready,
            ),
            (
                "new, wrong image",
                Some(pod("u2", "c", true, false)),
                Replacement::WrongImage("c".into()),
            ),
            (
                "someone deletes the new one",
                Some(pod("u2", "b", true, true)),
                Replacement::Waiting(PetState::Terminating),
            ),
        ];
        for (name, p, want) in cases {
            assert_eq!(
                replacement(p.as_ref(), Some("u1"), &changes),
                want,
                "{name}"
            );
        }
        // Waiting for a pet an earlier run replaced: no old uid.
        assert_eq!(
            replacement(Some(&pod("u1", "b", true, false)), None, &changes),
            Replacement::Ready
        );
    }

    #[test]
    fn unavailable_counts_other_wanted_pets() {
        let pet =
            |ordinal: i64, p: Option<Value>| Pet::new(ordinal, format!("web-{ordinal}"), p, vec![]);
        let pets = vec![
            pet(0, Some(pod("u0", "a", true, false))),
            pet(1, Some(pod("u1", "a", false, false))),
            pet(2, None),
            pet(3, None),
        ];
        let names = |except: &str| -> Vec<String> {
            unavailable(&pets, &(0..3), except)
                .iter()
                .map(|p| p.name.clone())
                .collect()
        };
        assert_eq!(names("web-0"), ["web-1", "web-2"]);
        assert_eq!(names("web-1"), ["web-2"]);
    }
}
