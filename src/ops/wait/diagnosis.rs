//! Why a set is not where a wait wants it: the blockers seen on the watch
//! (a paused PetSet, a pet in CrashLoopBackOff or failing to pull its
//! image, a pet that cannot be scheduled), each said once as it appears,
//! and the timeout's explanation of each pet not Ready with the events of
//! its current pod.

use std::collections::BTreeSet;

use serde_json::Value;

use super::pet::{wanted, PetState};
use crate::client::Client;
use crate::json::text;
use crate::ops::pets::Pet;
use crate::ops::sets::Set;
use crate::types::petset::INITIALIZED_ANNOTATION as INITIALIZED;

/// Container waiting reasons that do not pass by themselves.
const STUCK_REASONS: [&str; 5] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
];

/// Something that keeps a set from getting where a wait wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// A PetSet whose template says initialized "false": each new pet
    /// starts paused.
    PausedTemplate,
    /// PetSet pets annotated initialized=false: the controller neither
    /// creates nor deletes pets.
    PausedPets { pets: Vec<String> },
    /// A container of a pet waits for a reason that does not pass.
    Container {
        pet: String,
        uid: String,
        container: String,
        reason: String,
        message: String,
    },
    /// The pod's PodScheduled condition is False, reason Unschedulable.
    Unschedulable {
        pet: String,
        uid: String,
        message: String,
    },
}

impl Blocker {
    /// Tells one blocker from another: a new pod of a pet is a new
    /// blocker, a new back-off message of the same pod is not, and
    /// ErrImagePull and ImagePullBackOff are one.
    fn key(&self) -> String {
        match self {
            Blocker::PausedTemplate | Blocker::PausedPets { .. } => "paused".into(),
            Blocker::Container {
                uid,
                container,
                reason,
                ..
            } => {
                let reason = if reason.contains("ImagePull") {
                    "pull"
                } else {
                    reason
                };
                format!("{uid} {container} {reason}")
            }
            Blocker::Unschedulable { uid, .. } => format!("{uid} unschedulable"),
        }
    }

    pub fn is_pause(&self) -> bool {
        matches!(self, Blocker::PausedTemplate | Blocker::PausedPets { .. })
    }

    /// What is said on stderr when the blocker is first seen.
    pub fn notice(&self, set: &Set) -> String {
        let label = set.label();
        let name = set.name();
        match self {
            Blocker::PausedTemplate => format!(
                "{label} is paused: its template says {INITIALIZED}: \"false\", so after each pet it waits until that pet is annotated {INITIALIZED}=true; resume with: petctl resume {name}"
            ),
            Blocker::PausedPets { pets } => format!(
                "{label} is paused: {} annotated {INITIALIZED}=false, so the controller neither creates nor deletes pets; resume with: petctl resume {name}",
                pets_are(pets)
            ),
            Blocker::Container {
                pet,
                container,
                reason,
                message,
                ..
            } => {
                let message = if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                };
                format!("{label} is blocked: pet {pet} is in {reason}: container {container}{message}")
            }
            Blocker::Unschedulable { pet, message, .. } => format!(
                "{label} is blocked: pet {pet} cannot be scheduled (Unschedulable): {message}"
            ),
        }
    }

    /// The line a timeout adds for a pause; the pets' own blockers are in
    /// their [`NotReady`] lines.
    pub fn report(&self, set: &Set) -> Option<String> {
        let name = set.name();
        match self {
            Blocker::PausedTemplate => Some(format!(
                "the set is paused ({INITIALIZED}: \"false\"): resume it with petctl resume {name}"
            )),
            Blocker::PausedPets { pets } => Some(format!(
                "the set is paused ({} annotated {INITIALIZED}=false): resume it with petctl resume {name}",
                pets_are(pets)
            )),
            _ => None,
        }
    }
}

/// `pet web-0 is`, `pets web-0, web-1 are`.
fn pets_are(pets: &[String]) -> String {
    match pets {
        [pet] => format!("pet {pet} is"),
        pets => format!("pets {} are", pets.join(", ")),
    }
}

fn is_paused(pod: &Value) -> bool {
    pod.pointer("/metadata/annotations")
        .and_then(|a| a.get(INITIALIZED))
        .and_then(Value::as_str)
        == Some("false")
}

/// The PodScheduled=False condition of reason Unschedulable, if any.
fn unschedulable(pod: &Value) -> Option<&Value> {
    pod.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == "PodScheduled" && c["status"] == "False")
        .filter(|c| c["reason"] == "Unschedulable")
}

