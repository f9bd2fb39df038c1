//! The volume provisioner and binder: each Pending claim whose StorageClass
//! names the local provisioner (`petctl.local/hostpath`) gets a new
//! PersistentVolume `pvc-<uid>` (capacity from its request, the class's
//! reclaim policy) backed by a directory under the state dir. A claim of
//! another provisioner's class waits for it (ExternalProvisioning), one of a
//! missing class or of no class stays Pending with upstream's event, and a
//! WaitForFirstConsumer class waits for a pod that uses the claim. Once a
//! claim is gone its volume is Released and, under the Delete reclaim
//! policy, deleted (the protection controller then lets it go).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};

use super::cache::{Cache, Key};
use super::events;
use super::runner::{Ctx, Next, Reconciler};
use super::together::Write;
use crate::registry::error::ApiError;
use crate::registry::storage_admission::LOCAL_PROVISIONER as PROVISIONER;
use crate::registry::strategy::storageclass;
use crate::registry::{meta, DeleteOptions};

const COMPONENT: &str = "persistentvolume-controller";
const STORAGE_PROVISIONER: &str = "volume.kubernetes.io/storage-provisioner";
const STORAGE_PROVISIONER_BETA: &str = "volume.beta.kubernetes.io/storage-provisioner";

/// The volume provisioned for a claim.
pub fn volume_name(claim: &Value) -> String {
    format!("pvc-{}", meta::uid(claim))
}

/// The PersistentVolume for `claim` of `class`, backed by `path`.
pub fn volume_for(claim: &Value, class: &Value, path: &str) -> Value {
    let storage = claim
        .pointer("/spec/resources/requests/storage")
        .cloned()
        .unwrap_or_else(|| json!("1Gi"));
    let modes = claim
        .pointer("/spec/accessModes")
        .filter(|m| m.as_array().is_some_and(|a| !a.is_empty()))
        .cloned()
        .unwrap_or_else(|| json!(["ReadWriteOnce"]));
    let reclaim = match meta::str_at(class, "/reclaimPolicy") {
        "" => "Delete",
        policy => policy,
    };
    json!({
        "metadata": {
            "name": volume_name(claim),
            "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER},
        },
        "spec": {
            "capacity": {"storage": storage},
            "accessModes": modes,
            "persistentVolumeReclaimPolicy": reclaim,
            "storageClassName": meta::name(class),
            "volumeMode": meta::at(claim, "/spec/volumeMode").cloned().unwrap_or_else(|| json!("Filesystem")),
            "hostPath": {"path": path, "type": ""},
            "claimRef": {
                "kind": "PersistentVolumeClaim", "apiVersion": "v1",
                "namespace": meta::namespace(claim), "name": meta::name(claim),
                "uid": meta::uid(claim), "resourceVersion": meta::resource_version(claim),
            },
        },
    })
}

