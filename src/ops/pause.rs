//! `pause` and `resume`. A PetSet is paused with the initialized annotation
//! (`pod.alpha.kubernetes.io/initialized: "false"`) on its pets — the
//! guide's debug hook; while any pet says "false" the controller neither
//! creates nor deletes pets. The template's annotation cannot be changed on
//! a 1.4 server (only replicas and containers may be updated), so pausing
//! and resuming work on the pets. A StatefulSet ignores that annotation, so pausing one
//! raises its RollingUpdate partition to its replicas (no pet takes a new
//! template) and records the previous partition in an annotation that
//! resume restores.

use serde_json::{json, Value};

use super::conflict::{precondition_failed, retry, Attempt};
use super::sets::{self, Set};
use crate::client::request::{PatchType, WriteParams};
use crate::client::{Client, Error};
use crate::kinds;
use crate::types::petset::INITIALIZED_ANNOTATION;

/// How many times a pet's annotation is written when the pet moved on.
const ATTEMPTS: u32 = 5;

/// Where a StatefulSet's partition before `pause` is kept.
pub const PAUSED_PARTITION_ANNOTATION: &str = "petctl.io/paused-partition";

/// `/` in a JSON Pointer token is `~1`, `~` is `~0`.
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The JSON Pointer to the annotation `key` of an object.
fn annotation_pointer(key: &str) -> String {
    format!("/metadata/annotations/{}", pointer_token(key))
}

/// JSON Patch operations that set `key` to `value` in the annotations map
/// at `annotations` (a pointer), creating the map when it is missing.
pub fn set_annotation_ops(object: &Value, annotations: &str, key: &str, value: &str) -> Vec<Value> {
    if object.pointer(annotations).is_some_and(Value::is_object) {
        vec![
            json!({"op": "add", "path": format!("{annotations}/{}", pointer_token(key)), "value": value}),
        ]
    } else {
        vec![json!({"op": "add", "path": annotations, "value": {key: value}})]
    }
}

/// What pause or resume did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The template (PetSet) now says initialized `value`.
    Template { value: String },
    /// One pet now says initialized `value`.
    Pet { pet: String, value: String },
    /// The partition went from `from` to `to` (StatefulSet).
    Partition { from: i64, to: i64 },
    /// Nothing to do, and why.
    Nothing(String),
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Template { value } => {
                write!(f, "template annotated {INITIALIZED_ANNOTATION}={value}")
            }
            Change::Pet { pet, value } => {
                write!(f, "pet {pet} annotated {INITIALIZED_ANNOTATION}={value}")
            }
            Change::Partition { from, to } => write!(f, "partition {from} -> {to}"),
            Change::Nothing(why) => f.write_str(why),
        }
    }
}

fn partition(set: &Set) -> i64 {
    set.object
        .pointer("/spec/updateStrategy/rollingUpdate/partition")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// `--pet` names a pet to hold back by annotation, which only PetSets read.
fn no_pet_of_a_statefulset(pet: Option<i64>) -> anyhow::Result<()> {
    if pet.is_some() {
        anyhow::bail!(
            "--pet works for PetSets only: a StatefulSet ignores the initialized annotation"
        );
    }
    Ok(())
}

/// One pause or resume: the set as just read, the pet `--pet` names, and
/// whether it is a server dry run.
pub struct Pausing<'a> {
    pub client: &'a Client,
    pub set: &'a Set,
    pub pet: Option<i64>,
    pub dry_run: bool,
}

