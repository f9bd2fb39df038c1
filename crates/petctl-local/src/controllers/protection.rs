//! The protection controllers, after `pkg/controller/volume/pvcprotection`
//! and `pkg/controller/volume/pvprotection`: a claim being deleted keeps its
//! `kubernetes.io/pvc-protection` finalizer while a pod uses it, a volume
//! being deleted keeps `kubernetes.io/pv-protection` while it is Bound.
//! Removing the last finalizer lets the registry delete the object. Both
//! also add the finalizer to a live object that lacks it, as upstream does
//! for objects created before the admission plugin.

use serde_json::{json, Value};

use super::cache::{Cache, Key};
use super::pods;
use super::runner::{kind_info, Ctx, Next, Reconciler};
use crate::registry::admission::protection_finalizer;
use crate::registry::error::ApiError;
use crate::registry::meta;

/// `podUsesPVC`: a scheduled pod that mounts the claim uses it, whatever
/// its phase; an unscheduled one does not, because the kubelet refuses to
/// start a pod on a claim that is being deleted.
pub fn pod_uses_claim(pod: &Value, claim: &str) -> bool {
    !meta::str_at(pod, "/spec/nodeName").is_empty() && pods::claim_names(pod).contains(&claim)
}

/// `IsDeletionCandidate`: being deleted and still carrying `finalizer`.
fn is_deletion_candidate(object: &Value, finalizer: &str) -> bool {
    meta::is_deleting(object) && meta::finalizers(object).iter().any(|f| f == finalizer)
}

/// `NeedToAddFinalizer`: live and lacking `finalizer`.
fn needs_finalizer(object: &Value, finalizer: &str) -> bool {
    !meta::is_deleting(object) && !meta::finalizers(object).iter().any(|f| f == finalizer)
}

/// `object` with `finalizer` added or removed; its resourceVersion stays,
/// so the write is preconditioned on the state the decision was made on.
fn with_finalizer(object: &Value, finalizer: &str, present: bool) -> Value {
    let mut finalizers: Vec<String> = meta::finalizers(object)
        .into_iter()
        .filter(|f| f != finalizer)
        .collect();
    if present {
        finalizers.push(finalizer.to_string());
    }
    let mut next = object.clone();
    next["metadata"]["finalizers"] = json!(finalizers);
    next
}

#[derive(Default)]
pub struct ProtectionController;

impl ProtectionController {
    /// `isBeingUsed`: the cache first; when it knows no user, a live list,
    /// since a pod may be created before its event reaches the cache.
    fn claim_in_use(ctx: &Ctx, claim: &Value) -> Result<bool, ApiError> {
        let (namespace, name) = (meta::namespace(claim), meta::name(claim));
        if ctx
            .cache
            .list("Pod", Some(namespace))
            .any(|pod| pod_uses_claim(pod, name))
        {
            return Ok(true);
        }
        let page = ctx.registry.list(
            kind_info("Pod")?,
            Some(namespace),
            &|pod| pod_uses_claim(pod, name),
            None,
            None,
        )?;
        Ok(!page.items.is_empty())
    }
}

impl Reconciler for ProtectionController {
    const NAME: &'static str = "protection-controller";

    const KINDS: &'static [&'static str] = &["PersistentVolumeClaim", "PersistentVolume", "Pod"];
    const PRIMARY: &'static [&'static str] = &["PersistentVolumeClaim", "PersistentVolume"];

    fn keys_for(&self, _cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        match kind {
            "PersistentVolumeClaim" | "PersistentVolume" => vec![Key::of(kind, object)],
            "Pod" => pods::claim_names(object)
                .into_iter()
                .map(|claim| Key::new("PersistentVolumeClaim", meta::namespace(object), claim))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let (Some(object), Some(finalizer)) = (
            ctx.cache.shared(key).cloned(),
            protection_finalizer(key.kind),
        ) else {
            return Ok(Next::Done);
        };
        if is_deletion_candidate(&object, finalizer) {
            let in_use = match key.kind {
                "PersistentVolumeClaim" => Self::claim_in_use(ctx, &object)?,
                // pvprotection's `isBeingUsed`: a Bound volume is in use.
                _ => meta::str_at(&object, "/status/phase") == "Bound",
            };
            if !in_use {
                ctx.update(key.kind, with_finalizer(&object, finalizer, false))?;
            }
        } else if needs_finalizer(&object, finalizer) {
            ctx.update(key.kind, with_finalizer(&object, finalizer, true))?;
        }
        Ok(Next::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::admission::PVC_PROTECTION;

    #[test]
    fn only_scheduled_pods_that_mount_the_claim_use_it() {
        let pod = |node: &str, phase: &str| {
            json!({"spec": {"nodeName": node, "volumes": [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}]},
                   "status": {"phase": phase}})
        };
        assert!(pod_uses_claim(&pod("node-0", "Running"), "www-web-0"));
        assert!(pod_uses_claim(&pod("node-0", "Succeeded"), "www-web-0"));
        assert!(!pod_uses_claim(&pod("", "Pending"), "www-web-0"));
        assert!(!pod_uses_claim(&pod("node-0", "Running"), "www-web-1"));
    }

    #[test]
    fn finalizers_come_and_go_with_the_deletion() {
        let live = json!({"metadata": {"name": "c", "finalizers": ["x"], "resourceVersion": "4"}});
        assert!(needs_finalizer(&live, PVC_PROTECTION));
        assert!(!is_deletion_candidate(&live, PVC_PROTECTION));
        let added = with_finalizer(&live, PVC_PROTECTION, true);
        assert_eq!(
            added["metadata"]["finalizers"],
            json!(["x", PVC_PROTECTION])
        );
        assert_eq!(added["metadata"]["resourceVersion"], "4");
        let mut deleting = added.clone();
        deleting["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        assert!(is_deletion_candidate(&deleting, PVC_PROTECTION));
        assert!(!needs_finalizer(&deleting, PVC_PROTECTION));
        let removed = with_finalizer(&deleting, PVC_PROTECTION, false);
        assert_eq!(removed["metadata"]["finalizers"], json!(["x"]));
    }
}
