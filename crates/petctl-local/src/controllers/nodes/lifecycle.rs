//! The node lifecycle controller
//! (pkg/controller/nodelifecycle/node_lifecycle_controller.go): a node
//! whose Lease (or, without one, whose Ready heartbeat) has not changed for
//! the grace period gets every condition Unknown ("Kubelet stopped posting
//! node status."), the `node.kubernetes.io/unreachable` taints (NoSchedule
//! and NoExecute), and its pods' Ready condition False (MarkPodsNotReady,
//! pkg/controller/util/node/controller_utils.go) with a NodeNotReady event
//! on each. A node Ready again loses the taints. Pods are handed to taint
//! eviction (`eviction.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{ready_status, LEASE_NAMESPACE};
use crate::controllers::cache::{Cache, Key};
use crate::controllers::events;
use crate::controllers::runner::{Ctx, Next, Reconciler};
use crate::registry::admission::UNREACHABLE_TAINT;
use crate::registry::error::ApiError;
use crate::registry::meta;

pub(super) const COMPONENT: &str = "node-controller";
const CONDITIONS: [&str; 4] = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

pub struct Lifecycle {
    grace: Duration,
    /// Per node: the last probe seen (the Lease's renewTime) and when this
    /// controller saw it change, as upstream's `nodeHealthData`.
    probes: HashMap<String, (String, Instant)>,
    /// Per pod (by uid): since when a tolerated NoExecute taint is on its node.
    pub(super) tainted_since: HashMap<String, Instant>,
    /// Per node name: since when pods are bound to it and it is missing.
    pub(super) missing_since: HashMap<String, Instant>,
}

impl Lifecycle {
    pub fn new(grace: Duration) -> Self {
        Lifecycle {
            grace,
            probes: HashMap::new(),
            tainted_since: HashMap::new(),
            missing_since: HashMap::new(),
        }
    }

    fn probe(cache: &Cache, node: &Value) -> String {
        let lease = cache.get(&Key::new("Lease", LEASE_NAMESPACE, meta::name(node)));
        match lease {
            Some(lease) => meta::str_at(lease, "/spec/renewTime").to_string(),
            None => node
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|c| c["type"] == "Ready")
                .map(|c| meta::str_at(c, "/lastHeartbeatTime").to_string())
                .unwrap_or_default(),
        }
    }

    fn reconcile_node(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(node) = ctx.cache.get(key).cloned() else {
            self.probes.remove(&key.name);
            return Ok(Next::Done);
        };
        let probe = Self::probe(&ctx.cache, &node);
        let now = Instant::now();
        if !self.probes.contains_key(&key.name) {
            let name = meta::name(&node);
            events::normal(
                ctx,
                &node,
                COMPONENT,
                "RegisteredNode",
                format!("Node {name} event: Registered Node {name} in Controller"),
            );
        }
        let seen = self
            .probes
            .entry(key.name.clone())
            .or_insert_with(|| (probe.clone(), now));
        if seen.0 != probe {
            *seen = (probe, now);
        }
        let expires = seen.1 + self.grace;
        let mut node = node;
        if now >= expires && ready_status(&node) != "Unknown" {
            let was_ready = ready_status(&node) == "True";
            node = Arc::unwrap_or_clone(ctx.update_status("Node", unknown(&node))?);
            if was_ready {
                let name = meta::name(&node).to_string();
                events::normal(
                    ctx,
                    &node,
                    COMPONENT,
                    "NodeNotReady",
                    format!("Node {name} status is now: NodeNotReady"),
                );
                mark_pods_not_ready(ctx, &name);
            }
        }
        let unreachable = ready_status(&node) == "Unknown";
        if let Some(next) = with_taints(&node, unreachable) {
            ctx.update("Node", next)?;
        }
        // A controller's own writes wake none of its keys: the pods under
        // a taint just written are looked at here.
        let mut wake = (now < expires).then_some(expires);
        let name = key.name.clone();
        let on_node: Vec<Key> = ctx
            .cache
            .on_node(&name)
            .map(|p| Key::of("Pod", p))
            .collect();
        for pod in on_node {
            if let Next::At(at) = self.reconcile_pod(ctx, &pod)? {
                wake = Some(wake.map_or(at, |w| w.min(at)));
            }
        }
        Ok(wake.map_or(Next::Done, Next::At))
    }
}

/// The node with every condition Unknown, as `tryUpdateNodeHealth` words it.
fn unknown(node: &Value) -> Value {
    let now = meta::now();
    let mut next = node.clone();
    let old: Vec<Value> = meta::list_at(node, "/status/conditions");
    let mut conditions: Vec<Value> = old
        .iter()
        .filter(|c| !CONDITIONS.contains(&meta::str_at(c, "/type")))
        .cloned()
        .collect();
    for kind in CONDITIONS {
        let condition = match old.iter().find(|c| c["type"] == kind) {
            Some(c) => json!({"type": kind, "status": "Unknown", "reason": "NodeStatusUnknown",
                "message": "Kubelet stopped posting node status.",
                "lastHeartbeatTime": c.get("lastHeartbeatTime").cloned().unwrap_or(Value::Null),
                "lastTransitionTime": now}),
            None => json!({"type": kind, "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                "message": "Kubelet never posted node status.",
                "lastHeartbeatTime": meta::str_at(node, "/metadata/creationTimestamp"),
                "lastTransitionTime": now}),
        };
        conditions.push(condition);
    }
    if let Some(status) = super::section(&mut next, "status") {
        status.insert("conditions".into(), json!(conditions));
    }
    next
}

