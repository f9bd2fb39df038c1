//! Claims and volumes: defaults (Filesystem mode, Retain) and a claim's
//! spec, immutable but for resources of a bound claim, which may only grow
//! (ValidatePersistentVolumeClaimUpdate, pkg/apis/core/validation). The
//! default class is the DefaultStorageClass admission's business
//! (`registry/storage_admission.rs`), not a default.

use serde_json::{json, Value};

use super::{default, forbid_spec_changes, obj, remove};
use crate::registry::error::Cause;
use crate::registry::storage_admission::{requested, storage_bytes};
use petctl_model::field_path::FieldPath;

pub(super) fn default_claim(object: &mut Value) {
    if let Some(spec) = obj(object, "spec") {
        default(spec, "volumeMode", json!("Filesystem"));
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
    let spec = FieldPath::root().key("spec");
    let old_bound = old
        .pointer("/spec/volumeName")
        .is_some_and(|v| v.as_str() != Some(""));
    if old_bound && old.pointer("/spec/volumeName") != new.pointer("/spec/volumeName") {
        return vec![Cause::forbidden(spec, CLAIM_SPEC_FORBIDDEN)];
    }
    let bound = new.pointer("/status/phase").and_then(Value::as_str) == Some("Bound");
    // RetroactiveDefaultStorageClass (validateStorageClassUpgradeFromNil):
    // a claim that named no class may be given one, once.
    let class_given = old
        .pointer("/spec/storageClassName")
        .is_none_or(Value::is_null)
        && new
            .pointer("/spec/storageClassName")
            .and_then(Value::as_str)
            .is_some_and(|c| !c.is_empty());
    let mutable = |spec: &mut Value| {
        remove(spec, &["volumeName", "volumeAttributesClassName"]);
        if bound {
            remove(spec, &["resources"]);
        }
        if class_given {
            remove(spec, &["storageClassName"]);
        }
    };
    let mut causes = forbid_spec_changes(old, new, mutable, CLAIM_SPEC_FORBIDDEN);
    // With RecoverVolumeExpansionFailure (beta, on by default in 1.33) a
    // request may go down after a failed expansion, but never to or below
    // what the volume already has.
    if let (Some(old_size), Some(new_size)) = (requested(old), requested(new)) {
        let capacity = storage_bytes(new.pointer("/status/capacity/storage"));
        if new_size < old_size && capacity.is_none_or(|c| new_size <= c) {
            let field = spec.key("resources").key("requests").key("storage");
            causes.push(Cause::forbidden(
                field,
                "field can not be less than status.capacity",
            ));
        }
    }
    causes
}

const CLAIM_SPEC_FORBIDDEN: &str = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(request: &str, phase: &str) -> Value {
        json!({"spec": {"resources": {"requests": {"storage": request}}, "volumeName": "pv"},
               "status": {"phase": phase, "capacity": {"storage": "1Gi"}}})
    }

    #[test]
    fn storage_requests_grow_only_on_bound_claims() {
        assert!(validate_update(&claim("1Gi", "Bound"), &claim("2Gi", "Bound")).is_empty());
        let shrink = validate_update(&claim("1Gi", "Bound"), &claim("512Mi", "Bound"));
        assert_eq!(shrink.len(), 1);
        assert_eq!(shrink[0].field, "spec.resources.requests.storage");
        assert_eq!(
            shrink[0].message,
            "Forbidden: field can not be less than status.capacity"
        );
        // Back down from a failed 4Gi to 2Gi, still above the capacity: allowed.
        assert!(validate_update(&claim("4Gi", "Bound"), &claim("2Gi", "Bound")).is_empty());
        let pending = validate_update(&claim("1Gi", "Pending"), &claim("2Gi", "Pending"));
        assert_eq!(pending[0].field, "spec");
        let mut classed = claim("1Gi", "Pending");
        classed["spec"]["storageClassName"] = json!("standard");
        assert!(validate_update(&claim("1Gi", "Pending"), &classed).is_empty());
        let mut other = classed.clone();
        other["spec"]["storageClassName"] = json!("fast");
        assert_eq!(validate_update(&classed, &other)[0].field, "spec");
    }
}
