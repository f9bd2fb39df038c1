//! Storage admission and the default class: the DefaultStorageClass plugin
//! (plugin/pkg/admission/storage/storageclass/setdefault/admission.go) gives
//! a claim that names no class the default one, the PersistentVolumeClaimResize
//! plugin (plugin/pkg/admission/storage/persistentvolume/resize/admission.go)
//! refuses to grow a claim whose class does not allow expansion, and the
//! bootstrap creates the default class `local up` was given.

use serde_json::{json, Value};

use super::error::ApiError;
use super::strategy::storageclass;
use super::{apply, Registry, Target, WriteOptions};
use petctl_model::kinds::{self, KindInfo};

/// The provisioner the local volume controller answers to; a class naming
/// any other is left to an (absent) external provisioner.
pub const LOCAL_PROVISIONER: &str = "petctl.local/hostpath";

/// The default StorageClass `local up` creates (`--default-storage-class`,
/// `--allow-volume-expansion`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultClass {
    pub name: String,
    pub allow_volume_expansion: bool,
}

impl Default for DefaultClass {
    fn default() -> Self {
        DefaultClass {
            name: "standard".into(),
            allow_volume_expansion: false,
        }
    }
}

/// The manifest of the default class.
pub fn default_class_manifest(class: &DefaultClass) -> Value {
    json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": class.name,
            "annotations": {storageclass::IS_DEFAULT_CLASS: "true"},
        },
        "provisioner": LOCAL_PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
        "allowVolumeExpansion": class.allow_volume_expansion,
    })
}

pub use petctl_model::quantity::storage_bytes;

/// The claim's requested storage.
pub fn requested(claim: &Value) -> Option<f64> {
    storage_bytes(claim.pointer("/spec/resources/requests/storage"))
}

fn classes_kind() -> Option<&'static KindInfo> {
    kinds::by_name("storageclasses")
}

impl Registry {
    /// Creates the default StorageClass unless a class of that name exists
    /// (an addon in EnsureExists mode: a user's edits survive a restart).
    pub fn bootstrap_storage_class(&self, class: &DefaultClass) -> Result<(), ApiError> {
        let Some(kind) = classes_kind() else {
            return Ok(());
        };
        let target = Target {
            kind,
            namespace: String::new(),
            name: class.name.clone(),
        };
        if self.read(&target)?.is_some() {
            return Ok(());
        }
        let options = WriteOptions {
            manager: apply::FieldManager {
                user_agent: Some("kube-addon-manager".into()),
                ..apply::FieldManager::default()
            },
            ..WriteOptions::default()
        };
        match self.create(kind, "", default_class_manifest(class), options) {
            Err(err) if err.reason != "AlreadyExists" => Err(err),
            _ => Ok(()),
        }
    }

    /// The class named `name`, if it exists.
    pub fn storage_class(&self, name: &str) -> Result<Option<Value>, ApiError> {
        let Some(kind) = classes_kind() else {
            return Ok(None);
        };
        self.read(&Target {
            kind,
            namespace: String::new(),
            name: name.to_string(),
        })
    }

    /// GetDefaultClass: of the classes marked default, the newest (by
    /// creationTimestamp, then name), as upstream picks one of several.
    fn default_storage_class(&self) -> Result<Option<String>, ApiError> {
        let Some(kind) = classes_kind() else {
            return Ok(None);
        };
        let (classes, _) = self
            .store
            .list(kind.group, kind.plural, None)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let newest = classes
            .iter()
            .filter(|c| storageclass::is_default(c))
            .map(|c| {
                (
                    super::meta::str_at(c, "/metadata/creationTimestamp"),
                    super::meta::name(c),
                )
            })
            .max()
            .map(|(_, name)| name.to_string());
        Ok(newest)
    }

    /// Create-time admission and validation of storage objects.
    pub(super) fn admit_storage_create(
        &self,
        kind: &KindInfo,
        object: &mut Value,
    ) -> Result<(), ApiError> {
        match kind.kind {
            "StorageClass" => {
                let causes = storageclass::validate(object);
                if !causes.is_empty() {
                    return Err(ApiError::invalid(kind, super::meta::name(object), &causes));
                }
            }
            // Only an absent class is filled: "" asks for no class.
            "PersistentVolumeClaim"
                if object
                    .pointer("/spec/storageClassName")
                    .is_none_or(Value::is_null) =>
            {
                if let Some(class) = self.default_storage_class()? {
                    if let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) {
                        spec.insert("storageClassName".into(), json!(class));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Update-time admission: PersistentVolumeClaimResize.
    pub(super) fn admit_storage_update(
        &self,
        kind: &KindInfo,
        old: &Value,
        new: &Value,
    ) -> Result<(), ApiError> {
        if kind.kind != "PersistentVolumeClaim" {
            return Ok(());
        }
        let (Some(old_size), Some(new_size)) = (requested(old), requested(new)) else {
            return Ok(());
        };
        if new_size <= old_size {
            return Ok(());
        }
        let name = super::meta::name(new);
        if super::meta::str_at(old, "/status/phase") != "Bound" {
            return Err(ApiError::forbidden(
                kind,
                name,
                "Only bound persistent volume claims can be expanded",
            ));
        }
        let class = super::meta::str_at(new, "/spec/storageClassName");
        let allowed = !class.is_empty()
            && self.storage_class(class)?.is_some_and(|c| {
                c.get("allowVolumeExpansion").and_then(Value::as_bool) == Some(true)
            });
        if !allowed {
            return Err(ApiError::forbidden(
                kind,
                name,
                "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize",
            ));
        }
        Ok(())
    }
}
