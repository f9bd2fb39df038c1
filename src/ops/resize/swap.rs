//! The template swap: the API server refuses to change a set's
//! volumeClaimTemplates ("updates to statefulset spec for fields other
//! than ... are forbidden", ValidateStatefulSetUpdate), so the set is
//! saved (a ConfigMap in its namespace and a local file), orphan-deleted
//! (its pets stay), recreated with the same spec and the bigger templates,
//! and checked on a watch to have adopted every pet untouched; only then is
//! the saved copy's ConfigMap deleted. A run that finds the set missing and
//! the ConfigMap there recreates the set from it first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use super::plan::Plan;
use super::ResizeOptions;
use crate::client::request::{DeleteOptions, Preconditions, PropagationPolicy, WriteParams};
use crate::client::watch::Cache;
use crate::client::{Client, Error};
use crate::kinds::{self, KindInfo};
use crate::ops::create_retry;
use crate::ops::pets::Pet;
use crate::ops::progress::{Note, Progress};
use crate::ops::sets::{self, Set};
use crate::ops::wait::{pets_in, pets_watcher, watch_until};

/// The key of the ConfigMap's data holding the set to create, as JSON.
pub const SAVED_KEY: &str = "set.json";

/// How many times the save-and-delete is tried while the set moves on.
const ATTEMPTS: u32 = 10;

/// `petctl-resize-<set>`: where the copy of a set being swapped is kept.
pub fn configmap_name(set: &str) -> String {
    format!("petctl-resize-{set}")
}

const SERVER_FIELDS: [&str; 8] = [
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "managedFields",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Pure: the set to create in place of `set`: its spec, labels,
/// annotations (the lease among them), update strategy and partition as
/// they are, the templates of `plan` at their new sizes, without the
/// fields the server owns.
pub fn desired(set: &Set, plan: &Plan) -> Value {
    let mut object = set.object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        map.insert("kind".into(), json!(set.kind.kind));
        map.insert(
            "apiVersion".into(),
            json!(format!("{}/{}", set.kind.group, set.kind.version)),
        );
    }
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in SERVER_FIELDS {
            meta.remove(field);
        }
    }
    let templates = object
        .pointer_mut("/spec/volumeClaimTemplates")
        .and_then(Value::as_array_mut);
    for template in templates.into_iter().flatten() {
        let name = template["metadata"]["name"].as_str().unwrap_or("");
        if let Some(t) = plan.templates.iter().find(|t| t.template == name) {
            template["spec"]["resources"]["requests"]["storage"] = json!(t.new);
        }
        if let Some(status) = template.as_object_mut() {
            status.remove("status");
        }
    }
    object
}

fn configmap(set: &Set, object: &Value) -> anyhow::Result<Value> {
    Ok(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": configmap_name(set.name()),
            "namespace": set.namespace(),
            "labels": {"app.kubernetes.io/managed-by": "petctl"},
            "annotations": {"petctl.io/resize-of": format!("{}/{}", set.kind.singular, set.name())},
        },
        "data": {SAVED_KEY: serde_json::to_string_pretty(object)?},
    }))
}

/// Saves `object` in the ConfigMap (created, or replaced at the
/// resourceVersion read) and returns the ConfigMap as written.
async fn save_configmap(client: &Client, set: &Set, object: &Value) -> anyhow::Result<Value> {
    let api = client.api(kinds::builtin("configmaps"), Some(set.namespace()));
    let name = configmap_name(set.name());
    let mut wanted = configmap(set, object)?;
    let context = || format!("cannot save a copy of {} in ConfigMap {name}", set.label());
    match create_retry::create(&api, Some(&name), &wanted, &WriteParams::default()).await {
        Ok(written) => return Ok(written),
        Err(err) if err.is_already_exists() => {}
        Err(err) => return Err(anyhow::Error::new(err).context(context())),
    }
    let existing: Value = api.get(&name).await.with_context(context)?;
    wanted["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"].clone();
    let written = api
        .replace(&name, None, &wanted, &WriteParams::default())
        .await
        .with_context(context)?;
    Ok(written.object)
}

