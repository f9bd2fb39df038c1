//! The write pipeline shared by update and patch (and the controllers'
//! writes): read, change, check the precondition, merge per strategy,
//! default, keep the server-owned metadata, validate, commit.

use serde_json::{json, Value};

use super::deletion::graceful_pending;
use super::error::{ApiError, Cause};
use super::strategy::{self, Part};
use super::validate;
use super::{apply, meta};
use super::{
    parse_resource_version, store_error, Registry, Target, WriteOptions, Written,
    UNCONDITIONAL_RETRIES,
};
use crate::store::{Revision, StoreError};
use petctl_model::field_path::FieldPath;

/// What one pass of the write pipeline came to.
pub(super) enum Intended {
    /// Store `object` over the current object, which is at `current_rv`.
    Store {
        object: Value,
        current_rv: Revision,
        warnings: Vec<String>,
    },
    /// Nothing to store; this is the answer.
    Answered(Written),
}

impl Registry {
    /// The read-modify-write loop shared by update and patch: `change` turns
    /// the current object into the client's intended object and its
    /// warnings. A resourceVersion in the result is a precondition; without
    /// one the write is retried when another write got in between.
    pub(super) fn write(
        &self,
        target: &Target,
        part: Part,
        options: WriteOptions,
        mut change: impl FnMut(&Value) -> Result<(Value, Vec<String>), ApiError>,
    ) -> Result<Written, ApiError> {
        for _ in 0..UNCONDITIONAL_RETRIES {
            let (object, current_rv, warnings) =
                match self.intend(target, part, &options, &mut change)? {
                    Intended::Answered(written) => return Ok(written),
                    Intended::Store {
                        object,
                        current_rv,
                        warnings,
                    } => (object, current_rv, warnings),
                };
            // Another write got in between: start over from the fresh
            // object. The precondition above is checked again, so a
            // stale resourceVersion still fails, while a patch is simply
            // re-applied, as kube-apiserver's GuaranteedUpdate does.
            match self.commit_update(target, object, current_rv) {
                Err(err) if err.reason == "Conflict" => continue,
                other => return other.map(|object| Written { object, warnings }),
            }
        }
        Err(ApiError::modified(target.kind, &target.name))
    }

    /// One pass of [`Registry::write`] up to the store: the object to
    /// store over the current one at `current_rv`, or the answer when
    /// there is nothing to store (a dry run, an update that changes
    /// nothing).
    pub(super) fn intend(
        &self,
        target: &Target,
        part: Part,
        options: &WriteOptions,
        change: &mut impl FnMut(&Value) -> Result<(Value, Vec<String>), ApiError>,
    ) -> Result<Intended, ApiError> {
        let current = self.get_shared(target)?;
        let current_rv = parse_resource_version(meta::resource_version(&current))
            .map_err(|_| ApiError::internal("stored object has no resourceVersion"))?;
        let (intended, warnings) = change(&current)?;
        let requested_rv = meta::resource_version(&intended).to_string();
        if !requested_rv.is_empty() {
            let rv = parse_resource_version(&requested_rv).map_err(|_| {
                ApiError::invalid(
                    target.kind,
                    &target.name,
                    &[Cause::invalid(
                        FieldPath::parse("metadata.resourceVersion"),
                        &json!(requested_rv),
                        "must be a valid resource version",
                    )],
                )
            })?;
            if rv != current_rv {
                return Err(ApiError::modified(target.kind, &target.name));
            }
        }
        let requested = intended.pointer("/metadata/managedFields").cloned();
        let mut object = self.prepare_update(target, part, &current, intended)?;
        apply::track_update(
            target.kind,
            part,
            &options.manager,
            &current,
            requested,
            &mut object,
        );
        if options.dry_run {
            // A dry run answers with the resourceVersion it read, as the
            // DryRunnableStorage's GuaranteedUpdate returns the updated
            // copy of the stored object (apiserver/pkg/registry/generic/
            // registry/dryrun.go): `kubectl diff` compares it with the live one.
            if let Some(meta) = meta::metadata_mut(&mut object) {
                meta.insert("resourceVersion".into(), json!(current_rv.to_string()));
            }
            return Ok(Intended::Answered(Written { object, warnings }));
        }
        // kube-apiserver's store skips a write that changes nothing
        // (`GuaranteedUpdate` in storage/etcd3/store.go compares the
        // bytes): no new resourceVersion, no watch event.
        if unchanged(&current, &object) {
            return Ok(Intended::Answered(Written {
                object: Value::clone(&current),
                warnings,
            }));
        }
        Ok(Intended::Store {
            object,
            current_rv,
            warnings,
        })
    }

