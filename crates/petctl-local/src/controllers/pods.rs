//! What the controllers ask of pods and sets, and how they build one:
//! phase and readiness, the pet built from a template, the
//! claims a pod mounts, and whether a set's selector picks a pod.

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as metav1;
use serde_json::Value;

use crate::registry::meta;
use petctl_model::selector::LabelSelector;

mod template;

pub use template::{pet_from_template, Identity};

/// The 1.4 debug hook that pauses a PetSet (and, for compatibility, a
/// StatefulSet's OrderedReady pod management).
pub const INITIALIZED_ANNOTATION: &str = "pod.alpha.kubernetes.io/initialized";

pub fn is_running(pod: &Value) -> bool {
    meta::str_at(pod, "/status/phase") == "Running"
}

pub fn is_dying(pod: &Value) -> bool {
    meta::is_deleting(pod)
}

/// The Ready condition is True (`podutil.IsPodReady`).
pub use petctl_model::pod::is_ready;

/// The debug hook says "not initialized" (`strconv.ParseBool` false).
pub fn is_paused_by_hook(object: &Value) -> bool {
    let value = object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(INITIALIZED_ANNOTATION))
        .and_then(Value::as_str);
    matches!(value, Some("0" | "f" | "F" | "false" | "FALSE" | "False"))
}

/// The set's `spec.selector`, if it is a valid, non-empty one.
pub fn selector(set: &Value) -> Option<LabelSelector> {
    let raw = meta::at(set, "/spec/selector")?;
    let parsed: metav1::LabelSelector = serde_json::from_value(raw.clone()).ok()?;
    LabelSelector::from_label_selector(&parsed)
        .ok()
        .filter(|s| !s.is_empty())
}

/// Whether the set's selector picks `object` (by labels).
pub fn selects(selector: &LabelSelector, object: &Value) -> bool {
    selector.matches_json(meta::at(object, "/metadata/labels"))
}

/// `isPending`: created but not started, and not being deleted.
pub fn is_pending(pod: &Value) -> bool {
    meta::str_at(pod, "/status/phase") == "Pending" && !is_dying(pod)
}

/// The claim names of a pod's persistentVolumeClaim volumes.
pub fn claim_names(pod: &Value) -> Vec<&str> {
    meta::at(pod, "/spec/volumes")
        .and_then(Value::as_array)
        .map(|volumes| {
            volumes
                .iter()
                .filter_map(|v| {
                    meta::at(v, "/persistentVolumeClaim/claimName").and_then(Value::as_str)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Sorts by creation time, then name, as `PodsByCreationTimestamp` does.
pub fn creation_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    let created = |p: &Value| meta::str_at(p, "/metadata/creationTimestamp").to_string();
    (created(a), meta::name(a)).cmp(&(created(b), meta::name(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readiness() {
        let at = |status: &str| json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": status}]}});
        assert!(is_running(&at("True")) && is_ready(&at("True")));
        assert!(!is_ready(&at("False")));
    }

    #[test]
    fn the_debug_hook_reads_like_parse_bool() {
        let with = |v: &str| json!({"metadata": {"annotations": {INITIALIZED_ANNOTATION: v}}});
        assert!(is_paused_by_hook(&with("false")));
        assert!(is_paused_by_hook(&with("0")));
        assert!(!is_paused_by_hook(&with("true")));
        assert!(
            !is_paused_by_hook(&with("maybe")),
            "unparsable values are ignored"
        );
        assert!(!is_paused_by_hook(&json!({})));
    }

    #[test]
    fn selectors_pick_by_labels() {
        let set = json!({"spec": {"selector": {"matchLabels": {"app": "nginx"}}}});
        let s = selector(&set).unwrap();
        assert!(selects(
            &s,
            &json!({"metadata": {"labels": {"app": "nginx", "x": "y"}}})
        ));
        assert!(!selects(
            &s,
            &json!({"metadata": {"labels": {"app": "db"}}})
        ));
        assert!(selector(&json!({"spec": {"selector": {}}})).is_none());
    }
}