/// Writes the local copy, 0600 in a 0700 directory, atomically.
fn save_file(dir: &Path, set: &Set, object: &Value) -> anyhow::Result<PathBuf> {
    use crate::local::state::{create_private_dir, write_private};
    let dir = dir.join(set.namespace());
    create_private_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(format!("{}-{}.json", set.kind.singular, set.name()));
    write_private(&path, serde_json::to_string_pretty(object)?.as_bytes())?;
    Ok(path)
}

/// The pods of the set by name, with their uids.
fn pod_uids(pets: &[Pet]) -> BTreeMap<String, String> {
    pets.iter()
        .filter_map(|p| {
            let uid = p.pod.as_ref()?.pointer("/metadata/uid")?.as_str()?;
            Some((p.name.clone(), uid.to_string()))
        })
        .collect()
}

/// Saves the set, orphan-deletes it, recreates it with the bigger
/// templates, checks its pets were adopted untouched, and deletes the
/// ConfigMap. Returns where the local copy is.
pub async fn swap(
    client: &Client,
    set: &Set,
    plan: &Plan,
    options: &ResizeOptions,
    progress: &mut dyn Progress,
) -> anyhow::Result<Option<String>> {
    let label = set.label();
    let mut current = sets::refresh(client, set)
        .await
        .with_context(|| format!("cannot read {label}"))?;
    let mut saved_file = None;
    let mut number = 0;
    let (object, pods) = loop {
        number += 1;
        let object = desired(&current, plan);
        save_configmap(client, &current, &object).await?;
        if let Some(dir) = &options.backup_dir {
            let path = save_file(dir, &current, &object)?;
            saved_file = Some(path.display().to_string());
        }
        progress.note(Note::Step(format!(
            "saved a copy of {label} in ConfigMap {}/{}{}",
            current.namespace(),
            configmap_name(current.name()),
            saved_file
                .as_deref()
                .map(|p| format!(" and {p}"))
                .unwrap_or_default()
        )));
        let mut watcher = pets_watcher(client, &current);
        let pods = pod_uids(&pets_in(
            &current,
            &crate::ops::wait::prime(&mut watcher).await?,
        ));
        match orphan_delete(client, &current).await {
            // Not found: the transport's repeat of a delete whose answer
            // was lost (or someone else's delete); either way the set is
            // to be recreated from the copy just saved.
            Ok(()) => break (object, pods),
            Err(err) if err.is_not_found() => break (object, pods),
            Err(err) if err.is_conflict() && number < ATTEMPTS => {
                match sets::refresh(client, &current).await {
                    Ok(fresh) if fresh.uid() == current.uid() && deleting(&fresh) => {
                        break (object, pods)
                    }
                    Ok(fresh) => current = fresh,
                    Err(err) if err.is_not_found() => break (object, pods),
                    Err(err) => {
                        return Err(anyhow::Error::new(err).context(format!("cannot read {label}")))
                    }
                }
            }
            Err(err) => {
                return Err(anyhow::Error::new(err).context(format!(
                    "cannot delete {label} (orphaning its pets) to recreate it"
                )))
            }
        }
    };
    progress.note(Note::Step(format!(
        "deleted {label}, orphaning its pets {}",
        pods.keys().cloned().collect::<Vec<_>>().join(", ")
    )));
    gone(client, &current, options.timeout).await?;
    if options.pause_after.as_deref() == Some("orphan-delete") {
        progress.note(Note::Step("test pause after orphan-delete".into()));
        std::future::pending::<()>().await;
    }
    let created = recreate(client, current.kind, &object, progress).await?;
    adopted(client, &created, &pods, options.timeout, progress).await?;
    forget(client, &created).await?;
    Ok(saved_file)
}

/// Marked for deletion: a delete (perhaps ours, its answer lost) was applied.
fn deleting(set: &Set) -> bool {
    set.object.pointer("/metadata/deletionTimestamp").is_some()
}

async fn orphan_delete(client: &Client, set: &Set) -> Result<(), Error> {
    let options = DeleteOptions {
        propagation_policy: Some(PropagationPolicy::Orphan),
        preconditions: Some(Preconditions {
            uid: Some(set.uid().to_string()),
            resource_version: Some(set.resource_version().to_string()),
        }),
        ..Default::default()
    };
    client
        .api(set.kind, Some(set.namespace()))
        .delete(set.name(), &options)
        .await
        .map(|_| ())
}

