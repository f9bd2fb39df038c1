//! The simulated kubelet and scheduler: registers the nodes and binds pods
//! to the least loaded one (scheduler), takes each pod through Pending
//! (ContainerCreating, until its claims are Bound) to Running, where its
//! probes and the fault annotations drive it (runtime); crash-loops pods
//! whose image matches --fail-images, keeps those matching
//! --unpullable-images Pending in ImagePullBackOff; and removes deleted
//! pods once their (capped) grace period is over, unless they hang.

mod backoff;
mod faults;
mod probes;
mod pull;
mod runtime;
mod scheduler;
mod status;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use self::backoff::Backoff;
use self::faults::{annotation_duration, Faults};
pub use self::faults::{
    effective_grace, glob_matches, EXIT_AFTER_ANNOTATION, EXIT_CODE_ANNOTATION,
    LIVENESS_ANNOTATION, MAX_GRACE_ANNOTATION, READINESS_ANNOTATION, READY_DELAY_ANNOTATION,
    TERMINATE_ANNOTATION,
};
pub(crate) use self::runtime::restarts_after;
use self::runtime::Run;
use self::scheduler::host_ip;
pub use self::scheduler::{node_name, node_status};
use self::status::{pod_status, Sim};
use super::cache::{Cache, Key};
use super::events;
use super::pods;
use super::runner::{Ctx, Next, Reconciler};
use super::together::Write;
use super::ControllerOptions;
use crate::registry::error::ApiError;
use crate::registry::{meta, DeleteOptions};

const COMPONENT: &str = "kubelet";

/// What the kubelet remembers of a pod between reconciles.
#[derive(Debug, Clone, Default)]
struct Clock {
    uid: String,
    deleting_since: Option<Instant>,
    next_crash: Option<Instant>,
    /// How many pulls of an unpullable image failed, and when the next is.
    pulls: i64,
    next_pull: Option<Instant>,
    /// The current run of the containers, once started.
    run: Option<Run>,
    backoff: Option<Backoff>,
}

pub struct Kubelet {
    options: ControllerOptions,
    clocks: HashMap<Key, Clock>,
    next_ip: u32,
}

impl Kubelet {
    pub fn new(options: ControllerOptions) -> Self {
        Kubelet {
            options,
            clocks: HashMap::new(),
            next_ip: 2,
        }
    }

    fn fails(&self, pod: &Value) -> bool {
        let images = meta::at(pod, "/spec/containers").and_then(Value::as_array);
        images.into_iter().flatten().any(|c| {
            let image = c.get("image").and_then(Value::as_str).unwrap_or("");
            self.options
                .fail_images
                .iter()
                .any(|g| glob_matches(g, image))
        })
    }

    /// Whether `node` is one of the simulated nodes: one of `--nodes`, or
    /// one `petctl local node add` made.
    fn serves(&self, cache: &Cache, node: &str) -> bool {
        let default = node
            .strip_prefix("local-node-")
            .and_then(|i| i.parse::<u32>().ok())
            .is_some_and(|i| i < self.options.nodes.max(1) && node_name(i) == node);
        default
            || cache
                .get(&Key::new("Node", "", node))
                .is_some_and(super::nodes::is_simulated)
    }

    /// Whether `node`'s kubelet is stopped (`petctl local node stop`).
    fn stopped(cache: &Cache, node: &str) -> bool {
        cache
            .get(&Key::new("Node", "", node))
            .is_some_and(super::nodes::is_stopped)
    }

    fn ready_delay(&self, pod: &Value) -> Duration {
        annotation_duration(pod, READY_DELAY_ANNOTATION).unwrap_or(self.options.ready_delay)
    }

    fn allocate_ip(&mut self) -> String {
        let n = self.next_ip;
        self.next_ip = self.next_ip.wrapping_add(1).max(2);
        format!("10.{}.{}.{}", 244 + (n >> 16) % 12, (n >> 8) & 255, n & 255)
    }

    fn claims_bound(cache: &Cache, pod: &Value) -> bool {
        pods::claim_names(pod).into_iter().all(|claim| {
            cache
                .get(&Key::new(
                    "PersistentVolumeClaim",
                    meta::namespace(pod),
                    claim,
                ))
                // The kubelet refuses a claim that is being deleted
                // ("can't start pod because PVC … is being deleted").
                .is_some_and(|pvc| {
                    meta::str_at(pvc, "/status/phase") == "Bound" && !meta::is_deleting(pvc)
                })
        })
    }

    /// Whether a pod just set up starts its containers in the same sync:
    /// its claims are Bound, its image pulls and does not crash-loop.
    fn starts_at_once(&self, cache: &Cache, pod: &Value) -> bool {
        Self::claims_bound(cache, pod) && self.unpullable(pod).is_empty() && !self.fails(pod)
    }

