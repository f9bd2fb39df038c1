//! Restarting pets whose claims wait for a pod to mount them before their
//! filesystems grow (`FileSystemResizePending`): one pet at a time, highest
//! ordinal first, each deleted only while every other wanted pet is Ready
//! and awaited on the pod watch until its replacement is Ready, between
//! its before- and after-hooks; a pet that does not come back, or a hook
//! that fails, stops the operation with the rest untouched.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::bail;

use super::plan::ClaimPlan;
use crate::client::request::{DeleteOptions, Preconditions};
use crate::client::watch::Cache;
use crate::client::Client;
use crate::kinds;
use crate::ops::hooks::{Hooks, PetContext, When};
use crate::ops::pets::Pet;
use crate::ops::progress::{Note, Progress};
use crate::ops::sets::Set;
use crate::ops::upgrade::pet::{uid_of, unavailable};
use crate::ops::wait::{pets_in, pets_until, pets_watcher, prime, report, wanted, PetState};

/// The wanted ordinals whose claims wait for a restart, highest first.
pub fn pets_to_restart(set: &Set, rows: &[ClaimPlan], pending: &[String]) -> Vec<i64> {
    let ordinals: BTreeSet<i64> = rows
        .iter()
        .filter(|r| pending.contains(&r.claim) && wanted(set, r.ordinal))
        .map(|r| r.ordinal)
        .collect();
    ordinals.into_iter().rev().collect()
}

/// Restarts the pets of `ordinals` in that order; the names restarted.
pub async fn restart_pets(
    client: &Client,
    set: &Set,
    ordinals: &[i64],
    pet_timeout: Duration,
    hooks: &Hooks,
    progress: &mut dyn Progress,
) -> anyhow::Result<Vec<String>> {
    let mut restarted = Vec::new();
    for &ordinal in ordinals {
        restart_pet(client, set, ordinal, pet_timeout, hooks, progress).await?;
        restarted.push(set.pet_name(ordinal));
    }
    Ok(restarted)
}

fn pet_of<'a>(pets: &'a [Pet], name: &str) -> Option<&'a Pet> {
    pets.iter().find(|p| p.name == name)
}

/// Restarts one pet: waits until every other wanted pet is Ready, runs
/// its before-hook, deletes its pod (uid precondition), waits for the pod
/// recreated after it to be Ready, and runs its after-hook.
pub async fn restart_pet(
    client: &Client,
    set: &Set,
    ordinal: i64,
    pet_timeout: Duration,
    hooks: &Hooks,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    let name = set.pet_name(ordinal);
    let range = set.wanted_ordinals();
    let (admitted, pets) = pets_until(
        set,
        pets_watcher(client, set),
        None,
        pet_timeout,
        progress,
        |pets| {
            unavailable(pets, &range, &name).is_empty()
                && pet_of(pets, &name).is_some_and(|p| p.pod.is_some())
        },
    )
    .await?;
    if !admitted {
        let (_, reasons) = report(client, set, &pets).await;
        bail!(
            "cannot restart {name} for its filesystem resize: other pets of {} are not Ready after {pet_timeout:?}, and restarting it would leave more than one down:\n{}",
            set.label(),
            reasons.join("\n")
        );
    }
    // Admitted, so its pod is there.
    let pet = PetContext::of(set, ordinal);
    hooks.run(When::Before, &pet, progress).await?;
    let mut watcher = pets_watcher(client, set);
    let before: Cache = prime(&mut watcher).await?;
    let pod = pet_of(&pets_in(set, &before), &name).and_then(|p| p.pod.clone());
    let old_uid = pod.as_ref().and_then(uid_of);
    if let Some(uid) = &old_uid {
        progress.note(Note::Step(format!(
            "restarting {name} so that its filesystem grows"
        )));
        let options = DeleteOptions {
            preconditions: Some(Preconditions {
                uid: Some(uid.clone()),
                resource_version: None,
            }),
            ..Default::default()
        };
        match client
            .api(kinds::builtin("pods"), Some(set.namespace()))
            .delete(&name, &options)
            .await
        {
            Ok(_) => {}
            // Gone or replaced already: its successor is awaited below.
            Err(err) if err.is_not_found() || err.is_conflict() => {}
            Err(err) => {
                return Err(anyhow::Error::new(err).context(format!("cannot restart {name}")))
            }
        }
    }
    let (back, pets) = pets_until(set, watcher, Some(before), pet_timeout, progress, |pets| {
        pet_of(pets, &name)
            .and_then(|p| p.pod.as_ref())
            .is_some_and(|pod| uid_of(pod) != old_uid && PetState::of(Some(pod)) == PetState::Ready)
    })
    .await?;
    if !back {
        let (_, reasons) = report(client, set, &pets).await;
        bail!(
            "{name} did not come back Ready within {pet_timeout:?} after its restart; stopping with the other pets untouched:\n{}",
            reasons.join("\n")
        );
    }
    hooks.run(When::After, &pet, progress).await
}
