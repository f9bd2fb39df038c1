//! The namespace controller, after `pkg/controller/namespace/deletion/
//! namespaced_resources_deleter.go`: a namespace marked for deletion is
//! Terminating; every namespaced object in it is deleted through the
//! registry (so pods go gracefully and finalizers such as pvc-protection
//! hold their objects), its conditions say what remains, and once nothing
//! does its `kubernetes` finalizer is removed through `namespaces/finalize`,
//! which lets the namespace go.

mod conditions;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

use self::conditions::Sweep;
use super::cache::{Cache, Key};
use super::runner::{Ctx, Next, Reconciler};
use crate::registry::error::ApiError;
use crate::registry::lifecycle::{is_terminating, is_terminating_error};
use crate::registry::strategy::namespace::{spec_finalizers, FINALIZER};
use crate::registry::{meta, DeleteOptions, PropagationPolicy};
use petctl_model::kinds::{self, KindInfo};

/// `finalizerEstimateSeconds`: the wait assumed for content held by finalizers.
const FINALIZER_ESTIMATE: i64 = 15;

/// The namespaced kinds whose objects a namespace holds.
fn content_kinds() -> impl Iterator<Item = &'static KindInfo> {
    kinds::KINDS
        .iter()
        .filter(|k| k.namespaced && k.verbs.contains(&"delete"))
}

/// Every content kind (a test holds this to the kinds table): a change to
/// content of a terminating namespace wakes it, so it is finalized as soon
/// as the last object goes. The sweep lists content from the registry, so
/// none is cached (the Events alone would be every Event of the run).
const CONTENT: &[&str] = &[
    "Pod",
    "Service",
    "PersistentVolumeClaim",
    "ConfigMap",
    "ServiceAccount",
    "Event",
    "Secret",
    "StatefulSet",
    "ControllerRevision",
    "PetSet",
    "PodDisruptionBudget",
    "Lease",
    "Endpoints",
    "EndpointSlice",
];

/// Whether new content may be created in `namespace`, by the cache.
pub(super) fn is_active(cache: &Cache, namespace: &str) -> bool {
    cache
        .get(&Key::new("Namespace", "", namespace))
        .is_some_and(|ns| !is_terminating(ns))
}

/// The keys of a controller that keeps one object (`kept`: kind and name)
/// in every namespace: a namespace that changed, or the namespace whose
/// kept object did.
pub(super) fn keeper_keys(kind: &str, object: &Value, kept: (&str, &str)) -> Vec<Key> {
    match kind {
        "Namespace" => vec![Key::new("Namespace", "", meta::name(object))],
        _ if kind == kept.0 && meta::name(object) == kept.1 => {
            vec![Key::new("Namespace", "", meta::namespace(object))]
        }
        _ => Vec::new(),
    }
}

/// Creates an object a controller keeps in every namespace; a namespace
/// that went or is terminating is no reason to retry, nor is one that
/// exists already (`serviceaccounts_controller.go`, `publisher.go`).
pub(super) fn ensure_created(
    ctx: &mut Ctx,
    kind: &'static str,
    namespace: &str,
    body: Value,
) -> Result<Next, ApiError> {
    match ctx.create(kind, namespace, body) {
        Ok(_) => Ok(Next::Done),
        Err(err) if err.code == 404 || err.reason == "AlreadyExists" => Ok(Next::Done),
        Err(err) if is_terminating_error(&err) => Ok(Next::Done),
        Err(err) => Err(err),
    }
}

#[derive(Default)]
pub struct NamespaceController;

impl NamespaceController {
    /// `estimateGracefulTerminationForPods`: the longest grace period of a
    /// pod still running, unless that much time passed since the
    /// namespace's deletion.
    fn pod_estimate(pods: &[Value], deleted_at: Option<SystemTime>) -> i64 {
        let estimate = pods
            .iter()
            .filter(|p| !matches!(meta::str_at(p, "/status/phase"), "Succeeded" | "Failed"))
            .filter_map(|p| p.pointer("/spec/terminationGracePeriodSeconds")?.as_i64())
            .max()
            .unwrap_or(0);
        let since = deleted_at
            .and_then(|at| SystemTime::now().duration_since(at).ok())
            .unwrap_or_default();
        if since >= Duration::from_secs(estimate.max(0) as u64) {
            0
        } else {
            estimate
        }
    }

