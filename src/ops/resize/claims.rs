//! The claims' part of a resize: each request raised by a JSON Patch that
//! `test`s the resourceVersion it was read at, then the resize followed on
//! a watch of the claims — its conditions, then `status.capacity` — until
//! each has grown, or waits for a pod to (re)mount it.

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use super::plan::{at_least, ClaimPlan, SizeChange};
use super::ResizeOptions;
use crate::client::request::{ListParams, PatchType, WriteParams};
use crate::client::watch::{Cache, Watcher};
use crate::client::Client;
use crate::kinds;
use crate::ops::conflict::{precondition_failed, retry, Attempt};
use crate::ops::progress::{Note, Progress};
use crate::ops::sets::Set;
use crate::ops::wait::watch_until;

const ATTEMPTS: u32 = 6;

/// Where one claim's resize is, from its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resize {
    /// Not started, or the volume is growing.
    Growing,
    /// The volume grew; the filesystem waits for a pod to mount it
    /// (condition FileSystemResizePending).
    FilesystemPending,
    /// `status.capacity` has the size.
    Done,
    /// The driver cannot grow it (ControllerResizeInfeasible / NodeResizeInfeasible).
    Failed(String),
}

/// Pure: the resize state of `claim` towards `bytes`.
pub fn state(claim: &Value, bytes: f64) -> Resize {
    let capacity = claim
        .pointer("/status/capacity/storage")
        .and_then(Value::as_str)
        .unwrap_or("");
    if at_least(capacity, bytes) {
        return Resize::Done;
    }
    let status = claim
        .pointer("/status/allocatedResourceStatuses/storage")
        .and_then(Value::as_str)
        .unwrap_or("");
    if status.ends_with("Infeasible") {
        return Resize::Failed(status.to_string());
    }
    let pending = claim
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "FileSystemResizePending" && c["status"] == "True");
    if pending || status == "NodeResizePending" {
        Resize::FilesystemPending
    } else {
        Resize::Growing
    }
}

fn bytes_of(row: &ClaimPlan) -> f64 {
    SizeChange::parse(&format!("{}={}", row.template, row.new))
        .map(|c| c.bytes)
        .unwrap_or(f64::INFINITY)
}

/// Raises the request of each claim that still needs it, reading it afresh
/// and patching with a `test` of that read's resourceVersion.
pub async fn request(
    client: &Client,
    set: &Set,
    rows: &[ClaimPlan],
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    let api = client.api(
        kinds::builtin("persistentvolumeclaims"),
        Some(set.namespace()),
    );
    for row in rows {
        let want = bytes_of(row);
        let attempt = async |_| {
            let claim: Value = api
                .get(&row.claim)
                .await
                .with_context(|| format!("cannot read claim {:?}", row.claim))?;
            if at_least(super::plan::request(&claim), want) {
                return Ok(Attempt::Done(false));
            }
            let ops = json!([
                {"op": "test", "path": "/metadata/resourceVersion", "value": claim["metadata"]["resourceVersion"]},
                {"op": "replace", "path": "/spec/resources/requests/storage", "value": row.new},
            ]);
            match api
                .patch(&row.claim, PatchType::Json, &ops, &WriteParams::default())
                .await
            {
                Ok(_) => Ok(Attempt::Done(true)),
                Err(err) if precondition_failed(&err) || err.is_retryable() => {
                    Ok(Attempt::Conflict(err))
                }
                Err(err) => {
                    Err(anyhow::Error::new(err)
                        .context(format!("cannot resize claim {:?}", row.claim)))
                }
            }
        };
        let written = retry(ATTEMPTS, attempt, |last| {
            bail!(
                "cannot resize claim {:?}: it kept changing; the last answer: {last}",
                row.claim
            )
        })
        .await?;
        if written {
            progress.note(Note::Step(format!(
                "claim {}: request {} -> {}",
                row.claim, row.current, row.new
            )));
        }
    }
    Ok(())
}

/// What the watch of the claims says of `rows`.
fn states(cache: &Cache, namespace: &str, rows: &[ClaimPlan]) -> Vec<(String, Resize)> {
    rows.iter()
        .map(|row| {
            let state = cache
                .get(namespace, &row.claim)
                .map_or(Resize::Growing, |c| state(c, bytes_of(row)));
            (row.claim.clone(), state)
        })
        .collect()
}

