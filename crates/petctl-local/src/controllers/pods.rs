//! What the controllers ask of pods and sets, and how they build one:
//! phase, readiness and availability, the pet built from a template, the
//! claims a pod mounts, and whether a set's selector picks a pod.

use std::time::{Duration, SystemTime};

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

fn ready_condition(pod: &Value) -> Option<&Value> {
    meta::at(pod, "/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
}

/// The Ready condition is True (`podutil.IsPodReady`).
pub use petctl_model::pod::is_ready;

/// Ready for at least `min_ready` (`podutil.IsPodAvailable`).
pub fn is_available(pod: &Value, min_ready: Duration, now: SystemTime) -> bool {
    if !is_ready(pod) {
        return false;
    }
    if min_ready.is_zero() {
        return true;
    }
    let since = ready_condition(pod)
        .and_then(|c| c.get("lastTransitionTime"))
        .and_then(Value::as_str)
        .and_then(petctl_model::time::parse_system);
    since.is_some_and(|t| t + min_ready <= now)
}

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
    fn readiness_and_availability() {
        let at = |t: &str, status: &str| {
            json!({"status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": status, "lastTransitionTime": t}]}})
        };
        let now = petctl_model::time::parse_system("2026-01-01T00:00:10Z").unwrap();
        let pod = at("2026-01-01T00:00:00Z", "True");
        assert!(is_running(&pod) && is_ready(&pod));
        assert!(is_available(&pod, Duration::from_secs(10), now));
        assert!(!is_available(&pod, Duration::from_secs(11), now));
        assert!(!is_available(
            &at("2026-01-01T00:00:00Z", "False"),
            Duration::ZERO,
            now
        ));
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
