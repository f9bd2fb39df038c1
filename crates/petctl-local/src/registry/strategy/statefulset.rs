//! StatefulSets (apps/v1): defaults and the spec fields an update may
//! change.

use serde_json::{json, Value};

use super::{default, forbid_spec_changes, obj, remove};
use crate::registry::error::Cause;

const STATEFULSET_SPEC_FORBIDDEN: &str = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

pub(super) fn apply_defaults(object: &mut Value) {
    let Some(spec) = obj(object, "spec") else {
        return;
    };
    default(spec, "replicas", json!(1));
    default(spec, "podManagementPolicy", json!("OrderedReady"));
    default(spec, "revisionHistoryLimit", json!(10));
    default(
        spec,
        "updateStrategy",
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
    );
    if let Some(strategy) = spec
        .get_mut("updateStrategy")
        .and_then(Value::as_object_mut)
    {
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
            let rolling = strategy.entry("rollingUpdate").or_insert_with(|| json!({}));
            if let Some(rolling) = rolling.as_object_mut() {
                default(rolling, "partition", json!(0));
            }
        }
    }
    default(
        spec,
        "persistentVolumeClaimRetentionPolicy",
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
    );
    super::pod::default_template(spec);
    if let Some(claims) = spec
        .get_mut("volumeClaimTemplates")
        .and_then(Value::as_array_mut)
    {
        for claim in claims.iter_mut() {
            if let Some(map) = claim.as_object_mut() {
                default(map, "apiVersion", json!("v1"));
                default(map, "kind", json!("PersistentVolumeClaim"));
            }
            if let Some(claim_spec) = obj(claim, "spec") {
                default(claim_spec, "volumeMode", json!("Filesystem"));
            }
            if let Some(status) = obj(claim, "status") {
                default(status, "phase", json!("Pending"));
            }
        }
    }
}

/// Update rules that depend on the old object: immutable fields.
pub(super) fn validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    let mutable = |spec: &mut Value| {
        remove(
            spec,
            &[
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ],
        )
    };
    forbid_spec_changes(old, new, mutable, STATEFULSET_SPEC_FORBIDDEN)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::registry::strategy::{merge_for_update, validate_update as update, Part};
    use petctl_model::kinds::by_name;

    pub(in crate::registry::strategy) fn sts() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
               "spec": {"serviceName": "nginx", "selector": {"matchLabels": {"app": "nginx"}},
                        "template": {"metadata": {"labels": {"app": "nginx"}},
                                     "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}})
    }

    /// What an update of `kind` from [`sts`] to `sts` with `edits` (a JSON
    /// pointer and the value it gets) is refused for.
    pub(in crate::registry::strategy) fn causes_of_edits(
        kind: &str,
        edits: &[(&str, Value)],
    ) -> Vec<Cause> {
        let old = sts();
        let mut new = old.clone();
        for (pointer, value) in edits {
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let parent = new.pointer_mut(parent).and_then(Value::as_object_mut);
            parent.unwrap().insert(key.to_string(), value.clone());
        }
        update(by_name(kind).unwrap(), &old, &new)
    }

    #[test]
    fn statefulset_defaults() {
        let kind = by_name("sts").unwrap();
        let mut object = sts();
        crate::registry::strategy::apply_defaults(kind, &mut object);
        for (pointer, want) in [
            ("/spec/replicas", json!(1)),
            ("/spec/podManagementPolicy", json!("OrderedReady")),
            ("/spec/updateStrategy/type", json!("RollingUpdate")),
            ("/spec/updateStrategy/rollingUpdate/partition", json!(0)),
            ("/spec/revisionHistoryLimit", json!(10)),
            (
                "/spec/persistentVolumeClaimRetentionPolicy/whenDeleted",
                json!("Retain"),
            ),
            (
                "/spec/persistentVolumeClaimRetentionPolicy/whenScaled",
                json!("Retain"),
            ),
            ("/spec/template/spec/restartPolicy", json!("Always")),
            (
                "/spec/template/spec/containers/0/imagePullPolicy",
                json!("IfNotPresent"),
            ),
        ] {
            assert_eq!(object.pointer(pointer), Some(&want), "{pointer}");
        }
    }

    #[test]
    fn statefulset_updates_only_allowed_fields() {
        let scaled = [
            ("/spec/replicas", json!(5)),
            (
                "/spec/template/spec/containers/0/image",
                json!("nginx:1.26"),
            ),
        ];
        assert!(causes_of_edits("sts", &scaled).is_empty());
        let causes = causes_of_edits("sts", &[("/spec/serviceName", json!("other"))]);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field.to_string(), "spec");
        assert_eq!(
            causes[0].message,
            format!("Forbidden: {STATEFULSET_SPEC_FORBIDDEN}")
        );
    }

    #[test]
    fn status_writes_keep_the_spec_and_main_writes_keep_the_status() {
        let kind = by_name("sts").unwrap();
        let mut old = sts();
        old["status"] = json!({"replicas": 1});
        let mut new = sts();
        new["spec"]["replicas"] = json!(9);
        new["status"] = json!({"replicas": 7});
        let main = merge_for_update(kind, Part::Main, &old, new.clone());
        assert_eq!(main["status"], json!({"replicas": 1}));
        assert_eq!(main["spec"]["replicas"], json!(9));
        let status = merge_for_update(kind, Part::Status, &old, new);
        assert_eq!(status["status"], json!({"replicas": 7}));
        assert!(status["spec"].get("replicas").is_none());
    }
}
