//! Taint eviction (pkg/controller/tainteviction/taint_eviction.go): a pod
//! on a node with a NoExecute taint it does not tolerate is marked for
//! deletion at once; one that tolerates every such taint for a while
//! (`tolerationSeconds`, 300 s by DefaultTolerationSeconds) when the
//! shortest of those is over. The deletion takes the pod's own grace
//! period, so on an unreachable node, whose kubelet confirms nothing, the
//! pod stays Terminating (kubernetes#54368). A deleting pod whose Node has
//! been gone for PodGC's 40 s quarantine is force-deleted, as gcOrphaned
//! does.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::lifecycle::Lifecycle;
use crate::controllers::cache::Key;
use crate::controllers::events;
use crate::controllers::pods;
use crate::controllers::runner::{Ctx, Next};
use crate::registry::error::ApiError;
use crate::registry::{meta, DeleteOptions};

const COMPONENT: &str = "taint-eviction-controller";
/// How long PodGC waits for a missing node to come back before it takes
/// the node's pods (pkg/controller/podgc/gc_controller.go, quarantineTime).
const QUARANTINE: Duration = Duration::from_secs(40);

/// Whether `toleration` tolerates `taint` (`Toleration.ToleratesTaint`).
pub fn tolerates(toleration: &Value, taint: &Value) -> bool {
    let effect = meta::str_at(toleration, "/effect");
    if !effect.is_empty() && effect != meta::str_at(taint, "/effect") {
        return false;
    }
    let key = meta::str_at(toleration, "/key");
    if !key.is_empty() && key != meta::str_at(taint, "/key") {
        return false;
    }
    match meta::str_at(toleration, "/operator") {
        "Exists" => true,
        "" | "Equal" => meta::str_at(toleration, "/value") == meta::str_at(taint, "/value"),
        _ => false,
    }
}

/// How long the pod may stay under `taints` (NoExecute ones): None for
/// ever, Some(ZERO) not at all.
fn toleration_time(pod: &Value, taints: &[&Value]) -> Option<Duration> {
    let tolerations: Vec<&Value> = pod
        .pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let mut least: Option<Duration> = None;
    for taint in taints {
        let matching: Vec<&&Value> = tolerations.iter().filter(|t| tolerates(t, taint)).collect();
        if matching.is_empty() {
            return Some(Duration::ZERO);
        }
        // getMinTolerationTime: a toleration without tolerationSeconds
        // tolerates for ever; of those with one, the shortest counts.
        let seconds = matching
            .iter()
            .filter_map(|t| t.get("tolerationSeconds").and_then(Value::as_i64))
            .min();
        if let Some(seconds) = seconds {
            let time = Duration::from_secs(seconds.max(0) as u64);
            least = Some(least.map_or(time, |l| l.min(time)));
        }
    }
    least
}

impl Lifecycle {
    pub(super) fn reconcile_pod(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(pod) = ctx.cache.shared(key).cloned() else {
            return Ok(Next::Done);
        };
        let uid = meta::uid(&pod).to_string();
        let node_name = meta::str_at(&pod, "/spec/nodeName");
        let Some(node) = ctx.cache.shared(&Key::new("Node", "", node_name)).cloned() else {
            self.tainted_since.remove(&uid);
            if !pods::is_dying(&pod) || node_name.is_empty() {
                return Ok(Next::Done);
            }
            let now = Instant::now();
            let missing = *self
                .missing_since
                .entry(node_name.to_string())
                .or_insert(now);
            if missing + QUARANTINE > now {
                return Ok(Next::At(missing + QUARANTINE));
            }
            let options = DeleteOptions {
                grace_period_seconds: Some(0),
                ..DeleteOptions::default()
            };
            ctx.delete(key, &uid, options)?;
            return Ok(Next::Done);
        };
        self.missing_since.remove(node_name);
        if pods::is_dying(&pod) {
            self.tainted_since.remove(&uid);
            return Ok(Next::Done);
        }
        let taints: Vec<&Value> = node
            .pointer("/spec/taints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|t| t["effect"] == "NoExecute")
            .collect();
        if taints.is_empty() {
            self.tainted_since.remove(&uid);
            return Ok(Next::Done);
        }
        let Some(time) = toleration_time(&pod, &taints) else {
            return Ok(Next::Done);
        };
        let now = Instant::now();
        let since = *self.tainted_since.entry(uid.clone()).or_insert(now);
        let due = since + time;
        if due > now {
            return Ok(Next::At(due));
        }
        self.tainted_since.remove(&uid);
        evict(ctx, key, &pod)?;
        Ok(Next::Done)
    }
}

/// Marks the pod for deletion as the taint manager does: a DisruptionTarget
/// condition, the TaintManagerEviction event, then a delete with the pod's
/// own grace period.
fn evict(ctx: &mut Ctx, key: &Key, pod: &Value) -> Result<(), ApiError> {
    let mut next = pod.clone();
    if let Some(conditions) = next
        .pointer_mut("/status/conditions")
        .and_then(Value::as_array_mut)
    {
        if !conditions.iter().any(|c| c["type"] == "DisruptionTarget") {
            conditions.push(json!({"type": "DisruptionTarget", "status": "True",
                "lastProbeTime": null, "lastTransitionTime": meta::now(),
                "reason": "DeletionByTaintManager",
                "message": "Taint manager: deleting due to NoExecute taint"}));
        }
    }
    let written = ctx.update_status("Pod", next)?;
    events::normal(
        ctx,
        &written,
        COMPONENT,
        "TaintManagerEviction",
        format!(
            "Marking for deletion Pod {}/{}",
            meta::namespace(pod),
            meta::name(pod)
        ),
    );
    ctx.delete(key, meta::uid(pod), DeleteOptions::default())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toleration_times_follow_upstream() {
        let taint = json!({"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"});
        let other = json!({"key": "gpu", "value": "yes", "effect": "NoExecute"});
        let pod = |tolerations: Value| json!({"spec": {"tolerations": tolerations}});
        let unreachable = json!({"key": "node.kubernetes.io/unreachable", "operator": "Exists",
            "effect": "NoExecute", "tolerationSeconds": 2});
        assert_eq!(
            toleration_time(&pod(json!([])), &[&taint]),
            Some(Duration::ZERO)
        );
        assert_eq!(
            toleration_time(&pod(json!([unreachable])), &[&taint]),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            toleration_time(&pod(json!([{"operator": "Exists"}])), &[&taint, &other]),
            None
        );
        assert_eq!(
            toleration_time(
                &pod(json!([unreachable, {"key": "gpu", "value": "no"}])),
                &[&taint, &other]
            ),
            Some(Duration::ZERO)
        );
        assert!(tolerates(
            &json!({"key": "gpu", "operator": "Equal", "value": "yes"}),
            &other
        ));
    }
}
