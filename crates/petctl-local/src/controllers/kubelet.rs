//! The simulated kubelet and scheduler: registers the nodes and binds pods
//! to the least loaded one (scheduler), takes each pod through Pending
//! (ContainerCreating, until its claims are Bound), Running and Ready after
//! the ready delay; crash-loops pods whose image matches --fail-images,
//! keeps those matching --unpullable-images Pending in ImagePullBackOff; and
//! removes deleted pods once their (capped) grace period is over.

mod pull;
mod scheduler;
mod status;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use self::scheduler::host_ip;
pub use self::scheduler::node_name;
use self::status::{pod_status, Sim};
use super::cache::{Cache, Key};
use super::events;
use super::pods;
use super::runner::{Ctx, Next, Reconciler};
use super::ControllerOptions;
use crate::registry::error::ApiError;
use crate::registry::{meta, DeleteOptions};

/// Per-pod override of --ready-delay, e.g. "5s".
pub const READY_DELAY_ANNOTATION: &str = "petctl.local/ready-delay";
/// Per-pod override of --max-grace, e.g. "0s".
pub const MAX_GRACE_ANNOTATION: &str = "petctl.local/max-grace";
/// The first crash-loop back-off; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
const COMPONENT: &str = "kubelet";

/// `*` matches any run of characters, `?` any one.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if *c == '?' || *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The crash-loop back-off after `restarts` restarts.
pub fn backoff(restarts: i64) -> Duration {
    let doublings = u32::try_from(restarts.clamp(1, 16) - 1).unwrap_or(0);
    FIRST_BACKOFF
        .saturating_mul(1 << doublings)
        .min(MAX_BACKOFF)
}

/// A pod's grace period as the kubelet honours it: the deletion's grace,
/// capped by --max-grace or the pod's annotation.
pub fn effective_grace(pod: &Value, max_grace: Option<Duration>) -> Duration {
    let grace = pod
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .max(0);
    let grace = Duration::from_secs(grace.unsigned_abs());
    let cap = annotation_duration(pod, MAX_GRACE_ANNOTATION).or(max_grace);
    cap.map_or(grace, |cap| grace.min(cap))
}

fn annotation_duration(pod: &Value, name: &str) -> Option<Duration> {
    let text = pod.pointer("/metadata/annotations")?.get(name)?.as_str()?;
    petctl_model::duration::parse_duration(text).ok()
}