pub struct Provisioner {
    dir: PathBuf,
    /// (claim uid, reason) of the Pending events recorded.
    told: HashSet<(String, &'static str)>,
}

/// Whether a pod (not ending) uses the claim: a WaitForFirstConsumer class
/// provisions only then.
fn has_consumer(ctx: &Ctx, claim: &Value) -> bool {
    let name = meta::name(claim);
    ctx.cache
        .using_claim(meta::namespace(claim), name)
        .any(|pod| !meta::is_deleting(pod))
}

/// The default class in the cache: of those marked, the newest, as
/// GetDefaultClass picks.
fn default_class(cache: &Cache) -> Option<String> {
    cache
        .keys("StorageClass")
        .iter()
        .filter_map(|key| cache.get(key))
        .filter(|class| storageclass::is_default(class))
        .map(|c| {
            (
                meta::str_at(c, "/metadata/creationTimestamp"),
                meta::name(c),
            )
        })
        .max()
        .map(|(_, name)| name.to_string())
}

/// The PV controller's retroactive default (RetroactiveDefaultStorageClass):
/// a Pending claim created with no class while there was no default gets
/// the default class once one exists. An explicit "" is left alone.
fn assign_default_class(ctx: &mut Ctx, claim: Value) -> Result<Value, ApiError> {
    if !claim
        .pointer("/spec/storageClassName")
        .is_none_or(Value::is_null)
    {
        return Ok(claim);
    }
    let Some(class) = default_class(&ctx.cache) else {
        return Ok(claim);
    };
    let mut next = claim;
    next["spec"]["storageClassName"] = json!(class);
    ctx.update("PersistentVolumeClaim", next)
        .map(Arc::unwrap_or_clone)
}

/// Whether `pod` mounts the claim `name`.
pub fn uses_claim(pod: &Value, name: &str) -> bool {
    meta::at(pod, "/spec/volumes")
        .and_then(Value::as_array)
        .is_some_and(|volumes| {
            volumes
                .iter()
                .any(|v| meta::str_at(v, "/persistentVolumeClaim/claimName") == name)
        })
}

/// Sets annotations on an object.
fn annotate(object: &mut Value, pairs: &[(&str, &str)]) {
    let annotations = object["metadata"]
        .as_object_mut()
        .map(|m| m.entry("annotations").or_insert_with(|| json!({})));
    if let Some(Value::Object(annotations)) = annotations {
        for (key, value) in pairs {
            annotations.insert((*key).into(), json!(value));
        }
    }
}

/// The writes that bind a claim: `claim_write` (a write of the claim
/// bound to `volume`) with the volume's phase Bound if the volume is
/// known, not yet Bound and its claimRef names the claim (uid
/// `claim_uid`), in one commit, the volume's first, as
/// `bindVolumeToClaim` then `bindClaimToVolume` order them
/// (pv_controller.go); neither reads the other's outcome. Either failing
/// has the claim reconciled again, which writes what is still missing.
fn bind_writes(volume: Option<&Value>, claim_uid: &str, claim_write: Write) -> Vec<Vec<Write>> {
    let mut writes = Vec::with_capacity(2);
    let unbound = volume.filter(|volume| {
        meta::str_at(volume, "/status/phase") != "Bound"
            && meta::str_at(volume, "/spec/claimRef/uid") == claim_uid
    });
    if let Some(volume) = unbound {
        let mut next = Value::clone(volume);
        next["status"] = json!({"phase": "Bound"});
        writes.push(vec![Write::Update {
            kind: "PersistentVolume",
            status: true,
            object: next,
        }]);
    }
    writes.push(vec![claim_write]);
    writes
}

impl Provisioner {
    pub fn new(dir: PathBuf) -> Self {
        Provisioner {
            dir,
            told: HashSet::new(),
        }
    }

    fn reconcile_claim(&mut self, ctx: &mut Ctx, claim: &Value) -> Result<Next, ApiError> {
        if meta::is_deleting(claim) {
            return Ok(Next::Done);
        }
        let bound_to = meta::str_at(claim, "/spec/volumeName").to_string();
        if bound_to.is_empty() {
            let claim = assign_default_class(ctx, claim.clone())?;
            return self.provision(ctx, claim);
        }
        if meta::str_at(claim, "/status/phase") != "Bound" {
            let volume = ctx
                .cache
                .shared(&Key::new("PersistentVolume", "", &bound_to))
                .map(Arc::clone);
            let mut next = claim.clone();
            next["status"] = json!({
                "phase": "Bound",
                "accessModes": meta::at(claim, "/spec/accessModes").cloned().unwrap_or_else(|| json!(["ReadWriteOnce"])),
                "capacity": volume
                    .as_ref()
                    .and_then(|v| meta::at(v, "/spec/capacity").cloned())
                    .or_else(|| meta::at(claim, "/spec/resources/requests").cloned())
                    .unwrap_or_else(|| json!({})),
            });
            let claim_write = Write::Update {
                kind: "PersistentVolumeClaim",
                status: true,
                object: next,
            };
            ctx.defer(bind_writes(
                volume.as_deref(),
                meta::uid(claim),
                claim_write,
            ));
        }
        Ok(Next::Done)
    }

