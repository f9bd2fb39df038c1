//! Deleting the planned claims one by one: a fresh snapshot is compared
//! with the plan right before each DELETE (the set read last), the DELETE
//! carries the claim's uid and resourceVersion, and another snapshot right
//! after it says whether the set moved meanwhile — and, from a watch on the
//! set, whether before the DELETE committed or after. Any change stops the
//! run: nothing more is deleted, and the outcome says what changed.

use std::time::Duration;

use serde_json::Value;

use super::recheck::{self, Race};
use super::{text, Candidate, Plan, Target};
use crate::client::request::{DeleteOptions, ListParams, Preconditions};
use crate::client::watch::{Cache, Event, Watcher};
use crate::client::Client;
use crate::kinds::{self, KindInfo};
use crate::ops::progress::{Note, Progress};
use crate::ops::sets::Set;
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
        let history = SetHistory::open(client, &plan.target).await?;
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
        let deleted_at = delete(client, namespace, c).await?;
        progress.note(Note::Step(format!("deleted claim {}", c.claim)));
        let world = plan.observe(client).await?;
        let after = recheck::after_delete(&plan.target, c, &world);
        let stopped = if after.is_empty() {
            None
        } else {
            let fresh = recheck::fresh_set(&plan.target, &world);
            Some(judge(plan, c, &after, history, fresh, deleted_at).await)
        };
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
        if stopped.is_some() {
            outcome.stopped = stopped;
            break;
        }
    }
    Ok(outcome)
}

/// Says what the move seen right after deleting `c` means: from the set's
/// versions in between, whether the set wanted the claim before the DELETE
/// committed (lost), only after it (the plan is stale), or — when the
/// history is incomplete or a pod or another set is involved — maybe.
async fn judge(
    plan: &Plan,
    c: &Candidate,
    after: &recheck::AfterDelete,
    history: Option<SetHistory<'_>>,
    fresh: Option<&Set>,
    deleted_at: Option<u64>,
) -> String {
    let pet = format!("{}-{}", plan.target.name(), c.ordinal);
    let race = match (&plan.target, history, deleted_at) {
        (Target::Set(planned), Some(history), Some(at)) => history
            .until(fresh.map(Set::resource_version))
            .await
            .map(|versions| recheck::race(planned, &versions, at, c.ordinal)),
        _ => None,
    };
    match race {
        Some(Race::Lost { revision, replicas }) => format!(
            "claim {} was deleted at revision {} although {} wanted it: it had {replicas} replicas from revision {revision}; pet {pet} may be running on it, or will start on a new, empty claim; nothing more deleted",
            c.claim,
            deleted_at.unwrap_or(0),
            plan.target.label()
        ),
        Some(Race::After) if after.others.is_empty() => format!(
            "after claim {} was deleted, {}; nothing more deleted",
            c.claim,
            after.set.join("; ")
        ),
        _ => format!(
            "while claim {} was being deleted, {}: it may have been wanted, and pet {pet} may be running on it or start on a new, empty claim; nothing more deleted",
            c.claim,
            after.all().join("; ")
        ),
    }
}

/// The versions of the target set from a watch opened before the last
/// check, so that a move can be placed before or after a DELETE.
struct SetHistory<'a> {
    watcher: Watcher<'a>,
    versions: Vec<Set>,
    kind: &'static KindInfo,
}

impl<'a> SetHistory<'a> {
    async fn open(client: &'a Client, target: &Target) -> anyhow::Result<Option<SetHistory<'a>>> {
        let Target::Set(set) = target else {
            return Ok(None);
        };
        let mut watcher = Watcher::new(
            client,
            set.kind,
            Some(set.namespace()),
            ListParams::fields(format!("metadata.name={}", set.name())),
        );
        let listed = wait::prime(&mut watcher).await?;
        let versions = listed
            .values()
            .map(|object| Set {
                kind: set.kind,
                object: object.clone(),
            })
            .collect();
        Ok(Some(SetHistory {
            watcher,
            versions,
            kind: set.kind,
        }))
    }

    /// Every version up to the one with `resource_version` (or the set's
    /// deletion, for None), oldest first; None if the watch had to relist
    /// or did not get there within a few seconds, as then versions may be
    /// missing.
    async fn until(mut self, resource_version: Option<&str>) -> Option<Vec<Set>> {
        let reached = |versions: &[Set]| {
            resource_version
                .is_some_and(|rv| versions.last().is_some_and(|s| s.resource_version() == rv))
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !reached(&self.versions) {
            match tokio::time::timeout_at(deadline, self.watcher.next()).await {
                Ok(Ok(Event::Applied(object))) => self.versions.push(Set {
                    kind: self.kind,
                    object,
                }),
                Ok(Ok(Event::Deleted(_))) if resource_version.is_none() => break,
                Ok(Ok(Event::Deleted(_))) => {}
                Ok(Ok(Event::Restarted(_))) | Ok(Err(_)) | Err(_) => return None,
            }
        }
        Some(self.versions)
    }
}

/// DELETE with the claim's uid and resourceVersion as preconditions; the
/// revision it committed at, when the server says.
async fn delete(client: &Client, namespace: &str, c: &Candidate) -> anyhow::Result<Option<u64>> {
    let pvcs = kinds::builtin("pvc");
    let body = DeleteOptions {
        preconditions: Some(Preconditions {
            uid: Some(c.uid.clone()),
            resource_version: Some(c.resource_version.clone()),
        }),
        ..Default::default()
    };
    match client
        .api(pvcs, Some(namespace))
        .delete(&c.claim, &body)
        .await
    {
        // A retried delete finds the claim already gone, or already
        // being deleted (its resourceVersion moved on).
        Ok(object) => Ok(recheck::revision(&text(
            &object,
            "/metadata/resourceVersion",
        ))),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) if err.is_conflict() && already_deleting(client, namespace, c).await => Ok(None),
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
    let claims = client.api(kinds::builtin("pvc"), Some(namespace));
    match claims.get::<Value>(&c.claim).await {
        Ok(claim) => {
            claim.pointer("/metadata/uid").and_then(Value::as_str) == Some(c.uid.as_str())
                && claim
                    .pointer("/metadata/deletionTimestamp")
                    .is_some_and(|v| !v.is_null())
        }
        Err(err) => err.is_not_found(),
    }
}