    /// `deleteAllContent`: deletes what is left of each kind, then counts
    /// what still remains and why.
    fn delete_all_content(ctx: &mut Ctx, namespace: &Value) -> Sweep {
        let name = meta::name(namespace);
        let deleted_at = petctl_model::time::parse_system(meta::str_at(
            namespace,
            "/metadata/deletionTimestamp",
        ));
        let mut sweep = Sweep::default();
        for kind in content_kinds() {
            let listed = match ctx.registry.list(kind, Some(name), &|_| true, None, None) {
                Ok(page) => page.items,
                Err(err) => {
                    sweep.errors.push(err.message);
                    continue;
                }
            };
            let mut estimate = 0;
            if kind.kind == "Pod" {
                estimate = Self::pod_estimate(&listed, deleted_at);
            }
            let background = DeleteOptions {
                propagation_policy: Some(PropagationPolicy::Background),
                ..DeleteOptions::default()
            };
            // An object already being deleted is left alone: deleting it
            // again would only write it again.
            for item in listed.iter().filter(|o| !meta::is_deleting(o)) {
                let key = Key::of(kind.kind, item);
                if let Err(err) = ctx.delete(&key, meta::uid(item), background.clone()) {
                    if err.code != 405 {
                        sweep.errors.push(err.message);
                    }
                }
            }
            let remaining = match ctx.registry.list(kind, Some(name), &|_| true, None, None) {
                Ok(page) => page.items,
                Err(err) => {
                    sweep.errors.push(err.message);
                    continue;
                }
            };
            if remaining.is_empty() {
                continue;
            }
            let mut finalizers = BTreeMap::<String, usize>::new();
            for item in &remaining {
                for finalizer in meta::finalizers(item) {
                    *finalizers.entry(finalizer).or_default() += 1;
                }
            }
            if estimate == 0 && !finalizers.is_empty() {
                estimate = FINALIZER_ESTIMATE;
            } else if estimate == 0 {
                sweep.errors.push(format!(
                    "unexpected items still remain in namespace: {name} for gvr: {}/{}, Resource={}",
                    kind.group, kind.version, kind.plural
                ));
            }
            sweep.estimate = sweep.estimate.max(estimate);
            *sweep
                .remaining
                .entry(format!("{}.{}", kind.plural, kind.group))
                .or_default() += remaining.len();
            for (finalizer, n) in finalizers {
                *sweep.finalizers.entry(finalizer).or_default() += n;
            }
        }
        sweep
    }
}

impl Reconciler for NamespaceController {
    const NAME: &'static str = "namespace-controller";