/// Waits until every claim of `rows` has its capacity or waits for a pod
/// to mount it; then, for `filesystem_wait`, for those waiting to grow
/// online. Returns the claims whose filesystem still waits.
pub async fn await_resized(
    client: &Client,
    set: &Set,
    rows: &[ClaimPlan],
    options: &ResizeOptions,
    progress: &mut dyn Progress,
) -> anyhow::Result<Vec<String>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let namespace = set.namespace().to_string();
    let mut said: Vec<(String, Resize)> = Vec::new();
    let settled = |cache: &Cache, progress: &mut dyn Progress, said: &mut Vec<_>| {
        let now = states(cache, &namespace, rows);
        for (claim, state) in &now {
            if !said.contains(&(claim.clone(), state.clone())) {
                said.retain(|(c, _)| c != claim);
                said.push((claim.clone(), state.clone()));
                let shown = match state {
                    Resize::Growing => "resizing".to_string(),
                    Resize::FilesystemPending => "FileSystemResizePending".to_string(),
                    Resize::Done => "resized".to_string(),
                    Resize::Failed(why) => format!("resize failed: {why}"),
                };
                progress.note(Note::Pet {
                    pet: claim.clone(),
                    state: shown,
                });
            }
        }
        now
    };
    let watcher = claims_watcher(client, &namespace);
    let (first, cache) = watch_until(watcher, options.timeout, |cache| {
        let now = settled(cache, progress, &mut said);
        now.iter()
            .all(|(_, s)| *s != Resize::Growing)
            .then_some(now)
    })
    .await?;
    let Some(first) = first else {
        let growing: Vec<String> = states(&cache, &namespace, rows)
            .into_iter()
            .filter(|(_, s)| *s == Resize::Growing)
            .map(|(c, _)| format!("  {c}: still resizing"))
            .collect();
        let waiting_for = format!("the claims of {} to grow", set.label());
        return Err(super::timed_out(options.timeout, waiting_for, growing));
    };
    if let Some((claim, Resize::Failed(why))) =
        first.iter().find(|(_, s)| matches!(s, Resize::Failed(_)))
    {
        bail!(
            "the resize of claim {claim:?} failed ({why}); see `petctl describe pvc` or its events"
        );
    }
    let pending = |now: &[(String, Resize)]| -> Vec<String> {
        now.iter()
            .filter(|(_, s)| *s == Resize::FilesystemPending)
            .map(|(c, _)| c.clone())
            .collect()
    };
    if pending(&first).is_empty() {
        return Ok(Vec::new());
    }
    // An online resize finishes while the pet runs; one that needs a
    // restart stays FileSystemResizePending ("Waiting for user to
    // (re-)start a pod", pkg/kubelet/volumemanager) until a pod mounts it.
    let watcher = claims_watcher(client, &namespace);
    let (_, cache) = watch_until(watcher, options.filesystem_wait, |cache| {
        let now = settled(cache, progress, &mut said);
        now.iter().all(|(_, s)| *s == Resize::Done).then_some(())
    })
    .await?;
    Ok(pending(&states(&cache, &namespace, rows)))
}

fn claims_watcher<'c>(client: &'c Client, namespace: &str) -> Watcher<'c> {
    Watcher::new(
        client,
        kinds::builtin("persistentvolumeclaims"),
        Some(namespace),
        ListParams::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_follow_conditions_then_capacity() {
        let gi = 1024f64.powi(3);
        let claim = |capacity: &str, status: &str, condition: &str| {
            let mut c = json!({"status": {"capacity": {"storage": capacity}}});
            if !status.is_empty() {
                c["status"]["allocatedResourceStatuses"] = json!({"storage": status});
            }
            if !condition.is_empty() {
                c["status"]["conditions"] = json!([{"type": condition, "status": "True"}]);
            }
            c
        };
        assert_eq!(state(&claim("1Gi", "", ""), 2.0 * gi), Resize::Growing);
        assert_eq!(
            state(
                &claim("1Gi", "ControllerResizeInProgress", "Resizing"),
                2.0 * gi
            ),
            Resize::Growing
        );
        assert_eq!(
            state(
                &claim("1Gi", "NodeResizePending", "FileSystemResizePending"),
                2.0 * gi
            ),
            Resize::FilesystemPending
        );
        assert_eq!(state(&claim("2Gi", "", ""), 2.0 * gi), Resize::Done);
        assert_eq!(state(&claim("2048Mi", "", ""), 2.0 * gi), Resize::Done);
        assert_eq!(
            state(&claim("1Gi", "ControllerResizeInfeasible", ""), 2.0 * gi),
            Resize::Failed("ControllerResizeInfeasible".into())
        );
    }
}
