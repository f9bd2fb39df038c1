//! PetSets (apps/v1alpha1): defaults from the template's labels, and the
//! only spec fields an update may change (replicas, containers).

use serde_json::{json, Map, Value};

use super::{default, forbid_spec_changes, obj, remove};
use crate::registry::error::Cause;

const PETSET_SPEC_FORBIDDEN: &str =
    "updates to petset spec for fields other than 'replicas' and 'containers' are forbidden.";

/// apps/v1alpha1 defaulting: replicas 1; the selector and the set's labels
/// come from the template's labels when missing.
pub(super) fn apply_defaults(object: &mut Value) {
    let template_labels = object
        .pointer("/spec/template/metadata/labels")
        .filter(|l| l.as_object().is_some_and(|m| !m.is_empty()))
        .cloned();
    if let Some(spec) = obj(object, "spec") {
        default(spec, "replicas", json!(1));
        if let Some(labels) = &template_labels {
            default(spec, "selector", json!({"matchLabels": labels}));
        }
        super::pod::default_template(spec);
    }
    if let (Some(labels), Some(meta)) = (template_labels, obj(object, "metadata")) {
        if meta
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty)
        {
            meta.insert("labels".into(), labels);
        }
    }
}

/// Update rules that depend on the old object: immutable fields.
pub(super) fn validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    let mutable = |spec: &mut Value| {
        remove(spec, &["replicas"]);
        if let Some(containers) = spec.pointer_mut("/template/spec/containers") {
            *containers = Value::Null;
        }
    };
    forbid_spec_changes(old, new, mutable, PETSET_SPEC_FORBIDDEN)
}

#[cfg(test)]
mod tests {
    use super::super::statefulset::tests::causes_of_edits;
    use super::*;
    use petctl_model::kinds::by_name;

    #[test]
    fn petset_selector_and_labels_come_from_the_template() {
        let kind = by_name("petset").unwrap();
        let mut object = json!({"metadata": {"name": "web"}, "spec": {"template": {"metadata": {"labels": {"app": "nginx"}}}}});
        crate::registry::strategy::apply_defaults(kind, &mut object);
        assert_eq!(
            object.pointer("/spec/selector/matchLabels/app"),
            Some(&json!("nginx"))
        );
        assert_eq!(
            object.pointer("/metadata/labels/app"),
            Some(&json!("nginx"))
        );
        assert_eq!(object.pointer("/spec/replicas"), Some(&json!(1)));
    }

    #[test]
    fn petset_updates_only_replicas_and_containers() {
        let scaled = [
            ("/spec/replicas", json!(3)),
            ("/spec/template/spec/containers/0/image", json!("nginx:2")),
        ];
        assert!(causes_of_edits("petset", &scaled).is_empty());
        let relabelled = [("/spec/template/metadata/labels/x", json!("y"))];
        assert_eq!(causes_of_edits("petset", &relabelled).len(), 1);
    }
}