fn set_watcher<'c>(
    client: &'c Client,
    kind: &'static KindInfo,
    namespace: &str,
    name: &str,
) -> crate::client::watch::Watcher<'c> {
    crate::client::watch::Watcher::new(
        client,
        kind,
        Some(namespace),
        crate::client::request::ListParams::fields(format!("metadata.name={name}")),
    )
}

/// Waits until the set of that uid is gone (the orphan finalizer done).
async fn gone(client: &Client, set: &Set, timeout: Duration) -> anyhow::Result<()> {
    let watcher = set_watcher(client, set.kind, set.namespace(), set.name());
    let (done, _) = watch_until(watcher, timeout, |cache: &Cache| {
        let same = cache
            .get(set.namespace(), set.name())
            .is_some_and(|s| s.pointer("/metadata/uid").and_then(Value::as_str) == Some(set.uid()));
        (!same).then_some(())
    })
    .await?;
    let waiting_for = || format!("{} to be deleted", set.label());
    done.ok_or_else(|| super::timed_out(timeout, waiting_for(), Vec::new()))
}

/// Creates the set from `object`; one that exists already (another run
/// made it) is taken as it is.
async fn recreate(
    client: &Client,
    kind: &'static KindInfo,
    object: &Value,
    progress: &mut dyn Progress,
) -> anyhow::Result<Set> {
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    let name = object["metadata"]["name"].as_str().unwrap_or("");
    let api = client.api(kind, Some(namespace));
    let label = format!("{} {name:?}", kind.singular);
    // A POST whose answer was lost is read back, not repeated blindly.
    let created = match create_retry::create(&api, Some(name), object, &WriteParams::default()).await {
        Ok(written) => {
            progress.note(Note::Step(format!(
                "recreated {label} with the new volumeClaimTemplates"
            )));
            written
        }
        Err(err) if err.is_already_exists() => api.get(name).await?,
        Err(err) => {
            return Err(anyhow::Error::new(err).context(format!(
                "cannot recreate {label}: its copy is kept in ConfigMap {namespace}/{}; run the command again to retry",
                configmap_name(name)
            )))
        }
    };
    Ok(Set {
        kind,
        object: created,
    })
}

fn controller_uid(pod: &Value) -> Option<&str> {
    pod.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)?
        .get("uid")?
        .as_str()
}

/// Pure: whether every pet of `set` is controlled by it, and none of those
/// in `before` was replaced (Err names it).
pub fn adoption(
    set: &Set,
    pets: &[Pet],
    before: &BTreeMap<String, String>,
) -> Option<Result<(), String>> {
    for (name, uid) in before {
        let pod = pets
            .iter()
            .find(|p| &p.name == name)
            .and_then(|p| p.pod.as_ref());
        let now = pod.and_then(|pod| pod.pointer("/metadata/uid")?.as_str());
        let deleting = pod.is_some_and(|pod| pod.pointer("/metadata/deletionTimestamp").is_some());
        if now != Some(uid.as_str()) || deleting {
            return Some(Err(format!(
                "{name} was deleted or replaced (its pod {uid})"
            )));
        }
    }
    pets.iter()
        .filter_map(|p| p.pod.as_ref())
        .all(|pod| controller_uid(pod) == Some(set.uid()))
        .then_some(Ok(()))
}

