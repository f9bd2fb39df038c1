//! Volume expansion, as the expand controller, the external-resizer and the
//! kubelet's NodeExpandVolume do it between them (pkg/controller/volume/expand/,
//! kubernetes-csi/external-resizer, pkg/kubelet/volumemanager): a bound
//! claim whose request went above its capacity is resized in steps, each a
//! status write a watch sees, the step always derived from the claim's
//! status so that a restart resumes it:
//!
//! 1. `ControllerResizeInProgress`: events ExternalExpanding and Resizing,
//!    condition Resizing, `allocatedResources` set to the request;
//! 2. the volume's capacity grows; `NodeResizePending`, condition
//!    FileSystemResizePending, event FileSystemResizeRequired;
//! 3. once a running pod mounts the claim (class parameter `resize:
//!    online`, the default) or a pod started after step 2 does (`resize:
//!    offline`: the filesystem grows on the next mount):
//!    `NodeResizeInProgress`, then capacity updated, conditions and the
//!    resize status gone, event FileSystemResizeSuccessful.
//!
//! A class of another provisioner only gets ExternalExpanding; the class
//! parameter `resize: infeasible` fails step 1 with VolumeResizeFailed and
//! `ControllerResizeInfeasible`, as a driver that cannot grow would.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::cache::{Cache, Key};
use super::events;
use super::runner::{Ctx, Next, Reconciler};
use crate::registry::error::ApiError;
use crate::registry::meta;
use crate::registry::storage_admission::{requested, storage_bytes, LOCAL_PROVISIONER};

const EXPAND_COMPONENT: &str = "volume_expand";
const KUBELET: &str = "kubelet";

/// Where a claim's resize is, from `status.allocatedResourceStatuses.storage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// No resize under way.
    Idle,
    ControllerResizeInProgress,
    NodeResizePending,
    NodeResizeInProgress,
    /// Failed for good (ControllerResizeInfeasible): nothing more to do.
    Infeasible,
}

fn step_of(claim: &Value) -> Step {
    match meta::str_at(claim, "/status/allocatedResourceStatuses/storage") {
        "ControllerResizeInProgress" => Step::ControllerResizeInProgress,
        "NodeResizePending" => Step::NodeResizePending,
        "NodeResizeInProgress" => Step::NodeResizeInProgress,
        "ControllerResizeInfeasible" => Step::Infeasible,
        _ => Step::Idle,
    }
}

fn condition(kind: &str, message: &str) -> Value {
    let mut condition = json!({
        "type": kind, "status": "True",
        "lastProbeTime": null, "lastTransitionTime": meta::now(),
    });
    if !message.is_empty() {
        condition["message"] = json!(message);
    }
    condition
}

/// The claim's status with the resize status `state` (none removes it) and
/// `conditions`.
fn with_resize(claim: &Value, state: Option<&str>, conditions: Vec<Value>) -> Value {
    let mut next = claim.clone();
    let status = next
        .as_object_mut()
        .map(|m| m.entry("status").or_insert_with(|| json!({})));
    if let Some(Value::Object(status)) = status {
        match state {
            Some(state) => {
                status.insert(
                    "allocatedResourceStatuses".into(),
                    json!({"storage": state}),
                );
            }
            None => {
                status.remove("allocatedResourceStatuses");
            }
        }
        if conditions.is_empty() {
            status.remove("conditions");
        } else {
            status.insert("conditions".into(), json!(conditions));
        }
    }
    next
}

fn status_mut(claim: &mut Value) -> Option<&mut Map<String, Value>> {
    claim.get_mut("status").and_then(Value::as_object_mut)
}

#[derive(Default)]
pub struct Expander {
    /// Per claim uid, the pods that mounted it when its volume grew: under
    /// `resize: offline` none of them finishes the resize, a later one does.
    /// Kept in memory; after a restart any running pod finishes it.
    mounted_at_resize: HashMap<String, HashSet<String>>,
    /// Claim uids told ExternalExpanding for their current request.
    told: HashSet<(String, String)>,
}

impl Expander {
    /// Takes the claim through as many steps as it can go now: the
    /// controller's own writes come back as events it does not react to.
    fn reconcile_claim(&mut self, ctx: &mut Ctx, claim: Arc<Value>) -> Result<Next, ApiError> {
        let mut claim = claim;
        // Four steps at most; the bound only guards against a loop.
        for _ in 0..8 {
            match self.step(ctx, &claim)? {
                Some(written) => claim = written,
                None => break,
            }
        }
        Ok(Next::Done)
    }

