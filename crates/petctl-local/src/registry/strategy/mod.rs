//! Per-kind strategies, as kube-apiserver's registries have them: defaults,
//! the status a new object starts with, which part of an object a write to
//! the main resource or to `/status` may change, and immutable fields. Each
//! kind with rules of its own has a module.

mod endpoints;
mod lease;
pub mod namespace;
pub mod pdb;
mod petset;
mod pod;
mod secret;
mod service;
mod statefulset;
mod storage;
pub mod storageclass;

use serde_json::{json, Map, Value};

use super::error::Cause;
use petctl_model::field_path::FieldPath;
use petctl_model::kinds::KindInfo;

/// Whether a kind bumps metadata.generation when its spec changes.
pub fn tracks_generation(kind: &KindInfo) -> bool {
    matches!(kind.kind, "StatefulSet" | "PetSet" | "PodDisruptionBudget")
}

/// Whether a kind has a `status` that only `/status` may write.
pub fn has_status_subresource(kind: &KindInfo) -> bool {
    kind.has_subresource("status")
}

pub(super) fn obj<'a>(value: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    let map = value.as_object_mut()?;
    let entry = map.entry(key).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut()
}

/// `field.NotSupported`: the value (as Go's `%#v` would quote a string)
/// and the supported ones, quoted.
pub(super) fn unsupported(field: FieldPath, value: &Value, supported: &[&str]) -> Cause {
    let shown = match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    let quoted: Vec<String> = supported.iter().map(|v| format!("\"{v}\"")).collect();
    Cause::new(
        "FieldValueNotSupported",
        field,
        format!(
            "Unsupported value: {shown}: supported values: {}",
            quoted.join(", ")
        ),
    )
}

pub(super) fn default(map: &mut Map<String, Value>, key: &str, value: Value) {
    if map.get(key).is_none_or(Value::is_null) {
        map.insert(key.to_string(), value);
    }
}

/// Fills defaults, as the versioned defaulting functions do.
pub fn apply_defaults(kind: &KindInfo, object: &mut Value) {
    match kind.kind {
        "StatefulSet" => statefulset::apply_defaults(object),
        "PetSet" => petset::apply_defaults(object),
        "Pod" => {
            if let Some(spec) = obj(object, "spec") {
                pod::default_spec(spec);
            }
        }
        "Service" => service::apply_defaults(object),
        "PersistentVolumeClaim" => storage::default_claim(object),
        "PersistentVolume" => storage::default_volume(object),
        "Secret" => secret::apply_defaults(object),
        "Namespace" => namespace::apply_defaults(object),
        "StorageClass" => storageclass::apply_defaults(object),
        _ => {}
    }
}

/// What `PrepareForCreate` does beyond defaults: what a create sets and an
/// update must not set again.
pub fn prepare_for_create(kind: &KindInfo, object: &mut Value) {
    if kind.kind == "Namespace" {
        namespace::prepare_for_create(object);
    }
}

/// Whether an object being deleted may go once its last metadata finalizer
/// does: a namespace waits for its `spec.finalizers` too
/// (`ShouldDeleteNamespaceDuringUpdate` in namespace/storage/storage.go).
pub fn finalized(kind: &KindInfo, object: &Value) -> bool {
    kind.kind != "Namespace" || namespace::spec_finalizers(object).is_empty()
}

/// The status a freshly created object starts with; whatever status the
/// client sent is dropped, as PrepareForCreate does.
pub fn initial_status(kind: &KindInfo, object: &Value) -> Option<Value> {
    match kind.kind {
        "StatefulSet" => Some(json!({"replicas": 0, "availableReplicas": 0})),
        "PetSet" => Some(json!({"replicas": 0})),
        "Pod" => Some(json!({"phase": "Pending", "qosClass": pod::qos_class(object)})),
        "PersistentVolumeClaim" => Some(json!({"phase": "Pending"})),
        "PersistentVolume" => Some(json!({"phase": "Pending"})),
        "Namespace" => Some(json!({"phase": "Active"})),
        "Service" => Some(json!({"loadBalancer": {}})),
        "Node" => object.get("status").cloned(),
        "PodDisruptionBudget" => Some(pdb::initial_status()),
        _ => None,
    }
}

