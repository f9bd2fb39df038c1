//! The simulated scheduler's half of the kubelet: the nodes it registers
//! and the binding of a pod to the least loaded node that passes the
//! filters (`fit.rs`); with none, the pod stays unbound (Unschedulable)
//! with upstream's FailedScheduling message.

use std::time::Instant;

use serde_json::{json, Value};

use super::Kubelet;
use crate::controllers::cache::{Cache, Key};
use crate::controllers::events;
use crate::controllers::nodes::fit::{fits, unschedulable_message, Misfit};
use crate::controllers::runner::{Ctx, Next};
use crate::controllers::together::Write;
use crate::registry::error::ApiError;
use crate::registry::meta;

/// The name of node `i`.
pub fn node_name(i: u32) -> String {
    format!("local-node-{i}")
}

pub(super) fn host_ip(node: &str) -> String {
    let index: u32 = node
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    format!("172.18.{}.{}", 1 + index / 250, 2 + index % 250)
}

/// A Node the simulated kubelet runs, named `name`, with `pod_cidr` if the
/// node has one (the nodes of `--nodes`).
pub fn node_object(name: &str, pod_cidr: Option<String>) -> Value {
    let mut node = json!({
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
            "kubernetes.io/arch": std::env::consts::ARCH, "beta.kubernetes.io/os": "linux"}},
        "spec": {},
        "status": node_status(name),
    });
    if let Some(cidr) = pod_cidr {
        node["spec"]["podCIDR"] = json!(cidr);
    }
    node
}

/// The status the simulated kubelet posts for node `name`: capacity,
/// addresses, node info and every condition fresh, Ready True.
pub fn node_status(name: &str) -> Value {
    let now = meta::now();
    json!({
        "capacity": {"cpu": "8", "memory": "32Gi", "pods": "1100", "ephemeral-storage": "100Gi"},
        "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "1100", "ephemeral-storage": "100Gi"},
        "conditions": [
            {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available", "lastHeartbeatTime": now, "lastTransitionTime": now},
            {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure", "lastHeartbeatTime": now, "lastTransitionTime": now},
            {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available", "lastHeartbeatTime": now, "lastTransitionTime": now},
            {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status (simulated by petctl)", "lastHeartbeatTime": now, "lastTransitionTime": now}
        ],
        "addresses": [{"type": "InternalIP", "address": host_ip(name)}, {"type": "Hostname", "address": name}],
        "nodeInfo": {"kubeletVersion": "v1.33.0-petctl", "kubeProxyVersion": "v1.33.0-petctl",
            "containerRuntimeVersion": "simulated://1.0", "operatingSystem": "linux",
            "architecture": std::env::consts::ARCH, "osImage": "petctl local", "kernelVersion": "",
            "machineID": "", "systemUUID": "", "bootID": ""}
    })
}

impl Kubelet {
    /// The nodes this kubelet runs (as the cache has them), by name; each
    /// with why it cannot take the pod, if it cannot.
    fn filter_nodes(&self, cache: &Cache, pod: &Value) -> Vec<(String, Option<Misfit>)> {
        let nodes: Vec<&Value> = cache
            .list("Node", None)
            .filter(|node| self.serves(cache, meta::name(node)))
            .collect();
        let mut names: Vec<(String, Option<Misfit>)> = nodes
            .iter()
            .map(|node| (meta::name(node).to_string(), fits(cache, pod, node)))
            .collect();
        names.sort();
        names
    }

    /// Of `nodes`, the one with the fewest pods.
    fn least_loaded(cache: &Cache, nodes: Vec<String>) -> Option<String> {
        let mut nodes: Vec<(usize, String)> = nodes
            .into_iter()
            .map(|name| (cache.count_on_node(&name), name))
            .collect();
        nodes.sort();
        nodes.into_iter().next().map(|(_, name)| name)
    }

    /// Leaves the pod unbound: PodScheduled False (Unschedulable) and a
    /// FailedScheduling event, once per message.
    fn unschedulable(ctx: &mut Ctx, pod: &Value, misfits: &[Misfit]) -> Result<Next, ApiError> {
        let message = unschedulable_message(misfits);
        let condition = pod
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| c["type"] == "PodScheduled"));
        if condition.is_some_and(|c| c["reason"] == "Unschedulable" && c["message"] == message) {
            return Ok(Next::Done);
        }
        let mut next = pod.clone();
        let status = json!({
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "lastProbeTime": null,
                "lastTransitionTime": meta::now(), "reason": "Unschedulable", "message": message}],
            "qosClass": meta::at(pod, "/status/qosClass").cloned().unwrap_or_else(|| json!("BestEffort")),
        });
        if let Some(map) = next.as_object_mut() {
            map.insert("status".into(), status);
        }
        let written = ctx.update_status("Pod", next)?;
        events::record(
            ctx,
            &written,
            events::Occurrence {
                severity: events::Severity::Warning,
                reason: "FailedScheduling",
                message,
                component: "default-scheduler",
            },
        );
        Ok(Next::Done)
    }

    pub(super) fn bind(&mut self, ctx: &mut Ctx, key: &Key, pod: &Value) -> Result<Next, ApiError> {
        let filtered = self.filter_nodes(&ctx.cache, pod);
        let feasible = filtered
            .iter()
            .filter(|(_, misfit)| misfit.is_none())
            .map(|(name, _)| name.clone())
            .collect();
        let Some(node) = Self::least_loaded(&ctx.cache, feasible) else {
            let misfits: Vec<Misfit> = filtered.into_iter().filter_map(|(_, m)| m).collect();
            return Self::unschedulable(ctx, pod, &misfits);
        };
        // Assumed bound at once, as the scheduler's cache assumes a pod it
        // binds (pkg/scheduler/schedule_one.go, assume): the next pods of
        // the pass see it on its node (load, anti-affinity) while the
        // bindings of the pass go to the store in one commit.
        let mut assumed = pod.clone();
        if let Some(spec) = assumed.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("nodeName".into(), json!(node));
        }
        ctx.cache.put("Pod", assumed);
        ctx.defer(vec![vec![Write::Bind {
            namespace: key.namespace.clone(),
            name: key.name.clone(),
            node: node.clone(),
        }]]);
        let message = format!(
            "Successfully assigned {}/{} to {node}",
            key.namespace, key.name
        );
        events::record(
            ctx,
            pod,
            events::Occurrence {
                severity: events::Severity::Normal,
                reason: "Scheduled",
                message,
                component: "default-scheduler",
            },
        );
        Ok(Next::At(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ips_follow_the_node_index() {
        assert_eq!(host_ip("local-node-0"), "172.18.1.2");
        assert_eq!(host_ip("local-node-3"), "172.18.1.5");
    }
}