    /// One step; the claim as written if there may be another.
    fn step(&mut self, ctx: &mut Ctx, claim: &Value) -> Result<Option<Arc<Value>>, ApiError> {
        if meta::is_deleting(claim) || meta::str_at(claim, "/status/phase") != "Bound" {
            return Ok(None);
        }
        let volume_name = meta::str_at(claim, "/spec/volumeName").to_string();
        // Shared, not copied: most claims have no resize under way.
        let Some(volume) = ctx
            .cache
            .shared(&Key::new("PersistentVolume", "", &volume_name))
            .cloned()
        else {
            return Ok(None);
        };
        let class = ctx
            .cache
            .shared(&Key::new(
                "StorageClass",
                "",
                meta::str_at(claim, "/spec/storageClassName"),
            ))
            .cloned();
        let class = class.as_deref().unwrap_or(&Value::Null);
        match step_of(claim) {
            Step::Idle => self.begin(ctx, claim, class, &volume_name),
            Step::ControllerResizeInProgress => self.grow_volume(ctx, claim, &volume),
            Step::NodeResizePending => self.node_expand(ctx, claim, class, &volume_name),
            Step::NodeResizeInProgress => {
                let uid = meta::uid(claim).to_string();
                self.mounted_at_resize.remove(&uid);
                self.told.retain(|(told, _)| *told != uid);
                finish(ctx, claim, &volume_name)
            }
            Step::Infeasible => Ok(None),
        }
    }

    /// Step 1: the resize of a request above the capacity starts.
    fn begin(
        &mut self,
        ctx: &mut Ctx,
        claim: &Value,
        class: &Value,
        volume_name: &str,
    ) -> Result<Option<Arc<Value>>, ApiError> {
        let request = requested(claim);
        let capacity = storage_bytes(claim.pointer("/status/capacity/storage"));
        let (Some(request), Some(capacity)) = (request, capacity) else {
            return Ok(None);
        };
        if request <= capacity {
            return Ok(None);
        }
        let asked = meta::str_at(claim, "/spec/resources/requests/storage").to_string();
        // The in-tree controller finds no plugin for a CSI volume and says so.
        if self
            .told
            .insert((meta::uid(claim).to_string(), asked.clone()))
        {
            events::warning(
                ctx,
                claim,
                EXPAND_COMPONENT,
                "ExternalExpanding",
                "waiting for an external controller to expand this PVC".into(),
            );
        }
        let provisioner = meta::str_at(class, "/provisioner");
        if provisioner != LOCAL_PROVISIONER {
            return Ok(None);
        }
        let resizer = format!("external-resizer {LOCAL_PROVISIONER}");
        if meta::str_at(class, "/parameters/resize") == "infeasible" {
            let mut next = with_resize(claim, Some("ControllerResizeInfeasible"), Vec::new());
            if let Some(status) = status_mut(&mut next) {
                status.insert("allocatedResources".into(), json!({"storage": asked}));
            }
            ctx.update_status("PersistentVolumeClaim", next)?;
            let message = format!(
                "resize volume \"{volume_name}\" by resizer \"{LOCAL_PROVISIONER}\" failed: \
                 rpc error: code = OutOfRange desc = the class's parameter resize is infeasible"
            );
            events::warning(ctx, claim, &resizer, "VolumeResizeFailed", message);
            return Ok(None);
        }
        let mut next = with_resize(
            claim,
            Some("ControllerResizeInProgress"),
            vec![condition("Resizing", "")],
        );
        if let Some(status) = status_mut(&mut next) {
            status.insert("allocatedResources".into(), json!({"storage": asked}));
        }
        let written = ctx.update_status("PersistentVolumeClaim", next)?;
        let message = format!("External resizer is resizing volume {volume_name}");
        events::normal(ctx, &written, &resizer, "Resizing", message);
        Ok(Some(written))
    }

    /// Step 2: the volume grows; the filesystem is the node's to grow.
    fn grow_volume(
        &mut self,
        ctx: &mut Ctx,
        claim: &Value,
        volume: &Value,
    ) -> Result<Option<Arc<Value>>, ApiError> {
        let allocated = claim
            .pointer("/status/allocatedResources/storage")
            .cloned()
            .unwrap_or(Value::Null);
        if volume.pointer("/spec/capacity/storage") != Some(&allocated) {
            let mut next = volume.clone();
            next["spec"]["capacity"]["storage"] = allocated;
            ctx.update("PersistentVolume", next)?;
        }
        let mounted = self.mounting_pods(ctx, claim, false);
        self.mounted_at_resize
            .insert(meta::uid(claim).to_string(), mounted.into_iter().collect());
        let next = with_resize(
            claim,
            Some("NodeResizePending"),
            vec![condition(
                "FileSystemResizePending",
                "Waiting for user to (re-)start a pod to finish file system resize of volume on node.",
            )],
        );
        let written = ctx.update_status("PersistentVolumeClaim", next)?;
        let resizer = format!("external-resizer {LOCAL_PROVISIONER}");
        events::normal(
            ctx,
            &written,
            &resizer,
            "FileSystemResizeRequired",
            "Require file system resize of volume on node".into(),
        );
        Ok(Some(written))
    }