    fn prepare_update(
        &self,
        target: &Target,
        part: Part,
        current: &Value,
        intended: Value,
    ) -> Result<Value, ApiError> {
        let kind = target.kind;
        let mut object = strategy::merge_for_update(kind, part, current, intended);
        if part == Part::Main {
            strategy::apply_defaults(kind, &mut object);
        }
        if kind.kind == "Service" {
            if let (Some(old_ip), Some(spec)) = (
                current.pointer("/spec/clusterIP").cloned(),
                object.get_mut("spec").and_then(Value::as_object_mut),
            ) {
                if spec.get("clusterIP").is_none_or(|v| v.as_str() == Some("")) {
                    spec.insert("clusterIP".into(), old_ip);
                    if let Some(ips) = current.pointer("/spec/clusterIPs") {
                        spec.insert("clusterIPs".into(), ips.clone());
                    }
                }
            }
        }
        let generation = current
            .pointer("/metadata/generation")
            .and_then(Value::as_i64);
        let spec_changed = current.get("spec") != object.get("spec");
        let meta = meta::metadata_mut(&mut object)
            .ok_or_else(|| ApiError::bad_request("the body of the request is not a JSON object"))?;
        for owned in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "namespace",
        ] {
            match current.pointer(&format!("/metadata/{owned}")) {
                Some(value) => meta.insert(owned.to_string(), value.clone()),
                None => meta.remove(owned),
            };
        }
        meta.remove("resourceVersion");
        if strategy::tracks_generation(kind) {
            let generation = generation.unwrap_or(1);
            let next = if spec_changed {
                generation + 1
            } else {
                generation
            };
            meta.insert("generation".into(), json!(next));
        }
        let mut causes = validate::validate(kind, &object, &[]);
        if part == Part::Main {
            causes.extend(strategy::validate_update(kind, current, &object));
        }
        if !causes.is_empty() {
            return Err(ApiError::invalid(kind, &target.name, &causes));
        }
        if part == Part::Main {
            self.admit_storage_update(kind, current, &object)?;
        }
        Ok(object)
    }

    /// Stores an update; an object being deleted whose last finalizer was
    /// just removed is deleted instead.
    pub(super) fn commit_update(
        &self,
        target: &Target,
        object: Value,
        expected: Revision,
    ) -> Result<Value, ApiError> {
        if deletes(target, &object) {
            // A Namespace's finalize is stored, then the namespace deleted
            // (namespace storage in kube-apiserver): both writes are seen.
            if target.kind.kind == "Namespace" {
                self.store
                    .update(&target.key(), object, Some(expected))
                    .map_err(|e| store_error(target, e))?;
                return self
                    .store
                    .delete(&target.key(), None)
                    .map_err(|e| store_error(target, e));
            }
            // `deleteWithoutFinalizers` (apiserver registry/generic/registry/
            // store.go): the emptied update is never stored, so no reader
            // sees the object deleting with no finalizer left; it is deleted
            // under the update's precondition in one write. The DELETED
            // event carries the last stored state, as etcd's prevKV does,
            // and the caller gets the object it sent ("clients are
            // expecting an updated object if a PUT succeeded"), also when a
            // racing update deleted it first.
            return match self.store.delete(&target.key(), Some(expected)) {
                Ok(_) | Err(StoreError::NotFound) => Ok(object),
                Err(e) => Err(store_error(target, e)),
            };
        }
        self.store
            .update(&target.key(), object, Some(expected))
            .map_err(|e| store_error(target, e))
    }
}

/// Whether storing `object` deletes it instead: it is being deleted and
/// the update took its last finalizer away.
pub(super) fn deletes(target: &Target, object: &Value) -> bool {
    meta::is_deleting(object)
        && meta::finalizers(object).is_empty()
        && !graceful_pending(object)
        && strategy::finalized(target.kind, object)
}

/// Whether `next` (which carries no resourceVersion) is `current` as stored,
/// compared in place: `current` is the stored object without its
/// `metadata.resourceVersion`.
fn unchanged(current: &Value, next: &Value) -> bool {
    let (Some(current), Some(next)) = (current.as_object(), next.as_object()) else {
        return current == next;
    };
    current.len() == next.len()
        && current.iter().all(|(field, value)| match next.get(field) {
            None => false,
            Some(other) if field == "metadata" => same_but_version(value, other),
            Some(other) => value == other,
        })
}

fn same_but_version(current: &Value, next: &Value) -> bool {
    let (Some(current), Some(next)) = (current.as_object(), next.as_object()) else {
        return current == next;
    };
    let versioned = usize::from(current.contains_key("resourceVersion"));
    current.len() - versioned == next.len()
        && current
            .iter()
            .filter(|(field, _)| *field != "resourceVersion")
            .all(|(field, value)| next.get(field) == Some(value))
}

#[cfg(test)]
mod tests {
    use super::unchanged;
    use serde_json::json;

    #[test]
    fn unchanged_ignores_only_the_stored_resource_version() {
        let stored = json!({"kind": "Pod", "metadata": {"name": "a", "resourceVersion": "4"},
            "spec": {"x": 1}});
        let cases = [
            (
                json!({"kind": "Pod", "metadata": {"name": "a"}, "spec": {"x": 1}}),
                true,
            ),
            (
                json!({"spec": {"x": 1}, "metadata": {"name": "a"}, "kind": "Pod"}),
                true,
            ),
            (
                json!({"kind": "Pod", "metadata": {"name": "a"}, "spec": {"x": 2}}),
                false,
            ),
            (
                json!({"kind": "Pod", "metadata": {"name": "a", "uid": "u"}, "spec": {"x": 1}}),
                false,
            ),
            (
                json!({"kind": "Pod", "metadata": {}, "spec": {"x": 1}}),
                false,
            ),
            (json!({"kind": "Pod", "metadata": {"name": "a"}}), false),
            (
                json!({"kind": "Pod", "metadata": {"name": "a"}, "spec": {"x": 1}, "status": {}}),
                false,
            ),
            (
                json!({"kind": "Pod", "metadata": "a", "spec": {"x": 1}}),
                false,
            ),
        ];
        for (next, want) in cases {
            assert_eq!(unchanged(&stored, &next), want, "{next}");
        }
        let unversioned = json!({"metadata": {"name": "a"}});
        assert!(unchanged(&unversioned, &json!({"metadata": {"name": "a"}})));
        assert!(!unchanged(&json!([1]), &json!({})));
    }
}