/// What blocks the set, as its pets show it: its pause (PetSets only: a
/// StatefulSet's pause holds back a new template, not scaling), and each
/// present, not Ready pet that crash-loops, cannot pull its image or
/// cannot be scheduled.
pub fn blockers(set: &Set, pets: &[Pet]) -> Vec<Blocker> {
    let mut found = Vec::new();
    if set.is_petset() {
        if set.paused() {
            found.push(Blocker::PausedTemplate);
        } else {
            let paused: Vec<String> = pets
                .iter()
                .filter(|p| p.pod.as_ref().is_some_and(is_paused))
                .map(|p| p.name.clone())
                .collect();
            if !paused.is_empty() {
                found.push(Blocker::PausedPets { pets: paused });
            }
        }
    }
    for pet in pets {
        let Some(pod) = &pet.pod else { continue };
        if matches!(pet.state, PetState::Ready | PetState::Terminating) {
            continue;
        }
        let uid = text(pod, "/metadata/uid").to_string();
        if let Some(condition) = unschedulable(pod) {
            found.push(Blocker::Unschedulable {
                pet: pet.name.clone(),
                uid: uid.clone(),
                message: text(condition, "/message").to_string(),
            });
        }
        let statuses = pod.pointer("/status/containerStatuses");
        for status in statuses.and_then(Value::as_array).into_iter().flatten() {
            let reason = text(status, "/state/waiting/reason");
            if STUCK_REASONS.contains(&reason) {
                found.push(Blocker::Container {
                    pet: pet.name.clone(),
                    uid: uid.clone(),
                    container: text(status, "/name").to_string(),
                    reason: reason.to_string(),
                    message: text(status, "/state/waiting/message").to_string(),
                });
            }
        }
    }
    found
}

/// Remembers the blockers said, so each is said once.
#[derive(Debug, Default)]
pub struct Notices {
    said: BTreeSet<String>,
}

impl Notices {
    /// The blockers of `found` not said before.
    pub fn fresh(&mut self, found: Vec<Blocker>) -> Vec<Blocker> {
        found
            .into_iter()
            .filter(|b| self.said.insert(b.key()))
            .collect()
    }
}

/// Why a pet is not Ready: its state, the container's waiting reason and
/// message (or why it cannot be scheduled), and the last events of its
/// current pod.
#[derive(Debug, Clone, PartialEq)]
pub struct NotReady {
    pub pet: String,
    pub state: PetState,
    pub detail: Option<String>,
    pub events: Vec<String>,
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pet, self.state)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        for event in &self.events {
            write!(f, "\n    {event}")?;
        }
        Ok(())
    }
}

fn waiting_detail(pod: &Value) -> Option<String> {
    if let Some(condition) = unschedulable(pod) {
        return Some(format!("Unschedulable: {}", text(condition, "/message")));
    }
    pod.pointer("/status/containerStatuses")?
        .as_array()?
        .iter()
        .find_map(|cs| {
            let reason = cs.pointer("/state/waiting/reason")?.as_str()?;
            let name = text(cs, "/name");
            Some(match text(cs, "/state/waiting/message") {
                "" => format!("container {name}: {reason}"),
                message => format!("container {name}: {reason}: {message}"),
            })
        })
}

/// The last `limit` events about the object `name` with `uid` (an older
/// object of the same name has its own), oldest first, as `Reason: message`
/// lines.
pub async fn last_events(
    client: &Client,
    namespace: &str,
    name: &str,
    uid: &str,
    limit: usize,
) -> Vec<String> {
    let events = crate::ops::events::recent(client, namespace, name, uid, limit)
        .await
        .unwrap_or_default();
    events
        .iter()
        .map(|e| {
            format!(
                "{} {}: {}",
                e["type"].as_str().unwrap_or("Normal"),
                text(e, "/reason"),
                text(e, "/message")
            )
        })
        .collect()
}

/// Explains each wanted pet that is not Ready.
pub async fn explain(client: &Client, set: &Set, pets: &[Pet]) -> Vec<NotReady> {
    let mut out = Vec::new();
    for pet in pets.iter().filter(|p| wanted(set, p.ordinal)) {
        let state = pet.state.clone();
        if state == PetState::Ready {
            continue;
        }
        let uid = pet.pod.as_ref().map(|p| text(p, "/metadata/uid"));
        out.push(NotReady {
            pet: pet.name.clone(),
            detail: pet.pod.as_ref().and_then(waiting_detail),
            events: match uid.filter(|u| !u.is_empty()) {
                Some(uid) => last_events(client, set.namespace(), &pet.name, uid, 3).await,
                None => Vec::new(),
            },
            state,
        });
    }
    out
}