/// The node with the unreachable taints added (NoSchedule, and NoExecute
/// with its timeAdded) or taken away; None when they already are so.
fn with_taints(node: &Value, unreachable: bool) -> Option<Value> {
    let taints = meta::list_at(node, "/spec/taints");
    let has = |effect: &str| {
        taints
            .iter()
            .any(|t| t["key"] == UNREACHABLE_TAINT && t["effect"] == effect)
    };
    let next_taints: Vec<Value> = if unreachable {
        if has("NoSchedule") && has("NoExecute") {
            return None;
        }
        let mut next = taints.clone();
        if !has("NoSchedule") {
            next.push(json!({"key": UNREACHABLE_TAINT, "effect": "NoSchedule"}));
        }
        if !has("NoExecute") {
            next.push(
                json!({"key": UNREACHABLE_TAINT, "effect": "NoExecute", "timeAdded": meta::now()}),
            );
        }
        next
    } else {
        if !taints.iter().any(|t| t["key"] == UNREACHABLE_TAINT) {
            return None;
        }
        taints
            .into_iter()
            .filter(|t| t["key"] != UNREACHABLE_TAINT)
            .collect()
    };
    let mut next = node.clone();
    if let Some(spec) = super::section(&mut next, "spec") {
        if next_taints.is_empty() {
            spec.remove("taints");
        } else {
            spec.insert("taints".into(), json!(next_taints));
        }
    }
    Some(next)
}

/// MarkPodsNotReady: the Ready condition of each pod on the node goes
/// False, and the pod gets a NodeNotReady warning.
fn mark_pods_not_ready(ctx: &mut Ctx, node: &str) {
    let pods: Vec<Value> = ctx.cache.on_node(node).cloned().collect();
    for pod in pods {
        let mut next = pod.clone();
        let Some(conditions) = next
            .pointer_mut("/status/conditions")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        let Some(ready) = conditions.iter_mut().find(|c| c["type"] == "Ready") else {
            continue;
        };
        if ready["status"] == "False" {
            continue;
        }
        ready["status"] = json!("False");
        ready["lastTransitionTime"] = json!(meta::now());
        match ctx.update_status("Pod", next) {
            Ok(written) => events::warning(
                ctx,
                &written,
                COMPONENT,
                "NodeNotReady",
                "Node is not ready".to_string(),
            ),
            Err(err) => crate::server::log(&format!(
                "node-lifecycle-controller: failed to mark pod {}/{} not ready: {}",
                meta::namespace(&pod),
                meta::name(&pod),
                err.message
            )),
        }
    }
}

impl Reconciler for Lifecycle {
    const NAME: &'static str = "node-lifecycle-controller";
    const KINDS: &'static [&'static str] = &["Node", "Lease", "Pod"];
    const PRIMARY: &'static [&'static str] = &["Node", "Pod"];

    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        match kind {
            "Node" => {
                let name = meta::name(object);
                let mut keys = vec![Key::of("Node", object)];
                keys.extend(cache.on_node(name).map(|p| Key::of("Pod", p)));
                keys
            }
            "Lease" if meta::namespace(object) == LEASE_NAMESPACE => {
                vec![Key::new("Node", "", meta::name(object))]
            }
            "Pod" if !meta::str_at(object, "/spec/nodeName").is_empty() => {
                vec![Key::of("Pod", object)]
            }
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        match key.kind {
            "Node" => self.reconcile_node(ctx, key),
            "Pod" => self.reconcile_pod(ctx, key),
            _ => Ok(Next::Done),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_node_goes_unknown_and_is_tainted_once() {
        let node = json!({"metadata": {"name": "n", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "status": {"conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "t"}]}});
        let lost = unknown(&node);
        let conditions = lost["status"]["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(conditions.len(), 4);
        assert_eq!(conditions[0]["reason"], "NodeStatusUnknown");
        assert_eq!(conditions[0]["lastHeartbeatTime"], "t");
        assert_eq!(conditions[1]["reason"], "NodeStatusNeverUpdated");
        assert_eq!(ready_status(&lost), "Unknown");
        let tainted = with_taints(&lost, true).unwrap_or_default();
        assert_eq!(tainted["spec"]["taints"][0]["effect"], "NoSchedule");
        assert_eq!(tainted["spec"]["taints"][1]["effect"], "NoExecute");
        assert!(with_taints(&tainted, true).is_none());
        let back = with_taints(&tainted, false).unwrap_or_default();
        assert!(back["spec"].get("taints").is_none());
        assert!(with_taints(&node, false).is_none());
    }
}