/// Waits until the new set has adopted every pet, none restarted.
async fn adopted(
    client: &Client,
    set: &Set,
    before: &BTreeMap<String, String>,
    timeout: Duration,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    let watcher = pets_watcher(client, set);
    let (done, cache) = watch_until(watcher, timeout, |cache| {
        adoption(set, &pets_in(set, cache), before)
    })
    .await?;
    match done {
        Some(Ok(())) => {
            progress.note(Note::Step(format!(
                "{} adopted its pets {}",
                set.label(),
                before.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
            Ok(())
        }
        Some(Err(why)) => bail!("{} did not adopt its pets untouched: {why}", set.label()),
        None => {
            let orphans: Vec<String> = pets_in(set, &cache)
                .iter()
                .filter(|p| {
                    p.pod
                        .as_ref()
                        .is_some_and(|pod| controller_uid(pod) != Some(set.uid()))
                })
                .map(|p| format!("  {}: not adopted", p.name))
                .collect();
            let waiting_for = format!("{} to adopt its pets", set.label());
            Err(super::timed_out(timeout, waiting_for, orphans))
        }
    }
}

/// Deletes the saved copy's ConfigMap (uid precondition).
async fn forget(client: &Client, set: &Set) -> anyhow::Result<()> {
    let api = client.api(kinds::builtin("configmaps"), Some(set.namespace()));
    let name = configmap_name(set.name());
    let existing: Value = match api.get(&name).await {
        Ok(existing) => existing,
        Err(err) if err.is_not_found() => return Ok(()),
        Err(err) => return Err(err.into()),
    };
    let options = DeleteOptions {
        preconditions: Some(Preconditions {
            uid: existing["metadata"]["uid"].as_str().map(str::to_string),
            resource_version: None,
        }),
        ..Default::default()
    };
    match api.delete(&name, &options).await {
        Ok(_) => Ok(()),
        Err(err) if err.is_not_found() => Ok(()),
        Err(err) => Err(anyhow::Error::new(err).context(format!(
            "cannot delete ConfigMap {name}, the saved copy of {}",
            set.label()
        ))),
    }
}

/// When the templates need no swap: a copy left by an earlier run (set
/// recreated, then stopped) is checked for adoption and deleted.
pub async fn finish(
    client: &Client,
    set: &Set,
    timeout: Duration,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    let api = client.api(kinds::builtin("configmaps"), Some(set.namespace()));
    match api.get::<Value>(&configmap_name(set.name())).await {
        Ok(_) => {}
        Err(err) if err.is_not_found() => return Ok(()),
        Err(err) => return Err(err.into()),
    }
    adopted(client, set, &BTreeMap::new(), timeout, progress).await?;
    forget(client, set).await
}

/// A set recreated from a saved copy.
#[derive(Debug)]
pub struct Recovered {
    pub set: Set,
    pub configmap: String,
}

/// For a set that is missing: its copy in ConfigMap `petctl-resize-NAME`,
/// if there is one, recreated (unless `dry_run`, which only reads it).
pub async fn recover(
    client: &Client,
    namespace: &str,
    reference: &str,
    dry_run: bool,
    progress: &mut dyn Progress,
) -> anyhow::Result<Option<Recovered>> {
    let (kind, name) = sets::split_ref(reference)?;
    let api = client.api(kinds::builtin("configmaps"), Some(namespace));
    let configmap_name = configmap_name(name);
    let saved: Value = match api.get(&configmap_name).await {
        Ok(saved) => saved,
        Err(err) if err.is_not_found() => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let where_ = format!("ConfigMap {namespace}/{configmap_name}");
    let text = saved
        .pointer(&format!("/data/{SAVED_KEY}"))
        .and_then(Value::as_str)
        .with_context(|| format!("{where_} has no {SAVED_KEY}"))?;
    let mut object: Value = serde_json::from_str(text)
        .with_context(|| format!("{where_} holds no readable set in {SAVED_KEY}"))?;
    let saved_kind = object["kind"]
        .as_str()
        .and_then(|k| sets::set_kind(&k.to_lowercase()))
        .with_context(|| format!("{where_} holds no PetSet or StatefulSet"))?;
    if kind.is_some_and(|k| k.kind != saved_kind.kind) || object["metadata"]["name"] != name {
        return Ok(None);
    }
    // The lease of the run that saved it is no one's now.
    if let Some(annotations) = object
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        annotations.remove(crate::ops::lease::LEASE_ANNOTATION);
    }
    let set = Set {
        kind: saved_kind,
        object: object.clone(),
    };
    if dry_run {
        return Ok(Some(Recovered {
            set,
            configmap: where_,
        }));
    }
    progress.note(Note::Warning(format!(
        "{} is missing and {where_} holds the copy petctl saved before deleting it: recreating it",
        set.label()
    )));
    let set = recreate(client, saved_kind, &object, progress).await?;
    Ok(Some(Recovered {
        set,
        configmap: where_,
    }))
}

#[cfg(test)]
mod tests;