    /// Writes the pod's status as the status manager does, apart from the
    /// sync that made it ([`Ctx::defer`]): the statuses of many pods share
    /// a commit. What is recorded meanwhile names the pod as the kubelet
    /// had it, as upstream's events do.
    fn write_status(ctx: &mut Ctx, pod: &Value, status: Value) {
        let mut next = pod.clone();
        if let Some(map) = next.as_object_mut() {
            map.insert("status".into(), status);
        }
        ctx.defer(vec![vec![Write::Update {
            kind: "Pod",
            status: true,
            object: next,
        }]]);
    }

    fn terminate(&mut self, ctx: &mut Ctx, key: &Key, pod: &Value) -> Result<Next, ApiError> {
        let now = Instant::now();
        let clock = self.clocks.entry(key.clone()).or_default();
        let since = match clock.deleting_since {
            Some(since) => since,
            None => {
                clock.deleting_since = Some(now);
                if !meta::str_at(pod, "/spec/nodeName").is_empty() {
                    for container in container_names(pod) {
                        events::normal(
                            ctx,
                            pod,
                            COMPONENT,
                            "Killing",
                            format!("Stopping container {container}"),
                        );
                    }
                }
                now
            }
        };
        if Faults::of(pod).hangs {
            // The pod ignores its grace period. Its node gone, it goes as
            // PodGC force-deletes the pods of a deleted node
            // (pkg/controller/podgc/gc_controller.go, gcOrphaned).
            let node = meta::str_at(pod, "/spec/nodeName");
            if node.is_empty() || ctx.cache.get(&Key::new("Node", "", node)).is_some() {
                return Ok(Next::Done);
            }
            let options = DeleteOptions {
                grace_period_seconds: Some(0),
                ..DeleteOptions::default()
            };
            ctx.delete(key, meta::uid(pod), options)?;
            return Ok(Next::Done);
        }
        let deadline = since + effective_grace(pod, self.options.max_grace);
        if deadline > now {
            return Ok(Next::At(deadline));
        }
        let options = DeleteOptions {
            grace_period_seconds: Some(0),
            ..DeleteOptions::default()
        };
        ctx.delete(key, meta::uid(pod), options)?;
        Ok(Next::Done)
    }

    fn backoff(&self) -> Backoff {
        Backoff::new(self.options.restart_backoff)
    }

    fn start_containers(
        &mut self,
        ctx: &mut Ctx,
        key: &Key,
        pod: &Value,
    ) -> Result<Next, ApiError> {
        let now = Instant::now();
        if !self.fails(pod) {
            let clock = self.clocks.entry(key.clone()).or_default();
            clock.uid = meta::uid(pod).to_string();
            clock.run = Some(Run::start(pod, now, 0, None, self.options.probe_scale));
            let next = self.live_step(ctx, key, pod)?;
            Self::started_events(ctx, pod);
            return Ok(next);
        }
        let backoff = self.backoff().nth(1);
        let crashing = Sim::Crashing {
            restarts: 1,
            backoff,
        };
        Self::write_status(ctx, pod, pod_status(pod, crashing, None, &meta::now()));
        Self::started_events(ctx, pod);
        let clock = self.clocks.entry(key.clone()).or_default();
        clock.uid = meta::uid(pod).to_string();
        back_off_event(ctx, pod);
        let at = now + backoff;
        clock.next_crash = Some(at);
        Ok(Next::At(at))
    }

    fn crash_again(&mut self, ctx: &mut Ctx, key: &Key, pod: &Value) -> Result<Next, ApiError> {
        let now = Instant::now();
        let backoff = self.backoff();
        let restarts = pod
            .pointer("/status/containerStatuses/0/restartCount")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let clock = self.clocks.entry(key.clone()).or_default();
        let due = *clock.next_crash.get_or_insert(now + backoff.nth(restarts));
        if due > now {
            return Ok(Next::At(due));
        }
        let restarts = restarts + 1;
        let crashing = Sim::Crashing {
            restarts,
            backoff: backoff.nth(restarts),
        };
        Self::write_status(ctx, pod, pod_status(pod, crashing, None, &meta::now()));
        back_off_event(ctx, pod);
        let at = now + backoff.nth(restarts);
        if let Some(clock) = self.clocks.get_mut(key) {
            clock.next_crash = Some(at);
        }
        Ok(Next::At(at))
    }
}

fn container_names(pod: &Value) -> Vec<String> {
    meta::at(pod, "/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| meta::str_at(c, "/name").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn image_of(pod: &Value, container: &str) -> String {
    meta::at(pod, "/spec/containers")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| meta::str_at(c, "/name") == container))
        .map(|c| meta::str_at(c, "/image").to_string())
        .unwrap_or_default()
}

fn back_off_event(ctx: &mut Ctx, pod: &Value) {
    for container in container_names(pod) {
        let message = format!(
            "Back-off restarting failed container {container} in pod {}_{}({})",
            meta::name(pod),
            meta::namespace(pod),
            meta::uid(pod)
        );
        events::warning(ctx, pod, COMPONENT, "BackOff", message);
    }
}

impl Reconciler for Kubelet {
    const NAME: &'static str = "kubelet";