/// The lines a timeout reports: each wanted pet not Ready (with its
/// events), then the pause, if that is what holds the set.
pub async fn report(client: &Client, set: &Set, pets: &[Pet]) -> (Vec<NotReady>, Vec<String>) {
    let not_ready = explain(client, set, pets).await;
    let mut lines: Vec<String> = not_ready.iter().map(|n| format!("  {n}")).collect();
    lines.extend(
        blockers(set, pets)
            .iter()
            .filter_map(|b| b.report(set))
            .map(|l| format!("  {l}")),
    );
    (not_ready, lines)
}

#[cfg(test)]
mod tests {
    use super::super::pet::tests::{pod, set};
    use super::*;
    use crate::ops::pets::assemble;
    use serde_json::json;

    fn waiting(name: &str, reason: &str, message: &str) -> Value {
        let mut p = pod(name, false);
        p["status"]["phase"] = json!("Pending");
        p["status"]["containerStatuses"] =
            json!([{"name": "c", "state": {"waiting": {"reason": reason, "message": message}}}]);
        p
    }

    #[test]
    fn blockers_of_pets() {
        let s = set();
        let crash = waiting("web-0", "CrashLoopBackOff", "back-off 1s");
        let mut unscheduled = pod("web-1", false);
        unscheduled["status"] = json!({"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available"}]});
        let found = blockers(&s, &assemble(&s, &[crash, unscheduled], &[]));
        assert_eq!(
            found.iter().map(|b| b.notice(&s)).collect::<Vec<_>>(),
            [
                "petset \"web\" is blocked: pet web-0 is in CrashLoopBackOff: container c: back-off 1s",
                "petset \"web\" is blocked: pet web-1 cannot be scheduled (Unschedulable): 0/3 nodes are available",
            ]
        );
        let creating = waiting("web-0", "ContainerCreating", "");
        assert!(blockers(&s, &assemble(&s, &[creating], &[])).is_empty());
    }

    #[test]
    fn a_paused_petset_blocks_and_a_statefulset_does_not() {
        let mut s = set();
        let paused = |name: &str| {
            let mut p = pod(name, true);
            p["metadata"]["annotations"] = json!({INITIALIZED: "false"});
            p
        };
        let pets = assemble(&s, &[paused("web-0")], &[]);
        let found = blockers(&s, &pets);
        assert_eq!(
            found,
            [Blocker::PausedPets {
                pets: vec!["web-0".into()]
            }]
        );
        assert_eq!(
            found[0].report(&s).unwrap(),
            "the set is paused (pet web-0 is annotated pod.alpha.kubernetes.io/initialized=false): resume it with petctl resume web"
        );
        let both = blockers(&s, &assemble(&s, &[paused("web-0"), paused("web-1")], &[]));
        assert_eq!(
            both[0].report(&s).unwrap(),
            "the set is paused (pets web-0, web-1 are annotated pod.alpha.kubernetes.io/initialized=false): resume it with petctl resume web"
        );
        let mut notices = Notices::default();
        assert_eq!(notices.fresh(found).len(), 1);
        assert!(notices.fresh(both).is_empty(), "one pause, said once");
        s.object["spec"]["template"] = json!({"metadata": {"annotations": {INITIALIZED: "false"}}});
        assert_eq!(blockers(&s, &pets), [Blocker::PausedTemplate]);
        s.kind = crate::kinds::by_name("statefulset").unwrap();
        assert!(blockers(&s, &pets).is_empty());
    }

    #[test]
    fn each_blocker_is_said_once() {
        let s = set();
        let mut notices = Notices::default();
        let at = |reason: &str, message: &str| {
            blockers(&s, &assemble(&s, &[waiting("web-0", reason, message)], &[]))
        };
        assert_eq!(notices.fresh(at("ErrImagePull", "not found")).len(), 1);
        assert!(notices.fresh(at("ImagePullBackOff", "back-off")).is_empty());
        assert_eq!(
            notices.fresh(at("CrashLoopBackOff", "back-off 1s")).len(),
            1
        );
        assert!(notices
            .fresh(at("CrashLoopBackOff", "back-off 2s"))
            .is_empty());
        let mut recreated = waiting("web-0", "CrashLoopBackOff", "back-off 1s");
        recreated["metadata"]["uid"] = json!("new");
        let again = notices.fresh(blockers(&s, &assemble(&s, &[recreated], &[])));
        assert_eq!(again.len(), 1, "a new pod is a new blocker");
    }
}