/// What the kubelet remembers of a pod between reconciles.
#[derive(Debug, Clone, Default)]
struct Clock {
    uid: String,
    running_since: Option<Instant>,
    deleting_since: Option<Instant>,
    next_crash: Option<Instant>,
    /// How many pulls of an unpullable image failed, and when the next is.
    pulls: i64,
    next_pull: Option<Instant>,
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
        let images = pod.pointer("/spec/containers").and_then(Value::as_array);
        images.into_iter().flatten().any(|c| {
            let image = c.get("image").and_then(Value::as_str).unwrap_or("");
            self.options
                .fail_images
                .iter()
                .any(|g| glob_matches(g, image))
        })
    }

    /// Whether `node` is one of the simulated nodes.
    fn serves(&self, node: &str) -> bool {
        node.strip_prefix("local-node-")
            .and_then(|i| i.parse::<u32>().ok())
            .is_some_and(|i| i < self.options.nodes.max(1) && node_name(i) == node)
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

    fn write_status(ctx: &mut Ctx, pod: &Value, status: Value) -> Result<Value, ApiError> {
        let mut next = pod.clone();
        if let Some(map) = next.as_object_mut() {
            map.insert("status".into(), status);
        }
        ctx.update_status("Pod", next)
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

    fn start_containers(
        &mut self,
        ctx: &mut Ctx,
        key: &Key,
        pod: &Value,
    ) -> Result<Next, ApiError> {
        let now = Instant::now();
        let fails = self.fails(pod);
        let delay = self.ready_delay(pod);
        let sim = if fails {
            Sim::Crashing { restarts: 1 }
        } else {
            Sim::Running {
                ready: delay.is_zero(),
            }
        };
        let written = Self::write_status(ctx, pod, pod_status(pod, sim, None, &meta::now()))?;
        for container in container_names(pod) {
            events::normal(
                ctx,
                &written,
                COMPONENT,
                "Pulled",
                format!(
                    "Container image \"{}\" already present on machine",
                    image_of(pod, &container)
                ),
            );
            events::normal(
                ctx,
                &written,
                COMPONENT,
                "Created",
                format!("Created container {container}"),
            );
            events::normal(
                ctx,
                &written,
                COMPONENT,
                "Started",
                format!("Started container {container}"),
            );
        }
        let clock = self.clocks.entry(key.clone()).or_default();
        clock.uid = meta::uid(pod).to_string();
        clock.running_since = Some(now);
        if fails {
            back_off_event(ctx, &written);
            let at = now + backoff(1);
            clock.next_crash = Some(at);
            return Ok(Next::At(at));
        }
        Ok(if delay.is_zero() {
            Next::Done
        } else {
            Next::At(now + delay)
        })
    }

    fn crash_again(&mut self, ctx: &mut Ctx, key: &Key, pod: &Value) -> Result<Next, ApiError> {
        let now = Instant::now();
        let restarts = pod
            .pointer("/status/containerStatuses/0/restartCount")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let clock = self.clocks.entry(key.clone()).or_default();
        let due = *clock.next_crash.get_or_insert(now + backoff(restarts));
        if due > now {
            return Ok(Next::At(due));
        }
        let restarts = restarts + 1;
        let written = Self::write_status(
            ctx,
            pod,
            pod_status(pod, Sim::Crashing { restarts }, None, &meta::now()),
        )?;
        back_off_event(ctx, &written);
        let at = now + backoff(restarts);
        if let Some(clock) = self.clocks.get_mut(key) {
            clock.next_crash = Some(at);
        }
        Ok(Next::At(at))
    }

    fn become_ready(&mut self, ctx: &mut Ctx, key: &Key, pod: &Value) -> Result<Next, ApiError> {
        let now = Instant::now();
        let delay = self.ready_delay(pod);
        let clock = self.clocks.entry(key.clone()).or_default();
        let since = *clock.running_since.get_or_insert(now);
        if since + delay > now {
            return Ok(Next::At(since + delay));
        }
        Self::write_status(
            ctx,
            pod,
            pod_status(pod, Sim::Running { ready: true }, None, &meta::now()),
        )?;
        Ok(Next::Done)
    }
}

fn container_names(pod: &Value) -> Vec<String> {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| meta::str_at(c, "/name").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn image_of(pod: &Value, container: &str) -> String {
    pod.pointer("/spec/containers")
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
                if let Err(err) = ctx.create("Node", "", Self::node_object(i)) {
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
            "PersistentVolumeClaim" => {
                let claim = meta::name(object);
                cache.keys_where("Pod", Some(meta::namespace(object)), |pod| {
                    !pods::is_running(pod) && pods::claim_names(pod).contains(&claim)
                })
            }
            // A node that appears or changes its labels may fit a pod the
            // scheduler left unbound.
            "Node" => cache.keys_where("Pod", None, |pod| {
                meta::str_at(pod, "/spec/nodeName").is_empty()
            }),
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(pod) = ctx.cache.get(key).cloned() else {
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
        if !node.is_empty() && !self.serves(node) {
            // Bound elsewhere: no kubelet here reports on it or confirms
            // its deletion.
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
            Self::write_status(
                ctx,
                &pod,
                pod_status(&pod, Sim::Creating, Some(ips), &meta::now()),
            )?;
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
        if !pods::is_ready(&pod) {
            return self.become_ready(ctx, key, &pod);
        }
        Ok(Next::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs() {
        for (pattern, text, want) in [
            ("*", "anything", true),
            ("nginx:*", "nginx:1.25", true),
            ("nginx:*", "redis:7", false),
            ("*broken*", "gcr.io/x/broken-image:1", true),
            ("nginx:1.?", "nginx:1.2", true),
            ("nginx:1.?", "nginx:1.25", false),
            ("", "", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
        ] {
            assert_eq!(glob_matches(pattern, text), want, "{pattern} {text}");
        }
    }

    #[test]
    fn crash_back_off_doubles_up_to_the_cap() {
        let secs: Vec<u64> = (0..7).map(|r| backoff(r).as_secs()).collect();
        assert_eq!(secs, [1, 1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn grace_is_capped_by_the_flag_or_the_annotation() {
        let pod = |grace: i64, annotation: Option<&str>| {
            let mut p = json!({"metadata": {"deletionGracePeriodSeconds": grace}});
            if let Some(a) = annotation {
                p["metadata"]["annotations"] = json!({MAX_GRACE_ANNOTATION: a});
            }
            p
        };
        let s = Duration::from_secs;
        for (p, cap, want) in [
            (pod(30, None), None, s(30)),
            (pod(30, None), Some(s(2)), s(2)),
            (pod(1, None), Some(s(2)), s(1)),
            (pod(30, Some("0s")), Some(s(2)), s(0)),
            (pod(30, Some("5s")), None, s(5)),
            (pod(-1, None), None, s(0)),
        ] {
            assert_eq!(effective_grace(&p, cap), want, "{p}");
        }
    }

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
            assert_eq!(kubelet.serves(node), want, "{node}");
        }
    }
}
