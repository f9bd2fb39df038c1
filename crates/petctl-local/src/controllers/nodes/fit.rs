//! The scheduler's filters, in the default profile's order
//! (pkg/scheduler/framework/plugins): NodeUnschedulable (a cordoned node),
//! TaintToleration (NoSchedule and NoExecute taints), NodeAffinity (the
//! pod's `nodeSelector`) and InterPodAffinity (required pod anti-affinity
//! against the pods already on the node's topology domain); and the
//! FailedScheduling message a pod that fits nowhere gets.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::eviction::tolerates;
use crate::controllers::cache::Cache;
use crate::controllers::pods;
use crate::registry::meta;

/// Why a node cannot take a pod: a filter's reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Misfit {
    /// `spec.unschedulable` (nodeunschedulable.ErrReasonUnschedulable).
    Unschedulable,
    /// The first taint the pod does not tolerate, as `{key: value}`.
    Taint(String),
    /// nodeSelector (nodeaffinity.ErrReasonPod).
    Selector,
    /// Required pod anti-affinity (interpodaffinity.ErrReasonAntiAffinityRulesNotMatch).
    AntiAffinity,
}

impl Misfit {
    fn reason(&self) -> String {
        match self {
            Misfit::Unschedulable => "node(s) were unschedulable".to_string(),
            Misfit::Taint(taint) => format!("node(s) had untolerated taint {taint}"),
            Misfit::Selector => "node(s) didn't match Pod's node affinity/selector".to_string(),
            Misfit::AntiAffinity => "node(s) didn't match pod anti-affinity rules".to_string(),
        }
    }

    /// Whether evicting pods could make the node fit (Unschedulable rather
    /// than UnschedulableAndUnresolvable): only anti-affinity.
    fn preemption_helps(&self) -> bool {
        matches!(self, Misfit::AntiAffinity)
    }
}