    fn provision(&mut self, ctx: &mut Ctx, claim: Value) -> Result<Next, ApiError> {
        let name = volume_name(&claim);
        let volume_key = Key::new("PersistentVolume", "", &name);
        let volume = match ctx.cache.shared(&volume_key).map(Arc::clone) {
            Some(volume) => volume,
            None => {
                let Some(class) = self.provisionable(ctx, &claim)? else {
                    return Ok(Next::Done);
                };
                let path = self.dir.join(&name);
                crate::state::create_private_dir(&path).map_err(|e| {
                    ApiError::internal(format!("failed to create {}: {e}", path.display()))
                })?;
                // Deferred, as each step below: the claims of a pass share
                // a commit per step. The claim is bound once the volume is
                // committed, in the pass right after.
                ctx.defer(vec![vec![Write::Create {
                    kind: "PersistentVolume",
                    namespace: String::new(),
                    body: volume_for(&claim, &class, &path.to_string_lossy()),
                }]]);
                let message = format!("Successfully provisioned volume {name} using {PROVISIONER}");
                events::normal(ctx, &claim, PROVISIONER, "ProvisioningSucceeded", message);
                return Ok(Next::At(Instant::now()));
            }
        };
        let mut next = claim.clone();
        next["spec"]["volumeName"] = json!(name);
        annotate(
            &mut next,
            &[
                ("pv.kubernetes.io/bind-completed", "yes"),
                ("pv.kubernetes.io/bound-by-controller", "yes"),
                (STORAGE_PROVISIONER_BETA, PROVISIONER),
                (STORAGE_PROVISIONER, PROVISIONER),
            ],
        );
        let claim_write = Write::Update {
            kind: "PersistentVolumeClaim",
            status: false,
            object: next,
        };
        ctx.defer(bind_writes(Some(&volume), meta::uid(&claim), claim_write));
        let uid = meta::uid(&claim).to_string();
        self.told.retain(|(told, _)| *told != uid);
        events::normal(
            ctx,
            &claim,
            COMPONENT,
            "Bound",
            format!("Bound to volume {name}"),
        );
        // Its phase Bound once the binding is committed.
        Ok(Next::At(Instant::now()))
    }

    /// The claim's class when the local provisioner is to provision it now;
    /// otherwise the claim stays Pending with the event syncUnboundClaim
    /// and provisionClaim record (pkg/controller/volume/persistentvolume/pv_controller.go).
    fn provisionable(&mut self, ctx: &mut Ctx, claim: &Value) -> Result<Option<Value>, ApiError> {
        let class_name = meta::str_at(claim, "/spec/storageClassName").to_string();
        if class_name.is_empty() {
            if !self.told(claim, "FailedBinding") {
                let message =
                    "no persistent volumes available for this claim and no storage class is set";
                events::normal(ctx, claim, COMPONENT, "FailedBinding", message.into());
            }
            return Ok(None);
        }
        let Some(class) = ctx
            .cache
            .get(&Key::new("StorageClass", "", &class_name))
            .cloned()
        else {
            if !self.told(claim, "ProvisioningFailed") {
                let message = format!("storageclass.storage.k8s.io \"{class_name}\" not found");
                events::warning(ctx, claim, COMPONENT, "ProvisioningFailed", message);
            }
            return Ok(None);
        };
        let provisioner = meta::str_at(&class, "/provisioner").to_string();
        let waits_for_consumer =
            meta::str_at(&class, "/volumeBindingMode") == "WaitForFirstConsumer";
        if waits_for_consumer && !has_consumer(ctx, claim) {
            if !self.told(claim, "WaitForFirstConsumer") {
                let message = "waiting for first consumer to be created before binding";
                events::normal(
                    ctx,
                    claim,
                    COMPONENT,
                    "WaitForFirstConsumer",
                    message.into(),
                );
            }
            return Ok(None);
        }
        if provisioner != PROVISIONER {
            if meta::str_at(
                claim,
                &format!(
                    "/metadata/annotations/{}",
                    STORAGE_PROVISIONER.replace('/', "~1")
                ),
            ) != provisioner
            {
                let mut next = claim.clone();
                annotate(
                    &mut next,
                    &[
                        (STORAGE_PROVISIONER, &provisioner),
                        (STORAGE_PROVISIONER_BETA, &provisioner),
                    ],
                );
                let annotated = ctx.update("PersistentVolumeClaim", next)?;
                let message = format!(
                    "Waiting for a volume to be created either by the external provisioner '{provisioner}' \
                     or manually by the system administrator. If volume creation is delayed, please verify \
                     that the provisioner is running and correctly registered."
                );
                events::normal(ctx, &annotated, COMPONENT, "ExternalProvisioning", message);
            }
            return Ok(None);
        }
        Ok(Some(class))
    }

    /// Whether the claim's pending event `reason` was recorded already, so
    /// that each claim gets it once, not at every change.
    fn told(&mut self, claim: &Value, reason: &'static str) -> bool {
        !self.told.insert((meta::uid(claim).to_string(), reason))
    }

