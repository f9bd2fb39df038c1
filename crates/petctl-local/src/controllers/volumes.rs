//! The volume provisioner and binder: each Pending claim gets a new
//! PersistentVolume `pvc-<uid>` (capacity from its request, StorageClass
//! "standard", reclaim policy Delete) backed by a directory under the state
//! dir. Once a claim is gone its volume is Released and, under the Delete
//! reclaim policy, deleted (the protection controller then lets it go).

use std::path::PathBuf;

use serde_json::{json, Value};

use super::cache::{Cache, Key};
use super::events;
use super::runner::{Ctx, Next, Reconciler};
use crate::registry::error::ApiError;
use crate::registry::{meta, DeleteOptions};

pub const DEFAULT_STORAGE_CLASS: &str = "standard";
const PROVISIONER: &str = "petctl.local/hostpath";
const COMPONENT: &str = "persistentvolume-controller";

/// The volume provisioned for a claim.
pub fn volume_name(claim: &Value) -> String {
    format!("pvc-{}", meta::uid(claim))
}

/// The PersistentVolume for `claim`, backed by `path`.
pub fn volume_for(claim: &Value, path: &str) -> Value {
    let storage = claim
        .pointer("/spec/resources/requests/storage")
        .cloned()
        .unwrap_or_else(|| json!("1Gi"));
    let modes = claim
        .pointer("/spec/accessModes")
        .filter(|m| m.as_array().is_some_and(|a| !a.is_empty()))
        .cloned()
        .unwrap_or_else(|| json!(["ReadWriteOnce"]));
    let class = match meta::str_at(claim, "/spec/storageClassName") {
        "" => DEFAULT_STORAGE_CLASS,
        class => class,
    };
    json!({
        "metadata": {
            "name": volume_name(claim),
            "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER},
        },
        "spec": {
            "capacity": {"storage": storage},
            "accessModes": modes,
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": class,
            "volumeMode": claim.pointer("/spec/volumeMode").cloned().unwrap_or_else(|| json!("Filesystem")),
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
}

impl Provisioner {
    pub fn new(dir: PathBuf) -> Self {
        Provisioner { dir }
    }

    fn reconcile_claim(
        &mut self,
        ctx: &mut Ctx,
        key: &Key,
        claim: Value,
    ) -> Result<Next, ApiError> {
        if meta::is_deleting(&claim) {
            return Ok(Next::Done);
        }
        let bound_to = meta::str_at(&claim, "/spec/volumeName").to_string();
        if bound_to.is_empty() {
            return self.provision(ctx, key, claim);
        }
        if meta::str_at(&claim, "/status/phase") != "Bound" {
            let volume = ctx
                .cache
                .get(&Key::new("PersistentVolume", "", &bound_to))
                .cloned();
            let mut next = claim.clone();
            next["status"] = json!({
                "phase": "Bound",
                "accessModes": claim.pointer("/spec/accessModes").cloned().unwrap_or_else(|| json!(["ReadWriteOnce"])),
                "capacity": volume
                    .as_ref()
                    .and_then(|v| v.pointer("/spec/capacity").cloned())
                    .or_else(|| claim.pointer("/spec/resources/requests").cloned())
                    .unwrap_or_else(|| json!({})),
            });
            ctx.update_status("PersistentVolumeClaim", next)?;
        }
        Ok(Next::Done)
    }

    fn provision(&mut self, ctx: &mut Ctx, key: &Key, claim: Value) -> Result<Next, ApiError> {
        let name = volume_name(&claim);
        let volume_key = Key::new("PersistentVolume", "", &name);
        let volume = match ctx.cache.get(&volume_key).cloned() {
            Some(volume) => volume,
            None => {
                let path = self.dir.join(&name);
                crate::state::create_private_dir(&path).map_err(|e| {
                    ApiError::internal(format!("failed to create {}: {e}", path.display()))
                })?;
                let created = ctx.create(
                    "PersistentVolume",
                    "",
                    volume_for(&claim, &path.to_string_lossy()),
                )?;
                let message = format!("Successfully provisioned volume {name} using {PROVISIONER}");
                events::normal(ctx, &claim, PROVISIONER, "ProvisioningSucceeded", message);
                created
            }
        };
        if meta::str_at(&volume, "/status/phase") != "Bound" {
            let mut next = volume.clone();
            next["status"] = json!({"phase": "Bound"});
            ctx.update_status("PersistentVolume", next)?;
        }
        let mut next = claim.clone();
        next["spec"]["volumeName"] = json!(name);
        let annotations = next["metadata"]
            .as_object_mut()
            .map(|m| m.entry("annotations").or_insert_with(|| json!({})));
        if let Some(Value::Object(annotations)) = annotations {
            annotations.insert("pv.kubernetes.io/bind-completed".into(), json!("yes"));
            annotations.insert("pv.kubernetes.io/bound-by-controller".into(), json!("yes"));
            annotations.insert(
                "volume.beta.kubernetes.io/storage-provisioner".into(),
                json!(PROVISIONER),
            );
            annotations.insert(
                "volume.kubernetes.io/storage-provisioner".into(),
                json!(PROVISIONER),
            );
        }
        let bound = ctx.update("PersistentVolumeClaim", next)?;
        events::normal(
            ctx,
            &bound,
            COMPONENT,
            "Bound",
            format!("Bound to volume {name}"),
        );
        self.reconcile_claim(ctx, key, bound)
    }

    fn reconcile_volume(
        &mut self,
        ctx: &mut Ctx,
        key: &Key,
        volume: Value,
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
        if name.is_empty() || meta::is_deleting(&volume) {
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
        let volume = if meta::str_at(&volume, "/status/phase") != "Released" {
            let mut next = volume.clone();
            next["status"] = json!({"phase": "Released"});
            ctx.update_status("PersistentVolume", next)?
        } else {
            volume
        };
        if meta::str_at(&volume, "/spec/persistentVolumeReclaimPolicy") != "Delete" {
            return Ok(Next::Done);
        }
        ctx.delete(key, meta::uid(&volume), DeleteOptions::default())?;
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

impl Reconciler for Provisioner {
    const NAME: &'static str = "volumes";

    const KINDS: &'static [&'static str] = &["PersistentVolumeClaim", "PersistentVolume"];
    const PRIMARY: &'static [&'static str] = &["PersistentVolumeClaim", "PersistentVolume"];

    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        match kind {
            "PersistentVolumeClaim" => {
                let mut keys = vec![Key::of(kind, object)];
                let uid = meta::uid(object);
                keys.extend(cache.keys_where("PersistentVolume", None, |v| {
                    meta::str_at(v, "/spec/claimRef/uid") == uid
                }));
                keys
            }
            "PersistentVolume" => vec![Key::of(kind, object)],
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(object) = ctx.cache.get(key).cloned() else {
            return Ok(Next::Done);
        };
        match key.kind {
            "PersistentVolumeClaim" => self.reconcile_claim(ctx, key, object),
            "PersistentVolume" => self.reconcile_volume(ctx, key, object),
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
        let pv = volume_for(&claim, "/state/volumes/pvc-abc");
        assert_eq!(pv["metadata"]["name"], "pvc-abc");
        assert_eq!(pv["spec"]["capacity"]["storage"], "1Gi");
        assert_eq!(pv["spec"]["accessModes"], json!(["ReadWriteOnce"]));
        assert_eq!(pv["spec"]["storageClassName"], "standard");
        assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Delete");
        assert_eq!(pv["spec"]["claimRef"]["name"], "www-web-0");
        assert_eq!(pv["spec"]["claimRef"]["uid"], "abc");
        assert_eq!(pv["spec"]["hostPath"]["path"], "/state/volumes/pvc-abc");
        let mut fast = claim.clone();
        fast["spec"]["storageClassName"] = json!("fast");
        assert_eq!(volume_for(&fast, "/p")["spec"]["storageClassName"], "fast");
    }
}