fn tolerations(pod: &Value) -> Vec<&Value> {
    meta::at(pod, "/spec/tolerations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect()
}

/// Why `node` cannot take `pod`, if it cannot.
pub fn fits(cache: &Cache, pod: &Value, node: &Value) -> Option<Misfit> {
    let tolerations = tolerations(pod);
    if meta::at(node, "/spec/unschedulable") == Some(&json!(true)) {
        let taint = json!({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"});
        if !tolerations.iter().any(|t| tolerates(t, &taint)) {
            return Some(Misfit::Unschedulable);
        }
    }
    let taints = meta::at(node, "/spec/taints").and_then(Value::as_array);
    for taint in taints.into_iter().flatten() {
        if !matches!(meta::str_at(taint, "/effect"), "NoSchedule" | "NoExecute") {
            continue;
        }
        if !tolerations.iter().any(|t| tolerates(t, taint)) {
            return Some(Misfit::Taint(format!(
                "{{{}: {}}}",
                meta::str_at(taint, "/key"),
                meta::str_at(taint, "/value")
            )));
        }
    }
    let labels = meta::at(node, "/metadata/labels");
    let selector = meta::at(pod, "/spec/nodeSelector").and_then(Value::as_object);
    let selected = selector.into_iter().flatten().all(|(label, want)| {
        labels
            .and_then(|l| l.get(label))
            .is_some_and(|have| have == want)
    });
    if !selected {
        return Some(Misfit::Selector);
    }
    if violates_anti_affinity(cache, pod, node) {
        return Some(Misfit::AntiAffinity);
    }
    None
}

/// Whether a pod already in the node's topology domain matches one of the
/// pod's required anti-affinity terms. A node without the term's topology
/// label is no domain and passes.
fn violates_anti_affinity(cache: &Cache, pod: &Value, node: &Value) -> bool {
    let terms = pod
        .pointer("/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution")
        .and_then(Value::as_array);
    terms.into_iter().flatten().any(|term| {
        let key = meta::str_at(term, "/topologyKey");
        let Some(domain) = meta::at(node, "/metadata/labels").and_then(|l| l.get(key)) else {
            return false;
        };
        let Some(selector) = term
            .get("labelSelector")
            .and_then(|s| pods::selector(&json!({"spec": {"selector": s}})))
        else {
            return false;
        };
        let namespaces: Vec<&str> = term
            .get("namespaces")
            .and_then(Value::as_array)
            .map(|ns| ns.iter().filter_map(Value::as_str).collect())
            .filter(|ns: &Vec<&str>| !ns.is_empty())
            .unwrap_or_else(|| vec![meta::namespace(pod)]);
        cache.list("Pod", None).any(|other| {
            let on = meta::str_at(other, "/spec/nodeName");
            !on.is_empty()
                && meta::uid(other) != meta::uid(pod)
                && namespaces.contains(&meta::namespace(other))
                && pods::selects(&selector, other)
                && cache
                    .get(&crate::controllers::cache::Key::new("Node", "", on))
                    .and_then(|n| meta::at(n, "/metadata/labels"))
                    .and_then(|l| l.get(key))
                    == Some(domain)
        })
    })
}

/// `N reason, M reason` sorted as the strings (sortReasonsHistogram).
fn histogram(reasons: impl Iterator<Item = String>) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for reason in reasons {
        *counts.entry(reason).or_default() += 1;
    }
    let mut parts: Vec<String> = counts
        .into_iter()
        .map(|(reason, n)| format!("{n} {reason}"))
        .collect();
    parts.sort();
    parts.join(", ")
}

/// The FitError message with the preemption post-filter's
/// (pkg/scheduler/framework/types.go and preemption.go), for nodes that
/// all failed: `0/3 nodes are available: 1 node(s) were unschedulable, 2
/// node(s) didn't match Pod's node affinity/selector. preemption: 0/3
/// nodes are available: 3 Preemption is not helpful for scheduling.`
pub fn unschedulable_message(misfits: &[Misfit]) -> String {
    let total = misfits.len();
    if total == 0 {
        return "no nodes available to schedule pods".to_string();
    }
    let reasons = histogram(misfits.iter().map(Misfit::reason));
    let preemption = histogram(misfits.iter().map(|m| {
        if m.preemption_helps() {
            "No preemption victims found for incoming pod".to_string()
        } else {
            "Preemption is not helpful for scheduling".to_string()
        }
    }));
    format!("0/{total} nodes are available: {reasons}. preemption: 0/{total} nodes are available: {preemption}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_count_and_sort_the_reasons() {
        let misfits = [Misfit::Selector, Misfit::Unschedulable, Misfit::Selector];
        assert_eq!(
            unschedulable_message(&misfits),
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
        let misfits = [
            Misfit::AntiAffinity,
            Misfit::Taint("{node.kubernetes.io/unreachable: }".into()),
        ];
        assert_eq!(
            unschedulable_message(&misfits),
            "0/2 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn cordoned_tainted_and_unselected_nodes_do_not_fit() {
        let cache = Cache::default();
        let pod = json!({"metadata": {"uid": "p"}, "spec": {"nodeSelector": {"disk": "ssd"}}});
        let node = |spec: Value, labels: Value| json!({"metadata": {"name": "n", "labels": labels}, "spec": spec});
        let ssd = json!({"disk": "ssd"});
        assert_eq!(fits(&cache, &pod, &node(json!({}), ssd.clone())), None);
        assert_eq!(
            fits(
                &cache,
                &pod,
                &node(json!({"unschedulable": true}), ssd.clone())
            ),
            Some(Misfit::Unschedulable)
        );
        assert_eq!(
            fits(
                &cache,
                &pod,
                &node(
                    json!({"taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]}),
                    ssd.clone()
                )
            ),
            Some(Misfit::Taint("{k: v}".into()))
        );
        assert_eq!(
            fits(
                &cache,
                &pod,
                &node(
                    json!({"taints": [{"key": "k", "effect": "PreferNoSchedule"}]}),
                    ssd
                )
            ),
            None
        );
        assert_eq!(
            fits(&cache, &pod, &node(json!({}), json!({}))),
            Some(Misfit::Selector)
        );
    }
}