    fn reconcile_volume(
        &mut self,
        ctx: &mut Ctx,
        key: &Key,
        volume: &Value,
    ) -> Result<Next, ApiError> {
        let claim_ref = volume
            .pointer("/spec/claimRef")
            .cloned()
            .unwrap_or(Value::Null);
        let (namespace, name, uid) = (
            meta::str_at(&claim_ref, "/namespace"),
            meta::str_at(&claim_ref, "/name"),
            meta::str_at(&claim_ref, "/uid"),
        );
        if name.is_empty() || meta::is_deleting(volume) {
            return Ok(Next::Done);
        }
        let claim_key = Key::new("PersistentVolumeClaim", namespace, name);
        if ctx
            .cache
            .get(&claim_key)
            .is_some_and(|c| meta::uid(c) == uid)
        {
            return Ok(Next::Done);
        }
        // The cache may lag; a volume is only released when the registry agrees.
        ctx.refresh(&claim_key);
        if ctx
            .cache
            .get(&claim_key)
            .is_some_and(|c| meta::uid(c) == uid)
        {
            return Ok(Next::Done);
        }
        // Released first under either policy: pv-protection keeps a Bound
        // volume, so a deleted one would otherwise never go.
        let released;
        let volume = if meta::str_at(volume, "/status/phase") != "Released" {
            let mut next = volume.clone();
            next["status"] = json!({"phase": "Released"});
            released = ctx.update_status("PersistentVolume", next)?;
            &released
        } else {
            volume
        };
        if meta::str_at(volume, "/spec/persistentVolumeReclaimPolicy") != "Delete" {
            return Ok(Next::Done);
        }
        ctx.delete(key, meta::uid(volume), DeleteOptions::default())?;
        if let Some(path) = volume
            .pointer("/spec/hostPath/path")
            .and_then(Value::as_str)
        {
            let path = PathBuf::from(path);
            if path.starts_with(&self.dir) {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
        Ok(Next::Done)
    }
}

/// What the provisioner and the expander watch: claims, volumes, classes,
/// and the pods that mount claims.
pub(super) const STORAGE_KINDS: &[&str] = &[
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "Pod",
];

impl Reconciler for Provisioner {
    const NAME: &'static str = "volumes";

    const KINDS: &'static [&'static str] = STORAGE_KINDS;
    const PRIMARY: &'static [&'static str] = &["PersistentVolumeClaim", "PersistentVolume"];

    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        match kind {
            "PersistentVolumeClaim" => {
                let mut keys = vec![Key::of(kind, object)];
                let uid = meta::uid(object);
                keys.extend(
                    cache
                        .owned_by("PersistentVolume", "", Some(uid))
                        .map(|v| Key::of("PersistentVolume", v)),
                );
                keys
            }
            "PersistentVolume" => vec![Key::of(kind, object)],
            // A class that appears may let its Pending claims provision.
            "StorageClass" => {
                let class = meta::name(object);
                let default = storageclass::is_default(object);
                cache.keys_where("PersistentVolumeClaim", None, |c| {
                    let named = meta::at(c, "/spec/storageClassName");
                    let theirs = match named {
                        None | Some(Value::Null) => default,
                        Some(name) => name.as_str() == Some(class),
                    };
                    theirs && meta::str_at(c, "/spec/volumeName").is_empty()
                })
            }
            // The first consumer of a WaitForFirstConsumer claim.
            "Pod" => cache.claims_of(object, |c| meta::str_at(c, "/spec/volumeName").is_empty()),
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(object) = ctx.cache.shared(key).cloned() else {
            return Ok(Next::Done);
        };
        match key.kind {
            "PersistentVolumeClaim" => self.reconcile_claim(ctx, &object),
            "PersistentVolume" => self.reconcile_volume(ctx, key, &object),
            _ => Ok(Next::Done),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_follow_their_claims() {
        let claim = json!({"metadata": {"name": "www-web-0", "namespace": "default", "uid": "abc", "resourceVersion": "9"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
        let standard = json!({"metadata": {"name": "standard"}, "provisioner": PROVISIONER});
        let pv = volume_for(&claim, &standard, "/state/volumes/pvc-abc");
        assert_eq!(pv["metadata"]["name"], "pvc-abc");
        assert_eq!(pv["spec"]["capacity"]["storage"], "1Gi");
        assert_eq!(pv["spec"]["accessModes"], json!(["ReadWriteOnce"]));
        assert_eq!(pv["spec"]["storageClassName"], "standard");
        assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Delete");
        assert_eq!(pv["spec"]["claimRef"]["name"], "www-web-0");
        assert_eq!(pv["spec"]["claimRef"]["uid"], "abc");
        assert_eq!(pv["spec"]["hostPath"]["path"], "/state/volumes/pvc-abc");
        let fast = json!({"metadata": {"name": "fast"}, "reclaimPolicy": "Retain"});
        let pv = volume_for(&claim, &fast, "/p");
        assert_eq!(pv["spec"]["storageClassName"], "fast");
        assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Retain");
    }
}