impl Pausing<'_> {
    /// Pauses the set, or one pet of a PetSet. `pets` are the ordinals of
    /// the PetSet's existing pets.
    pub async fn pause(&self, pets: &[i64]) -> anyhow::Result<Vec<Change>> {
        let (client, set, dry_run) = (self.client, self.set, self.dry_run);
        if set.is_petset() {
            if self.pet.is_none() && pets.is_empty() {
                anyhow::bail!(
                    "{} has no pets to pause; its template decides whether new pets start paused",
                    set.label()
                );
            }
            return self.annotate_pets(pets, "false").await;
        }
        no_pet_of_a_statefulset(self.pet)?;
        if set.update_strategy() != "RollingUpdate" {
            anyhow::bail!("{} uses the OnDelete update strategy: pets take a new template only when deleted, so there is no rollout to pause", set.label());
        }
        if set
            .object
            .pointer(&annotation_pointer(PAUSED_PARTITION_ANNOTATION))
            .is_some()
        {
            return Ok(vec![Change::Nothing(format!(
                "{} is already paused",
                set.label()
            ))]);
        }
        let from = partition(set);
        let to = set.replicas().max(from);
        let mut ops = set_annotation_ops(
            &set.object,
            "/metadata/annotations",
            PAUSED_PARTITION_ANNOTATION,
            &from.to_string(),
        );
        ops.push(json!({"op": "add", "path": "/spec/updateStrategy/rollingUpdate", "value": {"partition": to}}));
        if let Some(rolling) = set
            .object
            .pointer("/spec/updateStrategy/rollingUpdate")
            .and_then(Value::as_object)
        {
            let mut rolling = rolling.clone();
            rolling.insert("partition".into(), json!(to));
            ops.pop();
            ops.push(
                json!({"op": "add", "path": "/spec/updateStrategy/rollingUpdate", "value": rolling}),
            );
        }
        sets::patch_guarded(client, set, ops, dry_run).await?;
        Ok(vec![Change::Partition { from, to }])
    }

    /// Resumes the set (every pet paused by annotation), or one pet.
    pub async fn resume(&self, paused_pets: &[i64]) -> anyhow::Result<Vec<Change>> {
        let (client, set, dry_run) = (self.client, self.set, self.dry_run);
        if set.is_petset() {
            let mut changes = self.annotate_pets(paused_pets, "true").await?;
            if changes.is_empty() {
                changes.push(Change::Nothing(format!(
                    "no pet of {} is paused",
                    set.label()
                )));
            }
            if set.paused() {
                changes.push(Change::Nothing(format!(
                    "its template says {INITIALIZED_ANNOTATION}: \"false\", so each new pet starts paused: run petctl resume {} again once it is Running",
                    set.name()
                )));
            }
            return Ok(changes);
        }
        no_pet_of_a_statefulset(self.pet)?;
        let key = annotation_pointer(PAUSED_PARTITION_ANNOTATION);
        let Some(saved) = set.object.pointer(&key).and_then(Value::as_str) else {
            return Ok(vec![Change::Nothing(format!(
                "{} is not paused by petctl",
                set.label()
            ))]);
        };
        let to: i64 = saved.parse().map_err(|_| {
            anyhow::anyhow!(
                "{} has an unreadable {PAUSED_PARTITION_ANNOTATION} annotation {saved:?}",
                set.label()
            )
        })?;
        let from = partition(set);
        let ops = vec![
            json!({"op": "remove", "path": key}),
            json!({"op": "replace", "path": "/spec/updateStrategy/rollingUpdate/partition", "value": to}),
        ];
        sets::patch_guarded(client, set, ops, dry_run).await?;
        Ok(vec![Change::Partition { from, to }])
    }

    /// Sets the initialized annotation to `value` on the PetSet's pet `--pet` names,
    /// or on each of `pets` when no pet is named.
    async fn annotate_pets(&self, pets: &[i64], value: &str) -> anyhow::Result<Vec<Change>> {
        let targets = match self.pet {
            Some(ordinal) => vec![ordinal],
            None => pets.to_vec(),
        };
        let mut changes = Vec::new();
        for ordinal in targets {
            changes.push(self.annotate_pet(ordinal, value).await?);
        }
        Ok(changes)
    }

    /// Annotates one pet, re-reading it when a concurrent write (or a repeat
    /// of a write whose answer was lost) fails the resourceVersion test.
    async fn annotate_pet(&self, ordinal: i64, value: &str) -> Result<Change, Error> {
        let (client, set, dry_run) = (self.client, self.set, self.dry_run);
        let pods = kinds::by_name("pods").expect("pods are in the kinds table");
        let pet = set.pet_name(ordinal);
        let api = client.api(pods, Some(set.namespace()));
        let done = Change::Pet {
            pet: pet.clone(),
            value: value.to_string(),
        };
        let attempt = async |attempt| {
            let pod: Value = api.get(&pet).await?;
            let annotation = annotation_pointer(INITIALIZED_ANNOTATION);
            if attempt > 1 && pod.pointer(&annotation).and_then(Value::as_str) == Some(value) {
                return Ok(Attempt::Done(done.clone()));
            }
            let rv = pod
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or("");
            let mut ops =
                vec![json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv})];
            ops.extend(set_annotation_ops(
                &pod,
                "/metadata/annotations",
                INITIALIZED_ANNOTATION,
                value,
            ));
            let sent = api
                .patch(
                    &pet,
                    PatchType::Json,
                    &Value::Array(ops),
                    &WriteParams::dry_run(dry_run),
                )
                .await;
            match sent {
                Ok(_) => Ok(Attempt::Done(done.clone())),
                Err(err) if precondition_failed(&err) => Ok(Attempt::Conflict(err)),
                Err(err) => Err(err),
            }
        };
        retry(ATTEMPTS, attempt, Err).await
    }
}

/// The ordinals of a PetSet's pets that carry initialized="false".
pub fn paused_pets(set: &Set, pods: &[Value]) -> Vec<i64> {
    let key = annotation_pointer(INITIALIZED_ANNOTATION);
    let mut ordinals: Vec<i64> = pods
        .iter()
        .filter(|p| p.pointer(&key).and_then(Value::as_str) == Some("false"))
        .filter_map(|p| set.ordinal_of(p.pointer("/metadata/name")?.as_str()?))
        .collect();
    ordinals.sort_unstable();
    ordinals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_ops_create_the_map_when_missing() {
        let with = json!({"metadata": {"annotations": {"a": "b"}}});
        assert_eq!(
            set_annotation_ops(
                &with,
                "/metadata/annotations",
                INITIALIZED_ANNOTATION,
                "false"
            ),
            vec![
                json!({"op": "add", "path": "/metadata/annotations/pod.alpha.kubernetes.io~1initialized", "value": "false"})
            ]
        );
        let without = json!({"metadata": {}});
        assert_eq!(
            set_annotation_ops(
                &without,
                "/metadata/annotations",
                INITIALIZED_ANNOTATION,
                "false"
            ),
            vec![
                json!({"op": "add", "path": "/metadata/annotations", "value": {INITIALIZED_ANNOTATION: "false"}})
            ]
        );
    }

    #[test]
    fn paused_pets_by_annotation() {
        let set = Set {
            kind: kinds::by_name("petset").unwrap(),
            object: json!({"metadata": {"name": "web"}}),
        };
        let pods = [
            json!({"metadata": {"name": "web-1", "annotations": {INITIALIZED_ANNOTATION: "false"}}}),
            json!({"metadata": {"name": "web-0", "annotations": {INITIALIZED_ANNOTATION: "true"}}}),
        ];
        assert_eq!(paused_pets(&set, &pods), vec![1]);
    }
}
