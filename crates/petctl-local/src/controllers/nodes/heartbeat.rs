//! The simulated kubelet's heartbeat for each node it runs and that is not
//! stopped: its Lease renewed every quarter of the grace period (the
//! kubelet renews every 10 s of a 40 s lease, pkg/kubelet/nodelease), and
//! its status posted whenever the Node is not Ready (registration by
//! `node add`, or the return of a stopped node), with the kubelet's
//! NodeReady event.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

use super::{is_simulated, is_stopped, lease_seconds, micro_time, ready_status, LEASE_NAMESPACE};
use crate::controllers::cache::{Cache, Key};
use crate::controllers::events;
use crate::controllers::kubelet::{node_name, node_status};
use crate::controllers::runner::{Ctx, Next, Reconciler};
use crate::registry::error::ApiError;
use crate::registry::meta;

pub struct Heartbeat {
    /// The default nodes (`--nodes`).
    nodes: u32,
    grace: Duration,
    /// When each node's Lease was last renewed by this process.
    renewed: HashMap<String, Instant>,
}

impl Heartbeat {
    pub fn new(nodes: u32, grace: Duration) -> Self {
        Heartbeat {
            nodes: nodes.max(1),
            grace,
            renewed: HashMap::new(),
        }
    }

    fn runs(&self, node: &Value) -> bool {
        let name = meta::name(node);
        is_simulated(node) || (0..self.nodes).any(|i| node_name(i) == name)
    }

    fn interval(&self) -> Duration {
        self.grace / 4
    }

    /// Posts the node's status as a kubelet that (re)starts does: every
    /// condition fresh, Ready True.
    fn post_status(ctx: &mut Ctx, node: &Value) -> Result<(), ApiError> {
        let name = meta::name(node);
        let mut fresh = node_status(name);
        if let (Some(old), Some(map)) = (node.get("status"), fresh.as_object_mut()) {
            for key in ["capacity", "allocatable", "addresses", "nodeInfo"] {
                if let Some(value) = old.get(key) {
                    map.insert(key.into(), value.clone());
                }
            }
        }
        let written = ctx.update_status("Node", meta::with_status(node, fresh))?;
        events::normal(
            ctx,
            &written,
            "kubelet",
            "NodeReady",
            format!("Node {name} status is now: NodeReady"),
        );
        Ok(())
    }

    fn renew(&mut self, ctx: &mut Ctx, node: &Value) -> Result<(), ApiError> {
        let name = meta::name(node).to_string();
        let key = Key::new("Lease", LEASE_NAMESPACE, &name);
        let now = micro_time(SystemTime::now());
        match ctx.cache.get(&key).cloned() {
            None => {
                let lease = json!({
                    "metadata": {"name": name, "namespace": LEASE_NAMESPACE,
                        "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name,
                            "uid": meta::uid(node)}]},
                    "spec": {"holderIdentity": name,
                        "leaseDurationSeconds": lease_seconds(self.grace), "renewTime": now},
                });
                ctx.create("Lease", LEASE_NAMESPACE, lease)?;
            }
            Some(mut lease) => {
                if let Some(spec) = lease.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.insert("renewTime".into(), json!(now));
                }
                ctx.update("Lease", lease)?;
            }
        }
        self.renewed.insert(name, Instant::now());
        Ok(())
    }
}

impl Reconciler for Heartbeat {
    const NAME: &'static str = "kubelet";
    const KINDS: &'static [&'static str] = &["Node", "Lease"];
    const PRIMARY: &'static [&'static str] = &["Node"];

    fn keys_for(&self, _cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        match kind {
            "Node" => vec![Key::of("Node", object)],
            "Lease" if meta::namespace(object) == LEASE_NAMESPACE => {
                vec![Key::new("Node", "", meta::name(object))]
            }
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(node) = ctx.cache.get(key).cloned() else {
            self.renewed.remove(&key.name);
            return Ok(Next::Done);
        };
        if !self.runs(&node) || is_stopped(&node) || meta::is_deleting(&node) {
            self.renewed.remove(&key.name);
            return Ok(Next::Done);
        }
        if ready_status(&node) != "True" {
            Self::post_status(ctx, &node)?;
        }
        let now = Instant::now();
        let due = self
            .renewed
            .get(&key.name)
            .map_or(now, |at| *at + self.interval());
        let lease = Key::new("Lease", LEASE_NAMESPACE, &key.name);
        if due <= now || ctx.cache.get(&lease).is_none() {
            let node = ctx.cache.get(key).cloned().unwrap_or(node);
            self.renew(ctx, &node)?;
            return Ok(Next::At(now + self.interval()));
        }
        Ok(Next::At(due))
    }
}
