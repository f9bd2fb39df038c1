//! `recover`: the set's pets stuck on a lost node (Terminating past their
//! grace period, or not Ready, on a node whose Lease ran out and whose
//! Node is not Ready) are force-deleted, one at a time, each after its
//! node is asked about again; each is then awaited on a watch until the
//! controller has made a new one, Running and Ready on another node.
//! A pet on a node that is not lost is never touched. Claims are never
//! touched. Everything is read from the cluster, so a rerun after a crash
//! finds a recovered pet not stuck any more, and one the crashed run had
//! deleted but not yet seen back (created after the lease that run left
//! on the set) is awaited instead of being taken for a stuck pet.

pub mod node;
mod run;

use std::collections::BTreeMap;

use petctl_model::time::Timestamp;
use serde::Serialize;
use serde_json::Value;

pub use node::{Heartbeat, Looks, Symptom};

use super::access::{self, Need};
use super::lease;
use super::pets::{assemble_owned, Pet};
use super::sets::Set;
use super::upgrade::pet::uid_of;
use crate::client::request::ListParams;
use crate::client::{Client, Error};
use crate::kinds;

/// What recover does with a pet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Stuck on a lost node: force-delete it and await its successor.
    ForceDelete,
    /// Stuck, but its node is not lost: refuse.
    Refuse,
    /// Not stuck (Ready, starting, missing, within its grace period).
    Nothing,
    /// Recreated (or still missing) after an earlier recover that did not
    /// finish, whose lease is still on the set: await it Running and Ready.
    Await,
}

/// How it went for a pet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PetResult {
    /// Force-deleted; its successor is Running and Ready on another node.
    Recovered,
    /// Its node is not lost: nothing was done.
    Refused,
    /// Its node came back between the plan and the delete: not deleted.
    NodeCameBack,
    NotStuck,
    /// Recreated after an interrupted recovery; now Running and Ready.
    Awaited,
    /// Not acted on yet (a dry run, or an earlier pet failed).
    Planned,
}

impl PetResult {
    fn is_planned(&self) -> bool {
        *self == PetResult::Planned
    }
}

/// The pod the controller made for a recovered pet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Successor {
    pub uid: String,
    pub node: String,
}

/// One pet in the plan and, once run, in the outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PetPlan {
    pub pet: String,
    pub action: Action,
    #[serde(skip_serializing_if = "PetResult::is_planned")]
    pub result: PetResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successor: Option<Successor>,
    pub uid: Option<String>,
    pub node: Option<String>,
    /// How the pod looks: `Ready`, `Pending`, the symptom.
    pub state: String,
    pub symptom: Option<Symptom>,
    pub heartbeat: Option<Heartbeat>,
    /// The pod's finalizers: a force delete only marks such a pod, which
    /// stays until they are removed (the API server deletes an object once
    /// its finalizers are gone, whatever the grace period).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
}

/// The plan, then the outcome.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub set: String,
    pub namespace: String,
    /// When the plan was made (this machine's clock, against which Lease
    /// times are compared).
    pub at: String,
    pub pets: Vec<PetPlan>,
    #[serde(skip)]
    now: Timestamp,
}

