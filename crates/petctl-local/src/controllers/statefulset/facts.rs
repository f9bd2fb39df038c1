//! What a sync reads of each pod, read once per version of the pod: a
//! typed, owned view of the fields the planner, the status, the adoption,
//! the claim owners and the history trimming ask about (ordinal, phase,
//! Ready condition and since when, revision label, deletion mark, uid,
//! controller), kept by [`super::memo`] from one sync to the next so that a
//! pod that did not change is not read again.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::identity::REVISION_LABEL;
use crate::controllers::cache::controller_uid;

/// One pod of the set, as a sync sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PodFacts {
    /// The version of the pod these facts were read from.
    pub pod: Arc<Value>,
    pub name: String,
    pub uid: String,
    /// `<set>-<ordinal>`'s ordinal; None for a name that is not the set's.
    pub ordinal: Option<i64>,
    /// The `controller-revision-hash` label, "" when absent.
    pub revision: String,
    /// Marked for deletion (`isTerminating`).
    pub dying: bool,
    /// Some controller ownerReference (this set's or another's) holds it.
    pub controlled: bool,
    pub phase: String,
    /// Some Ready condition is True (`podutil.IsPodReady`).
    pub ready: bool,
    /// The first Ready condition's lastTransitionTime, parsed.
    ready_since: Option<SystemTime>,
}

impl PodFacts {
    /// Reads `pod`, a pod of the set named `set_name`.
    pub fn of(set_name: &str, pod: &Arc<Value>) -> Self {
        let metadata = pod.get("metadata");
        let field = |name: &str| metadata.and_then(|m| m.get(name));
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
        let name = text(field("name"));
        let status = pod.get("status");
        let conditions = status
            .and_then(|s| s.get("conditions"))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let is_ready = |c: &&Value| c.get("type").and_then(Value::as_str) == Some("Ready");
        PodFacts {
            uid: text(field("uid")),
            ordinal: petctl_model::ordinal::of_pod(set_name, &name),
            name,
            revision: text(field("labels").and_then(|l| l.get(REVISION_LABEL))),
            dying: field("deletionTimestamp").is_some_and(|v| !v.is_null()),
            controlled: controller_uid(pod).is_some(),
            phase: text(status.and_then(|s| s.get("phase"))),
            ready: conditions
                .iter()
                .filter(is_ready)
                .any(|c| c.get("status").and_then(Value::as_str) == Some("True")),
            ready_since: conditions
                .iter()
                .find(is_ready)
                .and_then(|c| c.get("lastTransitionTime"))
                .and_then(Value::as_str)
                .and_then(petctl_model::time::parse_system),
            pod: Arc::clone(pod),
        }
    }

    /// Reads every pod of `pods`, in order (a from-scratch sync's view).
    #[cfg(test)]
    pub fn all<'p, I>(set: &Value, pods: I) -> Vec<PodFacts>
    where
        I: IntoIterator<Item = &'p Value>,
    {
        let set_name = crate::registry::meta::name(set);
        pods.into_iter()
            .map(|p| PodFacts::of(set_name, &Arc::new(p.clone())))
            .collect()
    }

    pub fn running(&self) -> bool {
        self.phase == "Running"
    }

    pub fn running_and_ready(&self) -> bool {
        self.running() && self.ready
    }

    /// Failed or Succeeded: a pet that will not run again.
    pub fn finished(&self) -> bool {
        matches!(self.phase.as_str(), "Failed" | "Succeeded")
    }

    /// `isPending`: created but not started, and not being deleted.
    pub fn pending(&self) -> bool {
        self.phase == "Pending" && !self.dying
    }

    /// Ready for at least `min_ready` (`podutil.IsPodAvailable`).
    pub fn available(&self, min_ready: Duration, now: SystemTime) -> bool {
        self.ready
            && (min_ready.is_zero() || self.ready_since.is_some_and(|t| t + min_ready <= now))
    }

    /// How long until a Ready pod counts as available, if it does not yet.
    pub fn until_available(&self, min_ready: Duration, now: SystemTime) -> Option<Duration> {
        if self.available(min_ready, now) {
            return None;
        }
        let since = self.ready_since.unwrap_or(now);
        Some(
            (since + min_ready)
                .duration_since(now)
                .unwrap_or(Duration::from_millis(100))
                .max(Duration::from_millis(100)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readiness_and_availability() {
        let at = |t: &str, status: &str| {
            json!({"metadata": {"name": "web-2", "labels": {REVISION_LABEL: "web-a"}},
                   "status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": status, "lastTransitionTime": t}]}})
        };
        let now = petctl_model::time::parse_system("2026-01-01T00:00:10Z").unwrap();
        let pod = at("2026-01-01T00:00:00Z", "True");
        let facts = PodFacts::of("web", &Arc::new(pod));
        assert!(facts.running_and_ready() && !facts.dying && !facts.pending());
        assert_eq!((facts.ordinal, facts.revision.as_str()), (Some(2), "web-a"));
        assert!(!facts.controlled);
        assert!(facts.available(Duration::from_secs(10), now));
        assert!(!facts.available(Duration::from_secs(11), now));
        assert_eq!(
            facts.until_available(Duration::from_secs(12), now),
            Some(Duration::from_secs(2))
        );
        let unready = at("2026-01-01T00:00:00Z", "False");
        assert!(!PodFacts::of("web", &Arc::new(unready)).available(Duration::ZERO, now));
    }
}
