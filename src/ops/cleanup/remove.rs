//! Deleting the planned claims one by one: a fresh snapshot is compared
//! with the plan right before each DELETE (the set read last), the DELETE
//! carries the claim's uid and resourceVersion, and another snapshot right
//! after it says whether the set moved meanwhile. Any change stops the run:
//! nothing more is deleted, and the outcome says what changed.

use std::time::Duration;

use serde_json::Value;

use super::recheck;
use super::{text, Candidate, Plan};
use crate::client::request::{path, DeleteOptions, ListParams, Preconditions};
use crate::client::watch::{Cache, Watcher};
use crate::client::Client;
use crate::kinds;
use crate::ops::progress::{Note, Progress};
use crate::ops::wait;

/// What happened to one claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Removed {
    pub claim: String,
    pub volume: String,
    /// What became of the PV: `deleted`, `Released`, … or empty if unknown.
    pub volume_fate: String,
}

/// The claims deleted, and why the run stopped early, if it did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub removed: Vec<Removed>,
    /// What changed since the plan; nothing was deleted after it.
    pub stopped: Option<String>,
}

/// Deletes the plan's candidates, deciding again before each one.
pub async fn remove(
    client: &Client,
    plan: &Plan,
    progress: &mut dyn Progress,
) -> anyhow::Result<Outcome> {
    let namespace = plan.target.namespace();
    let candidates = &plan.selection.candidates;
    let mut outcome = Outcome::default();
    for (i, c) in candidates.iter().enumerate() {
        let volume = follow_volume_from(client, c).await?;
        let world = plan.observe(client).await?;
        let changes = recheck::changes(&plan.target, plan.extra.as_ref(), &candidates[i..], &world);
        if !changes.is_empty() {
            outcome.stopped = Some(format!(
                "stopped before deleting claim {}: since the plan, {}; nothing more deleted",
                c.claim,
                changes.join("; ")
            ));
            break;
        }
        delete(client, namespace, c).await?;
        progress.note(Note::Step(format!("deleted claim {}", c.claim)));
        let world = plan.observe(client).await?;
        let after = recheck::after_delete(&plan.target, c, &world);
        let fate = match volume {
            Some(watch) => {
                let fate = watch.fate().await?;
                progress.note(Note::Step(format!("volume {}: {fate}", c.volume)));
                fate
            }
            None => String::new(),
        };
        outcome.removed.push(Removed {
            claim: c.claim.clone(),
            volume: c.volume.clone(),
            volume_fate: fate,
        });
        if !after.is_empty() {
            outcome.stopped = Some(format!(
                "while claim {} was being deleted, {}: it may have been wanted, and a pet that mounts it again starts on a new, empty claim; nothing more deleted",
                c.claim,
                after.join("; ")
            ));
            break;
        }
    }
    Ok(outcome)
}

/// DELETE with the claim's uid and resourceVersion as preconditions.
async fn delete(client: &Client, namespace: &str, c: &Candidate) -> anyhow::Result<()> {
    let pvcs = kinds::builtin("pvc");
    let body = DeleteOptions {
        preconditions: Some(Preconditions {
            uid: Some(c.uid.clone()),
            resource_version: Some(c.resource_version.clone()),
        }),
        ..Default::default()
    };
    match client
        .send(
            reqwest::Method::DELETE,
            &path(pvcs, Some(namespace), Some(&c.claim), None),
            Some(("application/json", body.body())),
        )
        .await
    {
        // A retried delete finds the claim already gone, or already
        // being deleted (its resourceVersion moved on).
        Ok(_) => Ok(()),
        Err(err) if err.is_not_found() => Ok(()),
        Err(err) if err.is_conflict() && already_deleting(client, namespace, c).await => Ok(()),
        Err(err) => {
            Err(anyhow::Error::from(err).context(format!("failed to delete claim {}", c.claim)))
        }
    }
}

/// A watch on a claim's PV, opened before the claim is deleted.
struct VolumeWatch<'a> {
    watcher: Watcher<'a>,
    before: Cache,
    volume: String,
}

async fn follow_volume_from<'a>(
    client: &'a Client,
    c: &Candidate,
) -> anyhow::Result<Option<VolumeWatch<'a>>> {
    if c.volume.is_empty() {
        return Ok(None);
    }
    let mut watcher = Watcher::new(
        client,
        kinds::builtin("pv"),
        None,
        ListParams::fields(format!("metadata.name={}", c.volume)),
    );
    let before = wait::prime(&mut watcher).await?;
    Ok(Some(VolumeWatch {
        watcher,
        before,
        volume: c.volume.clone(),
    }))
}

impl VolumeWatch<'_> {
    /// What became of the PV within a few seconds of its claim's deletion.
    async fn fate(self) -> anyhow::Result<String> {
        let volume = self.volume;
        let (seen, cache) = wait::watch_until_from(
            self.watcher,
            self.before,
            Duration::from_secs(10),
            |cache| match cache.get("", &volume) {
                None => Some("deleted".to_string()),
                Some(pv)
                    if text(pv, "/status/phase") == "Released"
                        && text(pv, "/spec/persistentVolumeReclaimPolicy") == "Retain" =>
                {
                    Some(
                        "Released (reclaim policy Retain: the data stays until you delete the PV)"
                            .to_string(),
                    )
                }
                _ => None,
            },
        )
        .await?;
        Ok(seen.unwrap_or_else(|| {
            let phase = cache
                .get("", &volume)
                .map(|pv| text(pv, "/status/phase"))
                .unwrap_or_default();
            format!("still {phase}")
        }))
    }
}

/// Whether this claim (same uid) is gone or marked for deletion.
async fn already_deleting(client: &Client, namespace: &str, c: &Candidate) -> bool {
    match client
        .get_object(kinds::builtin("pvc"), Some(namespace), &c.claim)
        .await
    {
        Ok(claim) => {
            claim.pointer("/metadata/uid").and_then(Value::as_str) == Some(c.uid.as_str())
                && claim
                    .pointer("/metadata/deletionTimestamp")
                    .is_some_and(|v| !v.is_null())
        }
        Err(err) => err.is_not_found(),
    }
}
