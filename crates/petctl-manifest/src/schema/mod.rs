//! Unknown fields and wrong JSON types, found by walking an object against
//! the OpenAPI schema of its kind (k8s-openapi's, and petctl's own for
//! PetSets), with a "did you mean" for misspelt fields. Shared by manifest
//! validation and the local control plane's `fieldValidation=Strict`.

mod walk;

pub use walk::Findings;

use std::sync::OnceLock;

use k8s_openapi::api::{apps, core, policy, storage};
use schemars::generate::SchemaSettings;
use serde_json::Value;

fn generate<T: schemars::JsonSchema>() -> Value {
    SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

/// The schema of `T`, generated on first use and kept for the process.
macro_rules! cached {
    ($t:ty) => {{
        static SCHEMA: OnceLock<Value> = OnceLock::new();
        SCHEMA.get_or_init(generate::<$t>)
    }};
}

/// The schema for a kind at an apiVersion, when petctl has one. StatefulSets
/// at apps/v1beta1 and v1beta2 use the apps/v1 schema: the fields a manifest
/// may set are the same (v1 only added fields), so a field unknown to v1 is
/// unknown to them too. PodDisruptionBudget policy/v1beta1 likewise uses
/// policy/v1.
pub fn schema_for(api_version: &str, kind: &str) -> Option<&'static Value> {
    Some(match (api_version, kind) {
        ("apps/v1alpha1", "PetSet") => cached!(petctl_model::types::PetSet),
        ("apps/v1" | "apps/v1beta1" | "apps/v1beta2", "StatefulSet") => {
            cached!(apps::v1::StatefulSet)
        }
        ("apps/v1", "ControllerRevision") => cached!(apps::v1::ControllerRevision),
        ("v1", "Service") => cached!(core::v1::Service),
        ("v1", "PersistentVolumeClaim") => cached!(core::v1::PersistentVolumeClaim),
        ("v1", "PersistentVolume") => cached!(core::v1::PersistentVolume),
        ("v1", "Pod") => cached!(core::v1::Pod),
        ("v1", "ConfigMap") => cached!(core::v1::ConfigMap),
        ("v1", "Secret") => cached!(core::v1::Secret),
        ("v1", "ServiceAccount") => cached!(core::v1::ServiceAccount),
        ("v1", "Namespace") => cached!(core::v1::Namespace),
        ("v1", "Node") => cached!(core::v1::Node),
        ("v1", "Event") => cached!(core::v1::Event),
        ("policy/v1" | "policy/v1beta1", "PodDisruptionBudget") => {
            cached!(policy::v1::PodDisruptionBudget)
        }
        ("storage.k8s.io/v1", "StorageClass") => cached!(storage::v1::StorageClass),
        _ => return None,
    })
}

/// Checks `value` against the schema of its kind; `None` when petctl has no
/// schema for that kind at that apiVersion.
pub fn check(api_version: &str, kind: &str, value: &Value) -> Option<Findings> {
    let schema = schema_for(api_version, kind)?;
    let mut findings = Findings::default();
    walk::Walker::new(schema).walk_root(schema, value, &mut findings);
    Some(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shown(errs: &[crate::validation::FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn statefulsets_against_the_k8s_schema() {
        let sts = json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "labels": {"app": "nginx"}, "creationTimestamp": null},
            "spec": {
                "replicas": "3",
                "serviceName": "nginx",
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {
                    "metadata": {"labels": {"app": "nginx"}},
                    "spec": {
                        "contianers": [],
                        "containers": [{
                            "name": "nginx", "image": "nginx",
                            "ports": [{"containerPort": 80}],
                            "resources": {"requests": {"cpu": 1, "memory": "1Gi"}},
                            "livenessProbe": {"httpGet": {"port": "web", "path": "/"}},
                            "env": [{"name": "N", "value": 3}]
                        }]
                    }
                },
                "volumeClaimTemplate": []
            },
            "status": {"replicas": 0}
        });
        let findings = check("apps/v1", "StatefulSet", &sts).unwrap();
        assert_eq!(
            shown(&findings.unknown_fields),
            vec![
                "spec.template.spec.contianers: unknown field \"contianers\", did you mean \"containers\"?",
                "spec.volumeClaimTemplate: unknown field \"volumeClaimTemplate\", did you mean \"volumeClaimTemplates\"?",
            ]
        );
        assert_eq!(
            shown(&findings.wrong_types),
            vec![
                "spec.replicas: Invalid value: \"string\": expected integer",
                "spec.template.spec.containers[0].env[0].value: Invalid value: \"integer\": expected string",
            ]
        );
        assert_eq!(
            findings.unknown_fields[0].path.to_string(),
            "spec.template.spec.contianers"
        );
        let beta = check("apps/v1beta1", "StatefulSet", &sts).unwrap();
        assert_eq!(beta, findings);
    }

    #[test]
    fn petsets_against_petctls_own_schema() {
        let petset = json!({
            "apiVersion": "apps/v1alpha1", "kind": "PetSet",
            "metadata": {"name": "web", "annotations": {"pod.alpha.kubernetes.io/initialized": "true"}},
            "spec": {"serviceName": "nginx", "replicas": 2, "template": {"spec": {"containers": []}},
                     "updateStrategy": {"type": "OnDelete"}}
        });
        let findings = check("apps/v1alpha1", "PetSet", &petset).unwrap();
        assert!(findings.wrong_types.is_empty(), "{findings:?}");
        assert_eq!(
            shown(&findings.unknown_fields),
            vec!["spec.updateStrategy: unknown field \"updateStrategy\""]
        );
    }

    #[test]
    fn unknown_kinds_have_no_schema() {
        assert!(check("apps/v1", "Deployment", &json!({})).is_none());
        assert!(check("v1beta1", "Service", &json!({})).is_none());
    }

    #[test]
    fn schemas_are_built_once_and_quickly() {
        let start = std::time::Instant::now();
        let first = schema_for("apps/v1", "StatefulSet").unwrap();
        let built = start.elapsed();
        let again = schema_for("apps/v1", "StatefulSet").unwrap();
        assert!(std::ptr::eq(first, again));
        // Generation takes a few milliseconds; a second is a regression.
        assert!(built.as_secs() < 1, "{built:?}");
    }
}