/// Which part of the object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The main resource: everything but status.
    Main,
    /// `/status`: status only.
    Status,
    /// `namespaces/finalize`: everything but status, `spec.finalizers` included.
    Finalize,
}

/// The object to store for an update: for the main resource the old status
/// is kept; for `/status` only the new status is taken, and the old labels,
/// annotations and spec are kept (ResetObjectMetaForStatus).
pub fn merge_for_update(kind: &KindInfo, part: Part, old: &Value, new: Value) -> Value {
    if !has_status_subresource(kind) {
        return new;
    }
    match part {
        Part::Main | Part::Finalize => {
            let mut merged = new;
            if let Some(map) = merged.as_object_mut() {
                match old.get("status") {
                    Some(status) => map.insert("status".into(), status.clone()),
                    None => map.remove("status"),
                };
            }
            if part == Part::Main && kind.kind == "Namespace" {
                namespace::keep_finalizers(old, &mut merged);
            }
            merged
        }
        Part::Status => {
            let mut merged = old.clone();
            if let Some(map) = merged.as_object_mut() {
                match new.get("status") {
                    Some(status) => map.insert("status".into(), status.clone()),
                    None => map.remove("status"),
                };
                if let Some(rv) = new.pointer("/metadata/resourceVersion") {
                    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
                        meta.insert("resourceVersion".into(), rv.clone());
                    }
                }
            }
            merged
        }
    }
}

/// Rules of a kind's own beyond the shared manifest validation, on create
/// and update alike.
pub fn validate(kind: &KindInfo, object: &Value) -> Vec<Cause> {
    match kind.kind {
        "PodDisruptionBudget" => pdb::validate(object),
        _ => Vec::new(),
    }
}

/// Update rules that depend on the old object: immutable fields.
pub fn validate_update(kind: &KindInfo, old: &Value, new: &Value) -> Vec<Cause> {
    match kind.kind {
        "StatefulSet" => statefulset::validate_update(old, new),
        "PetSet" => petset::validate_update(old, new),
        "Pod" => pod::validate_update(old, new),
        "Service" => service::validate_update(old, new),
        "PersistentVolumeClaim" => storage::validate_update(old, new),
        "StorageClass" => storageclass::validate_update(old, new),
        "Lease" => lease::validate(new),
        "EndpointSlice" => endpoints::validate_slice_update(old, new),
        _ => Vec::new(),
    }
}

/// Create rules of a kind beyond the manifest validation all kinds share.
pub fn validate_create(kind: &KindInfo, object: &Value) -> Vec<Cause> {
    match kind.kind {
        "Lease" => lease::validate(object),
        "EndpointSlice" => endpoints::validate_slice(object),
        _ => Vec::new(),
    }
}

/// `spec: Forbidden: WHY` when an update changes the spec in more than
/// what `mutable` takes out of it.
pub(super) fn forbid_spec_changes(
    old: &Value,
    new: &Value,
    mutable: impl Fn(&mut Value),
    why: &str,
) -> Vec<Cause> {
    let fixed = |object: &Value| {
        let mut spec = object.get("spec").cloned().unwrap_or(Value::Null);
        mutable(&mut spec);
        spec
    };
    if fixed(old) == fixed(new) {
        Vec::new()
    } else {
        vec![Cause::forbidden(FieldPath::root().key("spec"), why)]
    }
}

/// Takes `keys` out of a spec.
pub(super) fn remove(spec: &mut Value, keys: &[&str]) {
    if let Some(map) = spec.as_object_mut() {
        for key in keys {
            map.remove(*key);
        }
    }
}
