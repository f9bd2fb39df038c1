//! Claims and volumes: defaults (the default storage class, Filesystem
//! mode, Retain) and a claim's spec, immutable but for resources.

use serde_json::{json, Value};

use super::{default, forbid_spec_changes, obj, remove};
use crate::registry::error::Cause;
use petctl_model::field_path::FieldPath;

pub(super) fn default_claim(object: &mut Value) {
    if let Some(spec) = obj(object, "spec") {
        default(spec, "volumeMode", json!("Filesystem"));
        // The DefaultStorageClass admission plugin: a claim that
        // names no class gets the default one, "standard" here. An
        // explicit "" (no class) is kept.
        default(spec, "storageClassName", json!("standard"));
    }
}

pub(super) fn default_volume(object: &mut Value) {
    if let Some(spec) = obj(object, "spec") {
        default(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
        default(spec, "volumeMode", json!("Filesystem"));
    }
}

/// Update rules that depend on the old object: immutable fields.
pub(super) fn validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    let old_bound = old
        .pointer("/spec/volumeName")
        .is_some_and(|v| v.as_str() != Some(""));
    if old_bound && old.pointer("/spec/volumeName") != new.pointer("/spec/volumeName") {
        let spec = FieldPath::root().key("spec");
        return vec![Cause::forbidden(spec, CLAIM_SPEC_FORBIDDEN)];
    }
    let mutable = |spec: &mut Value| {
        remove(
            spec,
            &["resources", "volumeName", "volumeAttributesClassName"],
        );
    };
    forbid_spec_changes(old, new, mutable, CLAIM_SPEC_FORBIDDEN)
}

const CLAIM_SPEC_FORBIDDEN: &str = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";