    const KINDS: &'static [&'static str] = &["Namespace"];
    const WOKEN_BY: &'static [&'static str] = CONTENT;
    const PRIMARY: &'static [&'static str] = &["Namespace"];

    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        if kind == "Namespace" {
            return vec![Key::of(kind, object)];
        }
        let namespace = Key::new("Namespace", "", meta::namespace(object));
        match cache.get(&namespace) {
            Some(ns) if meta::is_deleting(ns) => vec![namespace],
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(mut namespace) = ctx.cache.get(key).cloned() else {
            return Ok(Next::Done);
        };
        if !meta::is_deleting(&namespace) {
            return Ok(Next::Done);
        }
        // `updateNamespaceStatusFunc`: a namespace being deleted is Terminating.
        if meta::str_at(&namespace, "/status/phase") != "Terminating" {
            let mut next = namespace.clone();
            next["status"]["phase"] = json!("Terminating");
            namespace = Arc::unwrap_or_clone(ctx.update_status("Namespace", next)?);
        }
        // The garbage collector's share: `orphan` and `foregroundDeletion`
        // hold the namespace as they hold any owner, even once finalized.
        let (kept, waiting) = ctx.registry.release_namespace_dependents(&namespace)?;
        if kept != meta::finalizers(&namespace) {
            let mut next = namespace.clone();
            if let Some(metadata) = meta::metadata_mut(&mut next) {
                // An empty list is omitted, as Go's omitempty does.
                match kept.is_empty() {
                    true => metadata.remove("finalizers"),
                    false => metadata.insert("finalizers".into(), json!(kept)),
                };
            }
            namespace = Arc::unwrap_or_clone(ctx.update("Namespace", next)?);
        }
        // Dependents in other namespaces do not wake this one: look again.
        let recheck = waiting.then(|| Instant::now() + Duration::from_secs(1));
        if spec_finalizers(&namespace).is_empty() {
            return Ok(recheck.map_or(Next::Done, Next::At));
        }
        let sweep = Self::delete_all_content(ctx, &namespace);
        let old = namespace
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let (updated, changed) = conditions::update(&old, &sweep, &meta::now());
        if changed {
            let mut next = namespace.clone();
            next["status"]["conditions"] = json!(updated);
            namespace = Arc::unwrap_or_clone(ctx.update_status("Namespace", next)?);
        }
        if !sweep.errors.is_empty() {
            return Err(ApiError::internal(format!(
                "failed to empty namespace {}: {}",
                key.name,
                sweep.errors.join(", ")
            )));
        }
        if sweep.estimate > 0 {
            // `ResourcesRemainingError`: look again after half the estimate,
            // unless the content's own changes wake the namespace first.
            let wait = Duration::from_secs((sweep.estimate / 2 + 1) as u64);
            return Ok(Next::At(Instant::now() + wait));
        }
        // `finalizeNamespace`: every finalizer but ours, sorted as a set.
        let mut rest: Vec<String> = spec_finalizers(&namespace)
            .into_iter()
            .filter(|f| f != FINALIZER)
            .collect();
        rest.sort();
        rest.dedup();
        let mut next = namespace;
        next["spec"]["finalizers"] = json!(rest);
        ctx.finalize("Namespace", next)?;
        Ok(recheck.map_or(Next::Done, Next::At))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_grace_counts_until_it_has_passed() {
        let pod = |phase: &str, grace: i64| json!({"spec": {"terminationGracePeriodSeconds": grace}, "status": {"phase": phase}});
        let pods = [pod("Running", 30), pod("Succeeded", 90), pod("Running", 10)];
        let now = SystemTime::now();
        assert_eq!(NamespaceController::pod_estimate(&pods, Some(now)), 30);
        let long_ago = now - Duration::from_secs(31);
        assert_eq!(NamespaceController::pod_estimate(&pods, Some(long_ago)), 0);
    }

    #[test]
    fn keepers_wake_the_namespace_of_their_object_only() {
        let kept = ("ConfigMap", "kube-root-ca.crt");
        let ns = json!({"metadata": {"name": "shop"}});
        assert_eq!(
            keeper_keys("Namespace", &ns, kept),
            [Key::new("Namespace", "", "shop")]
        );
        let map = |name: &str| json!({"metadata": {"name": name, "namespace": "shop"}});
        assert_eq!(
            keeper_keys("ConfigMap", &map("kube-root-ca.crt"), kept),
            [Key::new("Namespace", "", "shop")]
        );
        assert!(keeper_keys("ConfigMap", &map("other"), kept).is_empty());
        assert!(keeper_keys("Secret", &map("kube-root-ca.crt"), kept).is_empty());
    }

    #[test]
    fn every_namespaced_kind_is_content_and_none_cluster_scoped() {
        let content: Vec<&str> = content_kinds().map(|k| k.kind).collect();
        let mut watched = CONTENT.to_vec();
        let mut expected = content.clone();
        watched.sort_unstable();
        expected.sort_unstable();
        assert_eq!(watched, expected, "CONTENT is every content kind");
        assert!(!content_kinds().any(|k| k.kind == "PersistentVolume" || k.kind == "Namespace"));
    }
}