/// A node's Lease and Node, read now; a missing one is None.
pub async fn heartbeat(client: &Client, node: &str) -> anyhow::Result<Heartbeat> {
    let read = |kind: &'static str, namespace: Option<&'static str>| async move {
        match client
            .api(kinds::builtin(kind), namespace)
            .get::<Value>(node)
            .await
        {
            Ok(object) => Ok(Some(object)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {kind} {node}"))),
        }
    };
    let lease = read("leases", Some("kube-node-lease")).await?;
    let object = read("nodes", None).await?;
    Ok(Heartbeat::of(node, lease.as_ref(), object.as_ref()))
}

/// The set's pods, one per ordinal (no claims: recover never reads or
/// touches them).
async fn pets_now(client: &Client, set: &Set) -> Result<Vec<Pet>, Error> {
    let selector = ListParams::labels(set.selector_string());
    let pods = client
        .list_objects(kinds::builtin("pods"), Some(set.namespace()), &selector)
        .await?;
    Ok(assemble_owned(set, pods, Vec::new()))
}

/// When an earlier recover that did not finish took the set's lease: a
/// finished run removes its lease, so one still there is of a run killed
/// (or still running elsewhere, which the lease then refuses).
fn interrupted_since(set: &Set) -> Option<Timestamp> {
    lease::lease_of(&set.object)
        .filter(|r| r.operation == OPERATION)
        .map(|r| r.acquired)
}

/// A pod, not being deleted, that the controller made after `since`: a
/// successor of a pet an interrupted recovery force-deleted.
fn made_after(pod: &Value, since: Option<Timestamp>) -> bool {
    let Some(since) = since else {
        return false;
    };
    let created = pod
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(petctl_model::time::parse);
    // creationTimestamp has whole seconds; the lease's time has more.
    let since = since.as_second();
    pod.pointer("/metadata/deletionTimestamp").is_none()
        && created.is_some_and(|c| c.as_second() >= since)
}

/// The operation's name in its lease.
pub const OPERATION: &str = "recover";

/// Reads the set's pets and their nodes and decides, per pet.
pub async fn plan(client: &Client, set: &Set) -> anyhow::Result<Plan> {
    let pets = pets_now(client, set).await?;
    let now = Timestamp::now();
    let interrupted = interrupted_since(set);
    let mut heartbeats: BTreeMap<String, Heartbeat> = BTreeMap::new();
    let mut planned = Vec::new();
    for pet in pets {
        let Some(pod) = &pet.pod else {
            let mut missing = PetPlan::not_stuck(&pet.name, None, None, "Missing");
            if interrupted.is_some() {
                missing.awaited();
            }
            planned.push(missing);
            continue;
        };
        let node = node::node_of(pod).map(str::to_string);
        let looks = node::looks(pod, now);
        if made_after(pod, interrupted) && !matches!(&looks, Looks::Fine(state) if state == "Ready")
        {
            let state = match &looks {
                Looks::Fine(state) => state.clone(),
                Looks::Stuck(symptom) => symptom.to_string(),
            };
            let mut successor = PetPlan::not_stuck(&pet.name, uid_of(pod), node, &state);
            successor.awaited();
            planned.push(successor);
            continue;
        }
        let symptom = match looks {
            Looks::Fine(state) => {
                planned.push(PetPlan::not_stuck(&pet.name, uid_of(pod), node, &state));
                continue;
            }
            Looks::Stuck(symptom) => symptom,
        };
        let Some(node_name) = node.clone() else {
            planned.push(PetPlan::not_stuck(
                &pet.name,
                uid_of(pod),
                None,
                "not scheduled",
            ));
            continue;
        };
        if !heartbeats.contains_key(&node_name) {
            let beat = heartbeat(client, &node_name).await?;
            heartbeats.insert(node_name.clone(), beat);
        }
        let beat = heartbeats[&node_name].clone();
        let action = if beat.lost(now) {
            Action::ForceDelete
        } else {
            Action::Refuse
        };
        planned.push(PetPlan {
            pet: pet.name.clone(),
            uid: uid_of(pod),
            node,
            state: symptom.to_string(),
            symptom: Some(symptom),
            heartbeat: Some(beat),
            finalizers: crate::json::strings(pod, "/metadata/finalizers")
                .into_iter()
                .map(str::to_string)
                .collect(),
            action,
            result: if action == Action::Refuse {
                PetResult::Refused
            } else {
                PetResult::Planned
            },
            successor: None,
        });
    }
    Ok(Plan {
        set: set.display(),
        namespace: set.namespace().to_string(),
        at: now.to_string(),
        pets: planned,
        now,
    })
}

impl PetPlan {
    fn not_stuck(pet: &str, uid: Option<String>, node: Option<String>, state: &str) -> PetPlan {
        PetPlan {
            pet: pet.to_string(),
            uid,
            node,
            state: state.to_string(),
            symptom: None,
            heartbeat: None,
            finalizers: Vec::new(),
            action: Action::Nothing,
            result: PetResult::NotStuck,
            successor: None,
        }
    }

    /// To be awaited, not judged: see [`Action::Await`].
    fn awaited(&mut self) {
        self.action = Action::Await;
        self.result = PetResult::Planned;
    }
}

/// What a force delete risks, in plain words.
pub const RISK: &str = "A force delete removes a pod from the API at once, without waiting for its node to confirm that its containers stopped. If the node is in fact still running the pet (a network partition, a kubelet that stopped while its containers run on), the controller starts a second pet with the same identity on another node, and both write to the same volume. Go ahead only if each node named above is really gone: powered off, deleted, or known to run nothing.";

impl Plan {
    pub fn to_delete(&self) -> impl Iterator<Item = &PetPlan> {
        self.pets.iter().filter(|p| p.action == Action::ForceDelete)
    }

    pub fn to_await(&self) -> impl Iterator<Item = &PetPlan> {
        self.pets.iter().filter(|p| p.action == Action::Await)
    }

    pub fn refused(&self) -> impl Iterator<Item = &PetPlan> {
        self.pets.iter().filter(|p| p.action == Action::Refuse)
    }

    /// The plan as text: one line per pet, each node's heartbeat, and the
    /// risk when anything is to be force-deleted.
    pub fn render(&self) -> String {
        let mut text = format!(
            "Recovery of {} in namespace {:?} (at {}):\n",
            self.set, self.namespace, self.at
        );
        for pet in &self.pets {
            let on = pet
                .node
                .as_deref()
                .map(|n| format!(" on {n}"))
                .unwrap_or_default();
            let what = match pet.action {
                Action::ForceDelete => "force delete (its node is lost)".to_string(),
                Action::Refuse => "refused: its node is not lost".to_string(),
                Action::Nothing => "nothing (not stuck)".to_string(),
                Action::Await => {
                    "await it: recreated after an earlier recover that did not finish".to_string()
                }
            };
            text.push_str(&format!("  {}{on}: {}; {what}\n", pet.pet, pet.state));
            if !pet.finalizers.is_empty() && pet.action == Action::ForceDelete {
                text.push_str(&format!(
                    "      finalizers {}: the pod stays until they are removed, and its successor waits\n",
                    pet.finalizers.join(", ")
                ));
            }
            if let Some(beat) = &pet.heartbeat {
                text.push_str(&format!(
                    "      {}: {}\n",
                    beat.node,
                    beat.describe(self.now)
                ));
            }
        }
        if self.to_delete().next().is_some() {
            text.push_str(&format!("{RISK}\n"));
        }
        text
    }

    /// The refusal, naming each pet's node and its renewTime.
    pub fn refusal(&self) -> Option<String> {
        let lines: Vec<String> = self
            .refused()
            .chain(
                self.pets
                    .iter()
                    .filter(|p| p.result == PetResult::NodeCameBack),
            )
            .map(|p| {
                let beat = p.heartbeat.as_ref();
                format!(
                    "{} ({}): node {} is not lost: {}",
                    p.pet,
                    p.state,
                    p.node.as_deref().unwrap_or(""),
                    beat.map(|b| b.describe(Timestamp::now()))
                        .unwrap_or_default()
                )
            })
            .collect();
        (!lines.is_empty()).then(|| {
            format!(
                "refused to force-delete {} (a pet on a live node may still run; a second one would share its identity and volume):\n  {}",
                if lines.len() == 1 { "a pet" } else { "pets" },
                lines.join("\n  ")
            )
        })
    }

    /// The permissions the recovery needs.
    pub async fn check_access(&self, client: &Client) -> anyhow::Result<()> {
        let needs = [
            Need::new("delete", kinds::builtin("pods"), &self.namespace),
            Need::new("watch", kinds::builtin("pods"), &self.namespace),
            Need::new("get", kinds::builtin("leases"), "kube-node-lease"),
            Need::new("get", kinds::builtin("nodes"), ""),
        ];
        access::require(client, &needs, &format!("recovery of {}", self.set)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use petctl_model::time;

    fn pet(name: &str, action: Action, finalizers: &[&str]) -> PetPlan {
        PetPlan {
            pet: name.into(),
            action,
            result: PetResult::Planned,
            uid: Some("u1".into()),
            node: Some("n1".into()),
            state: "not Ready (Ready=False)".into(),
            symptom: None,
            heartbeat: Some(Heartbeat {
                node: "n1".into(),
                lease_renew_time: Some("2026-12-03T10:00:00Z".into()),
                lease_duration_seconds: Some(40),
                ready: Some("True".into()),
                ready_heartbeat_time: None,
            }),
            finalizers: finalizers.iter().map(|f| f.to_string()).collect(),
            successor: None,
        }
    }

    fn plan(pets: Vec<PetPlan>) -> Plan {
        let now = time::parse("2026-12-03T10:01:00Z").unwrap();
        Plan {
            set: "statefulset.apps/web".into(),
            namespace: "default".into(),
            at: now.to_string(),
            pets,
            now,
        }
    }

    #[test]
    fn the_plan_names_finalizers_and_the_risk_only_when_deleting() {
        let deleting = plan(vec![pet(
            "web-0",
            Action::ForceDelete,
            &["example.com/hold"],
        )]);
        let text = deleting.render();
        assert!(
            text.contains(
                "  web-0 on n1: not Ready (Ready=False); force delete (its node is lost)\n"
            ),
            "{text}"
        );
        assert!(text.contains("      n1: Lease renewed 2026-12-03T10:00:00Z (60s ago, lasts 40s); Node Ready=True\n"), "{text}");
        assert!(
            text.contains("finalizers example.com/hold: the pod stays"),
            "{text}"
        );
        assert!(text.ends_with(&format!("{RISK}\n")), "{text}");
        assert_eq!(deleting.refusal(), None);

        let refusing = plan(vec![pet("web-1", Action::Refuse, &[])]);
        assert!(!refusing.render().contains(RISK));
        let refusal = refusing.refusal().expect("a refusal");
        assert!(
            refusal.starts_with("refused to force-delete a pet (a pet on a live node may still run; a second one would share its identity and volume):\n  web-1 (not Ready (Ready=False)): node n1 is not lost: Lease renewed 2026-12-03T10:00:00Z ("),
            "{refusal}"
        );
    }
}
