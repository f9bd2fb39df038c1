//! Semantic validation of objects, with the API server's rules and wording:
//! names, replicas, selectors, containers, claims. Works on untyped JSON so
//! that manifests, the local control plane's registry and tests share it.

mod core;
pub mod error;
pub mod meta;
pub mod names;
mod pod;
pub mod quantity;
mod sets;

pub use error::{ErrorKind, Field, FieldError};

use serde_json::Value;

use meta::NameRule;
use sets::Flavor;

/// Validates one object by its apiVersion and kind. Kinds petctl does not
/// know pass with no error; so do known kinds at an apiVersion it does not
/// know, since their rules may differ.
pub fn validate_object(api_version: &str, kind: &str, value: &Value) -> Vec<FieldError> {
    match (api_version, kind) {
        ("apps/v1alpha1", "PetSet") => sets::validate(Flavor::PetSet, value),
        ("apps/v1beta1", "StatefulSet") => sets::validate(Flavor::StatefulSetV1beta1, value),
        ("apps/v1beta2", "StatefulSet") => sets::validate(Flavor::StatefulSetV1beta2, value),
        ("apps/v1", "StatefulSet") => sets::validate(Flavor::StatefulSetV1, value),
        ("v1", "Service") => core::validate_service(value),
        ("v1", "PersistentVolumeClaim") => core::validate_claim(value),
        ("v1", "Pod") => core::validate_pod(value),
        ("v1", "ConfigMap") => core::validate_config(value, &["data", "binaryData"]),
        ("v1", "Secret") => core::validate_config(value, &["data", "stringData"]),
        ("v1", "Namespace") => core::validate_namespace(value),
        ("policy/v1" | "policy/v1beta1", "PodDisruptionBudget") => {
            core::validate_disruption_budget(value)
        }
        ("storage.k8s.io/v1" | "storage.k8s.io/v1beta1", "StorageClass") => {
            core::validate_storage_class(value)
        }
        _ if petctl_model::kinds::by_api_version(api_version, kind).is_some() => {
            core::validate_named(value, NameRule::Dns1123Subdomain)
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dispatch_by_api_version_and_kind() {
        let nameless = json!({"metadata": {}});
        for (api_version, kind, errors) in [
            ("apps/v1alpha1", "PetSet", 4),
            ("apps/v1", "StatefulSet", 3),
            ("v1", "Service", 2),
            ("v1", "ConfigMap", 1),
            ("v1", "Node", 1),
            ("apps/v1", "ControllerRevision", 1),
            ("apps/v1", "Deployment", 0),
            ("extensions/v1beta1", "StatefulSet", 0),
            ("example.com/v1", "Widget", 0),
        ] {
            let got = validate_object(api_version, kind, &nameless);
            assert_eq!(got.len(), errors, "{api_version} {kind}: {got:?}");
        }
    }
}
