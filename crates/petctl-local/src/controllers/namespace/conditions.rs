//! The namespace deletion conditions, as
//! `pkg/controller/namespace/deletion/status_condition_utils.go` sets them:
//! five condition types, each either its failure (True) or its "ok"
//! variant (False), from what one pass of emptying the namespace found.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// What one pass over the namespace's content found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Seconds to wait before content is expected to be gone.
    pub estimate: i64,
    /// Errors deleting or listing content, one per resource.
    pub errors: Vec<String>,
    /// Objects left, by `resource.group` (`pods.` for the core group).
    pub remaining: BTreeMap<String, usize>,
    /// Objects left, by finalizer they still carry.
    pub finalizers: BTreeMap<String, usize>,
}

/// (type, ok reason, ok message), in upstream's `conditionTypes` order.
const TYPES: [(&str, &str, &str); 5] = [
    (
        "NamespaceDeletionDiscoveryFailure",
        "ResourcesDiscovered",
        "All resources successfully discovered",
    ),
    (
        "NamespaceDeletionGroupVersionParsingFailure",
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    (
        "NamespaceDeletionContentFailure",
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    (
        "NamespaceContentRemaining",
        "ContentRemoved",
        "All content successfully removed",
    ),
    (
        "NamespaceFinalizersRemaining",
        "ContentHasNoFinalizers",
        "All content-preserving finalizers finished",
    ),
];

/// The failures a sweep reports, as (type, reason, message). Discovery and
/// group-version parsing cannot fail here: the kinds table is the discovery.
fn failures(sweep: &Sweep) -> Vec<(&'static str, &'static str, String)> {
    let mut failed = Vec::new();
    if !sweep.errors.is_empty() {
        let mut errors = sweep.errors.clone();
        errors.sort();
        failed.push((
            "NamespaceDeletionContentFailure",
            "ContentDeletionFailed",
            format!(
                "Failed to delete all resource types, {} remaining: {}",
                errors.len(),
                errors.join(", ")
            ),
        ));
    }
    // Upstream sorts the phrases, not the names ("for stable updates").
    let counted = |counts: &BTreeMap<String, usize>, what: &str| -> Vec<String> {
        let mut phrases: Vec<String> = counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(name, n)| format!("{name}{what}{n} resource instances"))
            .collect();
        phrases.sort();
        phrases
    };
    let resources = counted(&sweep.remaining, " has ");
    if !resources.is_empty() {
        failed.push((
            "NamespaceContentRemaining",
            "SomeResourcesRemain",
            format!("Some resources are remaining: {}", resources.join(", ")),
        ));
    }
    let finalizers = counted(&sweep.finalizers, " in ");
    if !finalizers.is_empty() {
        failed.push((
            "NamespaceFinalizersRemaining",
            "SomeFinalizersRemain",
            format!(
                "Some content in the namespace has finalizers remaining: {}",
                finalizers.join(", ")
            ),
        ));
    }
    failed
}

/// `updateConditions`: the namespace's conditions after a sweep, and
/// whether they changed. Other conditions stay; a condition's
/// lastTransitionTime moves only when its status does.
pub fn update(old: &[Value], sweep: &Sweep, now: &str) -> (Vec<Value>, bool) {
    let failed = failures(sweep);
    let mut conditions = old.to_vec();
    let mut changed = false;
    for (kind, ok_reason, ok_message) in TYPES {
        let (status, reason, message) = match failed.iter().find(|f| f.0 == kind) {
            Some((_, reason, message)) => ("True", *reason, message.clone()),
            None => ("False", ok_reason, ok_message.to_string()),
        };
        let existing = conditions
            .iter_mut()
            .find(|c| c.get("type").and_then(Value::as_str) == Some(kind));
        match existing {
            None => {
                conditions.push(json!({
                    "type": kind, "status": status, "lastTransitionTime": now,
                    "reason": reason, "message": message,
                }));
                changed = true;
            }
            Some(c) => {
                let same = |key: &str, want: &str| c.get(key).and_then(Value::as_str) == Some(want);
                if same("status", status) && same("reason", reason) && same("message", &message) {
                    continue;
                }
                if !same("status", status) {
                    c["lastTransitionTime"] = json!(now);
                }
                c["status"] = json!(status);
                c["reason"] = json!(reason);
                c["message"] = json!(message);
                changed = true;
            }
        }
    }
    (conditions, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_type<'a>(conditions: &'a [Value], kind: &str) -> &'a Value {
        conditions.iter().find(|c| c["type"] == kind).unwrap()
    }

    #[test]
    fn remaining_content_and_finalizers_are_reported_as_upstream_words_them() {
        let sweep = Sweep {
            estimate: 15,
            errors: vec![],
            remaining: BTreeMap::from([
                ("persistentvolumeclaims.".to_string(), 2),
                ("pods.".to_string(), 1),
            ]),
            finalizers: BTreeMap::from([("kubernetes.io/pvc-protection".to_string(), 2)]),
        };
        let (conditions, changed) = update(&[], &sweep, "2026-01-01T00:00:00Z");
        assert!(changed);
        assert_eq!(conditions.len(), 5);
        assert_eq!(
            by_type(&conditions, "NamespaceContentRemaining"),
            &json!({"type": "NamespaceContentRemaining", "status": "True",
                    "lastTransitionTime": "2026-01-01T00:00:00Z", "reason": "SomeResourcesRemain",
                    "message": "Some resources are remaining: persistentvolumeclaims. has 2 resource instances, pods. has 1 resource instances"})
        );
        let finalizers = by_type(&conditions, "NamespaceFinalizersRemaining");
        assert_eq!(finalizers["reason"], "SomeFinalizersRemain");
        assert_eq!(
            finalizers["message"],
            "Some content in the namespace has finalizers remaining: kubernetes.io/pvc-protection in 2 resource instances"
        );
        let discovery = by_type(&conditions, "NamespaceDeletionDiscoveryFailure");
        assert_eq!(discovery["status"], "False");
        assert_eq!(discovery["reason"], "ResourcesDiscovered");
    }

    #[test]
    fn transitions_move_the_time_and_nothing_new_is_no_change() {
        let stuck = Sweep {
            errors: vec!["b failed".into(), "a failed".into()],
            ..Sweep::default()
        };
        let (first, _) = update(&[], &stuck, "t1");
        let failure = by_type(&first, "NamespaceDeletionContentFailure");
        assert_eq!(failure["status"], "True");
        assert_eq!(
            failure["message"],
            "Failed to delete all resource types, 2 remaining: a failed, b failed"
        );
        let (again, changed) = update(&first, &stuck, "t2");
        assert!(!changed);
        assert_eq!(again, first);
        let (done, changed) = update(&first, &Sweep::default(), "t3");
        assert!(changed);
        let content = by_type(&done, "NamespaceDeletionContentFailure");
        assert_eq!(content["status"], "False");
        assert_eq!(content["lastTransitionTime"], "t3");
        assert_eq!(
            by_type(&done, "NamespaceContentRemaining")["lastTransitionTime"],
            "t1"
        );
    }
}
