//! `delete`: by default the ordered cascade of kubectl 1.4's reaper — scale
//! to 0 one pet at a time in reverse order, each gone before the next, then
//! delete the set — or pass a propagation policy through: Orphan (the pets
//! keep running, their ownerReferences removed), Background, Foreground.
//! Claims are never deleted here.

use std::time::Duration;

use serde_json::Value;

use super::access::{self, Need};
use super::progress::Progress;
use super::scale::{self, ScaleOptions};
use super::sets::Set;
use super::wait;
use crate::client::request::{DeleteOptions, ListParams, Preconditions, PropagationPolicy};
use crate::client::watch::Watcher;
use crate::client::Client;

/// `--cascade`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cascade {
    /// Scale to 0 in order, then delete the set (`true`, the default).
    #[default]
    Ordered,
    /// Delete only the set (`false`, `orphan`).
    Orphan,
    Background,
    Foreground,
}

impl std::str::FromStr for Cascade {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "true" | "ordered" => Ok(Cascade::Ordered),
            "false" | "orphan" => Ok(Cascade::Orphan),
            "background" => Ok(Cascade::Background),
            "foreground" => Ok(Cascade::Foreground),
            other => Err(format!(
                "invalid --cascade {other:?}: must be true, false, orphan, background or foreground"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DeleteSetOptions {
    pub cascade: Cascade,
    /// Wait until the set (and, for Foreground, its pets) is gone.
    pub wait: bool,
    pub timeout: Duration,
    pub dry_run: bool,
    /// `--before-pet`/`--after-pet` around each pet the ordered cascade removes.
    pub hooks: super::hooks::Hooks,
}

/// How a delete ended.
#[derive(Debug, Clone)]
pub struct DeleteOutcome {
    pub set: Set,
    /// Pets removed in order before the set was deleted (ordered cascade).
    pub removed: Vec<String>,
    /// Claims of the set that remain (all of them: delete never deletes claims).
    pub claims: Vec<String>,
}

/// The plan, for `--dry-run` and for the record.
pub fn describe_plan(set: &Set, cascade: Cascade) -> String {
    match cascade {
        Cascade::Ordered => {
            let plan = scale::plan(set, 0);
            if plan.remove.is_empty() {
                format!("delete {} (it has no pets)", set.label())
            } else {
                format!(
                    "remove {}, then delete {}",
                    plan.remove.join(", then "),
                    set.label()
                )
            }
        }
        Cascade::Orphan => format!("delete {} only; its pets keep running", set.label()),
        Cascade::Background => format!(
            "delete {}; the garbage collector removes its pets afterwards",
            set.label()
        ),
        Cascade::Foreground => format!(
            "delete {} once the garbage collector has removed its pets",
            set.label()
        ),
    }
}

/// Fails before any change (and before the lease is taken) unless the
/// user may make the writes an ordered delete needs.
pub async fn check_access(
    client: &Client,
    set: &Set,
    options: &DeleteSetOptions,
) -> anyhow::Result<()> {
    if options.cascade != Cascade::Ordered || options.dry_run {
        return Ok(());
    }
    let namespace = set.namespace();
    let scale_need = match set.kind.has_subresource("scale") && !set.is_petset() {
        true => Need::new("update", set.kind, namespace).on("scale"),
        false => Need::new("patch", set.kind, namespace),
    };
    let needs = [scale_need, Need::new("delete", set.kind, namespace)];
    access::require(client, &needs, "the ordered delete").await
}

/// Runs the delete; call [`check_access`] first.
pub async fn delete(
    client: &Client,
    set: Set,
    options: &DeleteSetOptions,
    progress: &mut dyn Progress,
) -> anyhow::Result<DeleteOutcome> {
    let mut removed = Vec::new();
    let mut set = set;
    if options.cascade == Cascade::Ordered && !options.dry_run {
        let plan = scale::plan(&set, 0);
        let pets = super::pets::gather(client, &set).await?;
        let paused = wait::blockers(&set, &pets)
            .iter()
            .any(wait::Blocker::is_pause);
        if paused && set.replicas() > 0 {
            anyhow::bail!(
                "{} is paused (pod.alpha.kubernetes.io/initialized: \"false\"), so its pets cannot be removed in order; resume it first (petctl resume {}) or delete with --cascade=orphan",
                set.label(),
                set.name()
            );
        }
        let scaled = scale::scale(
            client,
            set,
            &ScaleOptions {
                replicas: 0,
                current_replicas: None,
                wait: true,
                timeout: options.timeout,
                dry_run: false,
                hooks: options.hooks.clone(),
            },
            progress,
        )
        .await?;
        removed = plan.remove;
        set = scaled.set;
    }
    let policy = match options.cascade {
        // No pets are left; Background lets the server clean up
        // ControllerRevisions.
        Cascade::Ordered | Cascade::Background => PropagationPolicy::Background,
        Cascade::Orphan => PropagationPolicy::Orphan,
        Cascade::Foreground => PropagationPolicy::Foreground,
    };
    let body = DeleteOptions {
        propagation_policy: Some(policy),
        preconditions: Some(Preconditions {
            uid: Some(set.uid().to_string()),
            resource_version: None,
        }),
        dry_run: if options.dry_run {
            vec!["All".into()]
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    let mut watcher = Watcher::new(
        client,
        set.kind,
        Some(set.namespace()),
        ListParams::fields(format!("metadata.name={}", set.name())),
    );
    let before = if options.wait && !options.dry_run {
        Some(wait::prime(&mut watcher).await?)
    } else {
        None
    };
    progress.note(super::progress::Note::Step(format!(
        "deleting {}",
        set.label()
    )));
    match client
        .api(set.kind, Some(set.namespace()))
        .delete(set.name(), &body)
        .await
    {
        // A retried delete finds the set already gone.
        Ok(_) => {}
        Err(err) if err.is_not_found() && !options.dry_run => {}
        Err(err) => {
            return Err(
                anyhow::Error::from(err).context(format!("failed to delete {}", set.label()))
            )
        }
    }
    if let Some(before) = before {
        // Gone means this uid is gone: a new set of the same name is not
        // "still there".
        let uid = set.uid().to_string();
        let (gone, _) = wait::watch_until_from(watcher, before, options.timeout, |cache| {
            let still = cache.get(set.namespace(), set.name()).is_some_and(|o| {
                o.pointer("/metadata/uid").and_then(Value::as_str) == Some(uid.as_str())
            });
            (!still).then_some(())
        })
        .await?;
        if gone.is_none() {
            anyhow::bail!(
                "timed out after {:?} waiting for {} to be deleted",
                options.timeout,
                set.label()
            );
        }
    }
    let claims = claims_of(client, &set).await?;
    Ok(DeleteOutcome {
        set,
        removed,
        claims,
    })
}

/// The claims that belong to the set's claim templates (by the
/// `<claim>-<set>-<ordinal>` name), whatever their ordinal.
pub async fn claims_of(client: &Client, set: &Set) -> anyhow::Result<Vec<String>> {
    Ok(super::pets::claims(client, set)
        .await?
        .into_iter()
        .map(|(_, name)| name)
        .collect())
}

/// What `delete -f` did with an object of the manifest that is not a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtherFate {
    Deleted,
    NotFound,
    /// Not deleted, and why: claims and namespaces hold data.
    Kept(String),
}

/// Deletes one object of a manifest besides its sets (the governing
/// Service, a ConfigMap), as `kubectl delete -f` would, with its uid as the
/// precondition. Claims and namespaces are kept: deleting either deletes
/// data, which only `cleanup-pvcs` does, and only when asked.
pub async fn delete_other(
    client: &Client,
    kind: &'static crate::kinds::KindInfo,
    namespace: &str,
    name: &str,
    dry_run: bool,
) -> Result<OtherFate, crate::client::Error> {
    match kind.kind {
        "PersistentVolumeClaim" => {
            return Ok(OtherFate::Kept(
                "a claim holds data: petctl cleanup-pvcs deletes claims, when asked".into(),
            ))
        }
        "Namespace" | "PersistentVolume" => {
            return Ok(OtherFate::Kept(
                "deleting it would delete the data in it".into(),
            ))
        }
        _ => {}
    }
    let namespace = kind.namespaced.then_some(namespace);
    let object = match client.api(kind, namespace).get::<Value>(name).await {
        Ok(object) => object,
        Err(err) if err.is_not_found() => return Ok(OtherFate::NotFound),
        Err(err) => return Err(err),
    };
    let body = DeleteOptions {
        preconditions: Some(Preconditions {
            uid: object
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .map(str::to_string),
            resource_version: None,
        }),
        dry_run: if dry_run {
            vec!["All".into()]
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    match client.api(kind, namespace).delete(name, &body).await {
        Ok(_) => Ok(OtherFate::Deleted),
        // A retried delete finds it already gone.
        Err(err) if err.is_not_found() => Ok(OtherFate::Deleted),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds;
    use serde_json::json;

    #[test]
    fn plans() {
        let set = Set {
            kind: kinds::by_name("petset").unwrap(),
            object: json!({"metadata": {"name": "web"}, "spec": {"replicas": 3}}),
        };
        assert_eq!(
            describe_plan(&set, Cascade::Ordered),
            "remove web-2, then web-1, then web-0, then delete petset \"web\""
        );
        assert_eq!(
            describe_plan(&set, Cascade::Orphan),
            "delete petset \"web\" only; its pets keep running"
        );
        assert_eq!("false".parse::<Cascade>(), Ok(Cascade::Orphan));
        assert!("maybe".parse::<Cascade>().is_err());
    }
}