    /// Step 3: a pod's mount grows the filesystem, online or at the next start.
    fn node_expand(
        &mut self,
        ctx: &mut Ctx,
        claim: &Value,
        class: &Value,
        volume_name: &str,
    ) -> Result<Option<Arc<Value>>, ApiError> {
        let offline = meta::str_at(class, "/parameters/resize") == "offline";
        let earlier = self
            .mounted_at_resize
            .get(meta::uid(claim))
            .cloned()
            .unwrap_or_default();
        let Some(pod) = self
            .mounting_pods(ctx, claim, true)
            .into_iter()
            .find(|uid| !offline || !earlier.contains(uid))
        else {
            return Ok(None);
        };
        let conditions = meta::list_at(claim, "/status/conditions");
        let next = with_resize(claim, Some("NodeResizeInProgress"), conditions);
        let written = ctx.update_status("PersistentVolumeClaim", next)?;
        let node = ctx
            .cache
            .using_claim(meta::namespace(claim), meta::name(claim))
            .find(|p| meta::uid(p) == pod)
            .cloned();
        if let Some(pod) = &node {
            let message = format!(
                "MountVolume.NodeExpandVolume succeeded for volume \"{volume_name}\" {}",
                meta::str_at(pod, "/spec/nodeName")
            );
            events::normal(ctx, pod, KUBELET, "FileSystemResizeSuccessful", message);
        }
        Ok(Some(written))
    }

    /// The uids of the pods that mount the claim, running ones only if
    /// `running` (a mount happens when the kubelet starts the pod).
    fn mounting_pods(&self, ctx: &Ctx, claim: &Value, running: bool) -> Vec<String> {
        ctx.cache
            .using_claim(meta::namespace(claim), meta::name(claim))
            .filter(|pod| {
                !meta::is_deleting(pod)
                    && (!running || meta::str_at(pod, "/status/phase") == "Running")
            })
            .map(|pod| meta::uid(pod).to_string())
            .collect()
    }
}

/// The end of step 3: the capacity is the allocated size; the conditions
/// and the resize status go (MarkFSResizeFinished).
fn finish(ctx: &mut Ctx, claim: &Value, volume_name: &str) -> Result<Option<Arc<Value>>, ApiError> {
    let mut next = with_resize(claim, None, Vec::new());
    let allocated = claim
        .pointer("/status/allocatedResources/storage")
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(status) = status_mut(&mut next) {
        status.insert("capacity".into(), json!({"storage": allocated}));
    }
    let written = ctx.update_status("PersistentVolumeClaim", next)?;
    let message = format!("MountVolume.NodeExpandVolume succeeded for volume \"{volume_name}\"");
    events::normal(
        ctx,
        &written,
        KUBELET,
        "FileSystemResizeSuccessful",
        message,
    );
    Ok(None)
}

impl Reconciler for Expander {
    const NAME: &'static str = "expand";

    const KINDS: &'static [&'static str] = super::volumes::STORAGE_KINDS;
    const PRIMARY: &'static [&'static str] = &["PersistentVolumeClaim"];

    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        match kind {
            "PersistentVolumeClaim" => vec![Key::of(kind, object)],
            "PersistentVolume" => {
                let claim_ref = object.pointer("/spec/claimRef").unwrap_or(&Value::Null);
                let name = meta::str_at(claim_ref, "/name");
                if name.is_empty() {
                    return Vec::new();
                }
                vec![Key::new(
                    "PersistentVolumeClaim",
                    meta::str_at(claim_ref, "/namespace"),
                    name,
                )]
            }
            // A pod that starts may finish a resize waiting on the node.
            "Pod" => cache.claims_of(object, |claim| step_of(claim) == Step::NodeResizePending),
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(claim) = ctx.cache.shared(key).cloned() else {
            return Ok(Next::Done);
        };
        self.reconcile_claim(ctx, claim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_steps_follow_the_resize_status() {
        let claim = json!({"status": {"phase": "Bound", "capacity": {"storage": "1Gi"}}});
        assert_eq!(step_of(&claim), Step::Idle);
        let pending = with_resize(
            &claim,
            Some("NodeResizePending"),
            vec![condition("FileSystemResizePending", "m")],
        );
        assert_eq!(step_of(&pending), Step::NodeResizePending);
        assert_eq!(
            pending["status"]["conditions"][0]["type"],
            "FileSystemResizePending"
        );
        let done = with_resize(&pending, None, Vec::new());
        assert_eq!(step_of(&done), Step::Idle);
        assert!(done["status"].get("conditions").is_none());
        assert!(done["status"].get("allocatedResourceStatuses").is_none());
    }
}