    const KINDS: &'static [&'static str] = &["Pod", "PersistentVolumeClaim", "Node"];
    const PRIMARY: &'static [&'static str] = &["Pod"];

    fn start(&mut self, ctx: &mut Ctx) {
        for i in 0..self.options.nodes.max(1) {
            if ctx
                .cache
                .get(&Key::new("Node", "", &node_name(i)))
                .is_none()
            {
                let node = scheduler::node_object(&node_name(i), Some(format!("10.244.{i}.0/24")));
                if let Err(err) = ctx.create("Node", "", node) {
                    crate::server::log(&format!(
                        "kubelet: failed to register node {}: {}",
                        node_name(i),
                        err.message
                    ));
                }
            }
        }
        let highest = ctx
            .cache
            .list("Pod", None)
            .filter_map(|p| {
                let ip: std::net::Ipv4Addr = meta::str_at(p, "/status/podIP").parse().ok()?;
                let [_, b, c, d] = ip.octets();
                Some((u32::from(b.saturating_sub(244)) << 16) | (u32::from(c) << 8) | u32::from(d))
            })
            .max();
        if let Some(highest) = highest {
            self.next_ip = highest + 1;
        }
    }

    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        match kind {
            "Pod" => vec![Key::of("Pod", object)],
            "PersistentVolumeClaim" => cache
                .using_claim(meta::namespace(object), meta::name(object))
                .filter(|pod| !pods::is_running(pod))
                .map(|pod| Key::of("Pod", pod))
                .collect(),
            // A node that appears or changes its labels may fit a pod the
            // scheduler left unbound; one that goes takes its hanging pods;
            // one started again picks up its pods.
            "Node" => {
                let mut keys: Vec<Key> = ["", meta::name(object)]
                    .into_iter()
                    .flat_map(|node| cache.on_node(node))
                    .map(|pod| Key::of("Pod", pod))
                    .collect();
                keys.sort();
                keys.dedup();
                keys
            }
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        // Shared, not copied: a write copies what it changes.
        let Some(pod) = ctx.cache.shared(key).cloned() else {
            self.clocks.remove(key);
            return Ok(Next::Done);
        };
        if self
            .clocks
            .get(key)
            .is_some_and(|c| !c.uid.is_empty() && c.uid != meta::uid(&pod))
        {
            self.clocks.remove(key);
        }
        let node = meta::str_at(&pod, "/spec/nodeName");
        if !node.is_empty() && (!self.serves(&ctx.cache, node) || Self::stopped(&ctx.cache, node)) {
            // Bound elsewhere, or to a stopped node: no kubelet here
            // reports on it or confirms its deletion.
            return Ok(Next::Done);
        }
        if pods::is_dying(&pod) {
            return self.terminate(ctx, key, &pod);
        }
        if node.is_empty() {
            return self.bind(ctx, key, &pod);
        }
        if meta::str_at(&pod, "/status/podIP").is_empty() {
            let node = meta::str_at(&pod, "/spec/nodeName").to_string();
            let ips = (host_ip(&node), self.allocate_ip());
            let clock = self.clocks.entry(key.clone()).or_default();
            clock.uid = meta::uid(&pod).to_string();
            let creating = pod_status(&pod, Sim::Creating, Some(ips), &meta::now());
            if self.starts_at_once(&ctx.cache, &pod) {
                // Like the status manager, which reports what the kubelet
                // knows at its next sync: a pod whose volumes are ready and
                // whose image is present is reported Running at once, its
                // ContainerCreating never written.
                let mut set_up = Value::clone(&pod);
                if let Some(map) = set_up.as_object_mut() {
                    map.insert("status".into(), creating);
                }
                return self.start_containers(ctx, key, &set_up);
            }
            Self::write_status(ctx, &pod, creating);
            return Ok(Next::At(Instant::now()));
        }
        if matches!(meta::str_at(&pod, "/status/phase"), "Succeeded" | "Failed") {
            return Ok(Next::Done);
        }
        if !pods::is_running(&pod) {
            if !Self::claims_bound(&ctx.cache, &pod) {
                return Ok(Next::Done);
            }
            let unpullable = self.unpullable(&pod);
            if !unpullable.is_empty() {
                return self.fail_pull(ctx, key, &pod, &unpullable);
            }
            return self.start_containers(ctx, key, &pod);
        }
        if self.fails(&pod) {
            return self.crash_again(ctx, key, &pod);
        }
        self.live_step(ctx, key, &pod)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubelet_serves_only_its_nodes() {
        let kubelet = Kubelet::new(ControllerOptions {
            nodes: 2,
            ..ControllerOptions::default()
        });
        for (node, want) in [
            ("local-node-0", true),
            ("local-node-1", true),
            ("local-node-2", false),
            ("local-node-01", false),
            ("elsewhere", false),
        ] {
            assert_eq!(kubelet.serves(&Cache::default(), node), want, "{node}");
        }
    }
}
