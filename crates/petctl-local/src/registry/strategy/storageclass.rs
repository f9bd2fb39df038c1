//! StorageClasses (storage.k8s.io/v1): defaults and validation as
//! pkg/apis/storage/v1/defaults.go and pkg/apis/storage/validation have
//! them. Everything but `allowVolumeExpansion`, `mountOptions`,
//! `allowedTopologies` and metadata is fixed once created.

use serde_json::{json, Value};

use super::default;
use crate::registry::error::Cause;
use petctl_model::field_path::FieldPath;

/// The annotation that marks the default class
/// (`storageutil.IsDefaultAnnotation`; the beta spelling is honoured too).
pub const IS_DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
const IS_DEFAULT_CLASS_BETA: &str = "storageclass.beta.kubernetes.io/is-default-class";

/// Whether `class` carries the default-class annotation set to "true".
pub fn is_default(class: &Value) -> bool {
    let annotations = class.pointer("/metadata/annotations");
    [IS_DEFAULT_CLASS, IS_DEFAULT_CLASS_BETA].iter().any(|key| {
        annotations
            .and_then(|a| a.get(*key))
            .and_then(Value::as_str)
            .is_some_and(|v| v == "true")
    })
}

/// SetDefaults_StorageClass: Delete and Immediate.
pub(super) fn apply_defaults(object: &mut Value) {
    if let Some(map) = object.as_object_mut() {
        default(map, "reclaimPolicy", json!("Delete"));
        default(map, "volumeBindingMode", json!("Immediate"));
    }
}

/// ValidateStorageClass: a provisioner, a known reclaim policy and binding mode.
pub fn validate(object: &Value) -> Vec<Cause> {
    let root = FieldPath::root();
    let mut causes = Vec::new();
    match object.get("provisioner").and_then(Value::as_str) {
        None | Some("") => causes.push(Cause::required(root.key("provisioner"), "")),
        Some(_) => {}
    }
    let supported = |field: &str, values: &[&str], causes: &mut Vec<Cause>| {
        let value = object.get(field).and_then(Value::as_str).unwrap_or("");
        if !value.is_empty() && !values.contains(&value) {
            causes.push(super::unsupported(
                root.key(field),
                &Value::from(value),
                values,
            ));
        }
    };
    supported("reclaimPolicy", &["Delete", "Retain"], &mut causes);
    supported(
        "volumeBindingMode",
        &["Immediate", "WaitForFirstConsumer"],
        &mut causes,
    );
    causes
}

/// ValidateStorageClassUpdate (pkg/apis/storage/validation/validation.go).
pub(super) fn validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    let root = FieldPath::root();
    let mut causes = Vec::new();
    let field = |object: &Value, key: &str| object.get(key).cloned().unwrap_or(Value::Null);
    let parameters = |object: &Value| match field(object, "parameters") {
        Value::Object(map) if map.is_empty() => Value::Null,
        other => other,
    };
    if parameters(old) != parameters(new) {
        causes.push(Cause::forbidden(
            root.key("parameters"),
            "updates to parameters are forbidden.",
        ));
    }
    if field(old, "provisioner") != field(new, "provisioner") {
        causes.push(Cause::forbidden(
            root.key("provisioner"),
            "updates to provisioner are forbidden.",
        ));
    }
    if field(old, "reclaimPolicy") != field(new, "reclaimPolicy") {
        causes.push(Cause::forbidden(
            root.key("reclaimPolicy"),
            "updates to reclaimPolicy are forbidden.",
        ));
    }
    let mode = field(new, "volumeBindingMode");
    if field(old, "volumeBindingMode") != mode {
        causes.push(Cause::invalid(
            root.key("volumeBindingMode"),
            &mode,
            "field is immutable",
        ));
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_class_fields_are_fixed_but_expansion() {
        let mut old = json!({"metadata": {"name": "fast"}, "provisioner": "p", "parameters": {"resize": "online"}});
        apply_defaults(&mut old);
        assert_eq!(old["reclaimPolicy"], "Delete");
        assert_eq!(old["volumeBindingMode"], "Immediate");
        let mut new = old.clone();
        new["allowVolumeExpansion"] = json!(true);
        assert!(validate_update(&old, &new).is_empty());
        new["provisioner"] = json!("q");
        new["parameters"] = json!({});
        new["volumeBindingMode"] = json!("WaitForFirstConsumer");
        let lines: Vec<String> = validate_update(&old, &new)
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        assert_eq!(
            lines,
            [
                "parameters: Forbidden: updates to parameters are forbidden.",
                "provisioner: Forbidden: updates to provisioner are forbidden.",
                "volumeBindingMode: Invalid value: \"WaitForFirstConsumer\": field is immutable",
            ]
        );
        assert_eq!(validate(&json!({}))[0].message, "Required value");
        assert!(is_default(
            &json!({"metadata": {"annotations": {IS_DEFAULT_CLASS: "true"}}})
        ));
    }
}
