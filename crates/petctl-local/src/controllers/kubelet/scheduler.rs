//! The simulated scheduler's half of the kubelet: the nodes it registers
//! and the binding of a pod to the least loaded one.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{json, Value};

use super::Kubelet;
use crate::controllers::cache::{Cache, Key};
use crate::controllers::events;
use crate::controllers::runner::{kind_info, Ctx, Next};
use crate::registry::error::ApiError;
use crate::registry::{meta, Target};

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

impl Kubelet {
    pub(super) fn node_object(i: u32) -> Value {
        let name = node_name(i);
        let now = meta::now();
        json!({
            "metadata": {"name": name, "labels": {
                "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                "kubernetes.io/arch": std::env::consts::ARCH, "beta.kubernetes.io/os": "linux"}},
            "spec": {"podCIDR": format!("10.244.{i}.0/24")},
            "status": {
                "capacity": {"cpu": "8", "memory": "32Gi", "pods": "1100", "ephemeral-storage": "100Gi"},
                "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "1100", "ephemeral-storage": "100Gi"},
                "conditions": [
                    {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available", "lastHeartbeatTime": now, "lastTransitionTime": now},
                    {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure", "lastHeartbeatTime": now, "lastTransitionTime": now},
                    {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available", "lastHeartbeatTime": now, "lastTransitionTime": now},
                    {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status (simulated by petctl)", "lastHeartbeatTime": now, "lastTransitionTime": now}
                ],
                "addresses": [{"type": "InternalIP", "address": host_ip(&name)}, {"type": "Hostname", "address": name}],
                "nodeInfo": {"kubeletVersion": "v1.33.0-petctl", "kubeProxyVersion": "v1.33.0-petctl",
                    "containerRuntimeVersion": "simulated://1.0", "operatingSystem": "linux",
                    "architecture": std::env::consts::ARCH, "osImage": "petctl local", "kernelVersion": "",
                    "machineID": "", "systemUUID": "", "bootID": ""}
            }
        })
    }

    /// The node with the fewest pods.
    fn pick_node(&self, cache: &Cache) -> String {
        let mut load: HashMap<String, usize> = (0..self.options.nodes.max(1))
            .map(|i| (node_name(i), 0))
            .collect();
        for pod in cache.list("Pod", None) {
            if let Some(n) = load.get_mut(meta::str_at(pod, "/spec/nodeName")) {
                *n += 1;
            }
        }
        let mut nodes: Vec<(usize, String)> = load.into_iter().map(|(name, n)| (n, name)).collect();
        nodes.sort();
        nodes
            .into_iter()
            .next()
            .map(|(_, name)| name)
            .unwrap_or_else(|| node_name(0))
    }

    pub(super) fn bind(&mut self, ctx: &mut Ctx, key: &Key, pod: &Value) -> Result<Next, ApiError> {
        let node = self.pick_node(&ctx.cache);
        let target = Target {
            kind: kind_info("Pod")?,
            namespace: key.namespace.clone(),
            name: key.name.clone(),
        };
        match ctx.registry.bind_pod(&target, &node) {
            Ok(written) => {
                ctx.cache.put("Pod", written.object.clone());
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
            Err(err) => {
                ctx.refresh(key);
                Err(err)
            }
        }
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
