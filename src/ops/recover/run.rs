//! Carrying out a recovery's plan: each pet's node asked about again right
//! before its force delete, the delete, and the wait on a watch for the
//! successor; a pet an interrupted run deleted is only awaited.

use std::time::Duration;

use serde_json::Value;

use super::{heartbeat, node, Action, PetPlan, PetResult, Plan, Successor};
use crate::client::request::{DeleteOptions, Preconditions, PropagationPolicy};
use crate::client::watch::{Cache, Watcher};
use crate::client::Client;
use crate::kinds;
use crate::ops::pets::Pet;
use crate::ops::progress::{Note, Progress};
use crate::ops::sets::Set;
use crate::ops::upgrade::pet::uid_of;
use crate::ops::wait::{self, PetState, TimedOut};
use petctl_model::time::Timestamp;

impl Plan {
    /// Force-deletes each pet to delete, in ordinal order, and awaits its
    /// successor, each within `timeout`. The caller holds the lease.
    pub async fn execute(
        &mut self,
        client: &Client,
        set: &Set,
        timeout: Duration,
        progress: &mut dyn Progress,
    ) -> anyhow::Result<()> {
        for at in 0..self.pets.len() {
            let pet = &mut self.pets[at];
            match pet.action {
                Action::ForceDelete => recover_pet(client, set, pet, timeout, progress).await?,
                Action::Await => {
                    let mut watcher = wait::pets_watcher(client, set);
                    let before = wait::prime(&mut watcher).await?;
                    let successor = Awaited {
                        old_uid: None,
                        lost: None,
                    };
                    successor
                        .wait(client, set, pet, (watcher, before), timeout, progress)
                        .await?;
                    pet.result = PetResult::Awaited;
                }
                Action::Nothing | Action::Refuse => {}
            }
        }
        Ok(())
    }
}

/// One pet: its node asked again, the force delete, the wait.
async fn recover_pet(
    client: &Client,
    set: &Set,
    pet: &mut PetPlan,
    timeout: Duration,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    let node = pet.node.clone().unwrap_or_default();
    // The node may have come back since the plan: ask again right before.
    let beat = heartbeat(client, &node).await?;
    let lost = beat.lost(Timestamp::now());
    pet.heartbeat = Some(beat);
    if !lost {
        pet.result = PetResult::NodeCameBack;
        progress.note(Note::Warning(format!(
            "{}: node {node} is not lost any more; not deleted",
            pet.pet
        )));
        return Ok(());
    }
    let mut watcher = wait::pets_watcher(client, set);
    let before = wait::prime(&mut watcher).await?;
    let successor = Awaited {
        old_uid: pet.uid.clone(),
        lost: Some(node),
    };
    force_delete(client, set, pet, progress).await?;
    successor
        .wait(client, set, pet, (watcher, before), timeout, progress)
        .await?;
    pet.result = PetResult::Recovered;
    progress.note(Note::Pet {
        pet: pet.pet.clone(),
        state: format!(
            "recovered on {}",
            pet.successor
                .as_ref()
                .map_or("another node", |s| s.node.as_str())
        ),
    });
    Ok(())
}

/// The pod a pet's recovery waits for: not `old_uid`, and not on `lost`.
struct Awaited {
    old_uid: Option<String>,
    lost: Option<String>,
}

impl Awaited {
    /// Waits on `watch` until the pet's pod is such a pod, Running and
    /// Ready, and records it as the pet's successor.
    async fn wait(
        &self,
        client: &Client,
        set: &Set,
        pet: &mut PetPlan,
        watch: (Watcher<'_>, Cache),
        timeout: Duration,
        progress: &mut dyn Progress,
    ) -> anyhow::Result<()> {
        let (watcher, before) = watch;
        let (done, pets) =
            wait::pets_until(set, watcher, Some(before), timeout, progress, |pets| {
                self.found(pets, &pet.pet).is_some()
            })
            .await?;
        let Some(pod) = self.found(&pets, &pet.pet).filter(|_| done) else {
            let (_, reasons) = wait::report(client, set, &pets).await;
            let elsewhere = self
                .lost
                .as_ref()
                .map(|n| format!(" on a node other than {n}"))
                .unwrap_or_default();
            return Err(TimedOut {
                timeout,
                waiting_for: format!("a new {} Running and Ready{elsewhere}", pet.pet),
                reasons,
            }
            .into());
        };
        pet.successor = Some(Successor {
            uid: uid_of(pod).unwrap_or_default(),
            node: node::node_of(pod).unwrap_or_default().to_string(),
        });
        Ok(())
    }

    /// The pet's new pod, Running and Ready on a node other than `lost`.
    fn found<'p>(&self, pets: &'p [Pet], name: &str) -> Option<&'p Value> {
        let pod = pets.iter().find(|p| p.name == name)?.pod.as_ref()?;
        let fresh = uid_of(pod) != self.old_uid;
        let elsewhere = node::node_of(pod).is_some_and(|n| Some(n) != self.lost.as_deref());
        (fresh && elsewhere && PetState::of(Some(pod)) == PetState::Ready).then_some(pod)
    }
}

/// The DELETE `kubectl delete --force --grace-period=0` sends
/// (staging/src/k8s.io/kubectl/pkg/cmd/delete/delete.go: gracePeriod 0,
/// background propagation), preconditioned on the pod's uid: a pod the
/// controller has already re-created is not deleted.
async fn force_delete(
    client: &Client,
    set: &Set,
    pet: &PetPlan,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    let options = DeleteOptions {
        grace_period_seconds: Some(0),
        propagation_policy: Some(PropagationPolicy::Background),
        preconditions: Some(Preconditions {
            uid: pet.uid.clone(),
            resource_version: None,
        }),
        ..Default::default()
    };
    progress.note(Note::Step(format!(
        "force-deleting {} (uid {})",
        pet.pet,
        pet.uid.as_deref().unwrap_or("")
    )));
    let api = client.api(kinds::builtin("pods"), Some(set.namespace()));
    match api.delete(&pet.pet, &options).await {
        Ok(_) => {}
        // Gone, or another pod by now (the uid precondition failed): the
        // old one is not there any more either way.
        Err(e) if e.is_not_found() || e.is_conflict() => {
            progress.note(Note::Warning(format!(
                "{}: the stuck pod was gone already",
                pet.pet
            )));
        }
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context(format!("cannot force-delete pod {}", pet.pet))
            )
        }
    }
    Ok(())
}
